"""`edxml-gateway client ...` commands against a real gateway, run as real processes."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import termios
from pathlib import Path

import pytest
from soap.conftest import Gateway, cli
from soap.packages import G22, H14, H41, document

from gateway import edxml

from .cli import client_env, connection, run_client
from .conftest import make_client


def _write(directory: Path, name: str, data: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(data)
    return path


def test_send_reports_sent_duplicate_and_refused_and_fails_if_any_was_refused(
    gateway: Gateway, tmp_path: Path,
) -> None:
    folder = tmp_path / "out"
    first = _write(folder, "a.edxml", document(G22, (H41,), code_number="1"))
    _write(folder, "b.edxml", document(G22, (H41, H14), code_number="2"))
    _write(folder, "c.EDXML", b"this is not a package")
    _write(folder, "notes.txt", b"not sent: a folder sends its .edxml files")

    done = run_client(gateway, G22, "send", first, folder)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert "sent 2, duplicate 1, refused 1" in lines
    assert any(line.startswith("duplicate") and "a.edxml" in line for line in lines)
    [refusal] = [line for line in lines if line.startswith("refused ") and ":" in line]
    assert "c.EDXML" in refusal and "Client.MalformedPackage" in refusal
    with make_client(gateway, H41) as h41:
        assert len(h41.pending()) == 2

    again = run_client(gateway, G22, "send", first)
    assert again.returncode == 0 and "sent 0, duplicate 1, refused 0" in again.stdout


def test_inbox_lists_pending_items_as_a_table_or_json(gateway: Gateway) -> None:
    with make_client(gateway, G22) as g22:
        receipts = [g22.send(document(G22, (H41,), code_number=n)) for n in ("3", "4")]
    table = run_client(gateway, H41, "inbox")
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split()[:3] == ["MESSAGE", "ID", "TYPE"]
    assert [row.split()[0] for row in rows] == [r.message_id for r in receipts]
    assert all("V/v kết nối liên thông văn bản" in row for row in rows)

    listed = json.loads(run_client(gateway, H41, "inbox", "--format", "json").stdout)
    assert [(i["message_id"], i["from_organ_id"], i["message_type"]) for i in listed] == [
        (r.message_id, G22, "edoc") for r in receipts]
    assert listed[0]["received_at"].endswith("Z")
    assert run_client(gateway, H41, "inbox", "--type", "status").stdout.strip() == (
        "nothing pending")


def test_fetch_writes_packages_by_message_id_and_confirms_only_when_asked(
    gateway: Gateway, tmp_path: Path,
) -> None:
    package = document(G22, (H41,), code_number="5")
    with make_client(gateway, G22) as g22:
        receipt = g22.send(package)
    out = tmp_path / "inbox"
    kept = run_client(gateway, H41, "fetch", "--out", out)
    assert kept.returncode == 0, kept.stderr
    target = out / f"{receipt.message_id}.edoc.edxml"
    assert target.read_bytes() == package
    with make_client(gateway, H41) as h41:
        assert len(h41.pending()) == 1  # not confirmed: still pending

        confirmed = run_client(gateway, H41, "fetch", "--out", out, "--confirm")
        assert confirmed.returncode == 0, confirmed.stderr
        assert "already there" in confirmed.stdout and "confirmed" in confirmed.stdout
        assert h41.pending() == []
    assert [p.name for p in out.iterdir() if p.is_file()] == [target.name]


def test_status_and_traces_follow_a_document(gateway: Gateway) -> None:
    with make_client(gateway, G22) as g22:
        receipt = g22.send(document(G22, (H41,), code_number="6"))
    done = run_client(gateway, H41, "status", receipt.document_id, "03",
                      "--description", "Đã vào sổ", "--staff-name", "Nguyễn Thị Trâm")
    assert done.returncode == 0, done.stderr
    assert f"status 03 on {receipt.document_id}" in done.stdout and G22 in done.stdout

    table = run_client(gateway, G22, "traces", receipt.document_id)
    assert table.returncode == 0, table.stderr
    [row] = table.stdout.splitlines()[1:]
    assert row.split()[:2] == [H41, "pending"] and row.endswith("03 Đã vào sổ")
    [trace] = json.loads(run_client(gateway, G22, "traces", receipt.document_id,
                                    "--format", "json").stdout)
    assert trace["statuses"][0]["staff"]["name"] == "Nguyễn Thị Trâm"

    with make_client(gateway, G22) as g22:
        [status] = g22.pending("status")
        message = g22.fetch(status.message_id).model
    assert isinstance(message, edxml.StatusMessage)
    assert (message.status_code, message.description) == ("03", "Đã vào sổ")


def test_agencies_lists_the_directory(gateway: Gateway) -> None:
    done = run_client(gateway, H41, "agencies")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].split() == ["ORGANID", "NAME", "PARENT", "ACTIVE"]
    assert any(line.startswith(G22) and "Văn phòng Chính phủ" in line
               for line in done.stdout.splitlines())


def test_a_fault_is_printed_and_exits_1(gateway: Gateway) -> None:
    done = run_client(gateway, H41, "traces", "000.00.00.H41,2024/01/01,1/X")
    assert done.returncode == 1
    assert "Client.NotFound" in done.stderr and "Traceback" not in done.stderr
    wrong = run_client(gateway, H41, "agencies", secret="not-the-secret")
    assert wrong.returncode == 1 and "Client.Authentication" in wrong.stderr


@pytest.mark.parametrize("name, text", [
    ("client.toml", '[gateway]\nurl = "{url}"\norgan_id = "{organ_id}"\nsecret = "{secret}"\n'
                    "timeout = 30\nattempts = 2\n"),
    ("client.ini", "[gateway]\nurl = {url}\norgan_id = {organ_id}\nsecret = {secret}\n"
                   "timeout = 30\n"),
])
def test_a_config_file_gives_the_connection_and_the_secret(
    gateway: Gateway, tmp_path: Path, name: str, text: str,
) -> None:
    config = tmp_path / name
    config.write_text(text.format(url=gateway.url, organ_id=H41, secret=gateway.secrets[H41]))
    config.chmod(0o600)
    done = run_client(gateway, H41, "agencies", "--config", config, secret="",
                      with_connection=False)
    assert done.returncode == 0, done.stderr
    assert G22 in done.stdout and done.stderr == ""


def test_the_secret_is_never_taken_from_the_command_line(gateway: Gateway) -> None:
    missing = run_client(gateway, H41, "agencies", secret="")
    assert missing.returncode == 2
    assert "EDXML_GATEWAY_SECRET" in missing.stderr and "never on the command line" in (
        missing.stderr)
    offered = run_client(gateway, H41, "agencies", "--secret", gateway.secrets[H41], secret="")
    assert offered.returncode == 2 and "unrecognized arguments" in offered.stderr


def test_a_config_file_readable_by_others_is_warned_about(gateway: Gateway,
                                                          tmp_path: Path) -> None:
    config = tmp_path / "client.toml"
    config.write_text(f'[gateway]\nsecret = "{gateway.secrets[H41]}"\n')
    config.chmod(0o644)
    done = run_client(gateway, H41, "agencies", "--config", config, secret="")
    assert done.returncode == 0
    assert "chmod 600" in done.stderr


def test_sending_many_files_shows_a_progress_bar_on_a_terminal_only(
    gateway: Gateway, tmp_path: Path,
) -> None:
    folder = tmp_path / "out"
    for n in range(3):
        _write(folder, f"cv-{n}.edxml", document(G22, (H41,), code_number=f"7{n}"))
    main, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        done = subprocess.run(
            [*cli(), "client", "send", *connection(gateway, G22), str(folder)],
            env=client_env(gateway.secrets[G22]), stdout=subprocess.PIPE, stderr=terminal,
            text=True, timeout=120)
        os.close(terminal)
        shown = _read_all(main)
    finally:
        os.close(main)
    assert done.returncode == 0 and "sent 3, duplicate 0, refused 0" in done.stdout
    assert "0/3" in shown and "file" in shown
    piped = run_client(gateway, G22, "send", folder)
    assert "0/3" not in piped.stderr and "sent 0, duplicate 3" in piped.stdout


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the terminal's other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")
