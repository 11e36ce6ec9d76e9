"""The drop-folder agent: sends the outbox, fills the inbox, and survives being killed.

The crash windows are tested two ways: by building the state a kill leaves (a file sent
but not moved, a package written but not confirmed, a half-written temporary file) and
running the agent on it, and by really killing the agent (SIGKILL) again and again
while it works, then checking every document arrived exactly once on both sides.
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest
from soap.conftest import Gateway
from soap.packages import G22, H14, H41, document

from gateway import edxml
from gateway.client import Inbox, Outbox, SyncAgent
from gateway.client.folders import inbox_name

from .cli import run_client, start_sync
from .conftest import ClientFactory, make_client


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}


def _outbox(tmp_path: Path, packages: dict[str, bytes]) -> Path:
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    for name, data in packages.items():
        (outbox / name).write_bytes(data)
    return outbox


def test_one_cycle_sends_moves_explains_and_receives(gateway: Gateway, tmp_path: Path) -> None:
    good = {f"cv-{n}.edxml": document(G22, (H41,), code_number=n) for n in ("1", "2")}
    outbox = _outbox(tmp_path, {**good, "broken.edxml": b"<edXML>half a file"})
    arriving = document(H14, (G22,), code_number="3")
    with make_client(gateway, H14) as h14:
        incoming = h14.send(arriving)
    inbox = tmp_path / "inbox"

    done = run_client(gateway, G22, "sync", "--outbox", outbox, "--inbox", inbox, "--once",
                      "--settle", "0")
    assert done.returncode == 1, done.stderr  # one file was refused
    assert _files(outbox) == {}
    assert _files(outbox / "sent") == good
    assert set(_files(outbox / "failed")) == {"broken.edxml", "broken.edxml.error.txt"}
    explanation = (outbox / "failed" / "broken.edxml.error.txt").read_text()
    assert "Client.MalformedPackage" in explanation and "put it back into the outbox" in (
        explanation)
    assert _files(inbox) == {f"{incoming.message_id}.edoc.edxml": arriving}
    log = done.stderr.splitlines()
    assert sum("sent cv-" in line for line in log) == 2
    assert sum("refused broken.edxml" in line for line in log) == 1
    assert sum(f"received edoc {incoming.message_id}" in line for line in log) == 1
    with make_client(gateway, G22) as g22, make_client(gateway, H41) as h41:
        assert g22.pending() == []
        assert len(h41.pending()) == 2


def _agent(client_of: ClientFactory, organ_id: str, tmp_path: Path,
           settle: float = 0) -> SyncAgent:
    return SyncAgent(client_of(organ_id), Outbox(tmp_path / "outbox", settle=settle),
                     Inbox(tmp_path / "inbox"))


def test_a_file_sent_but_not_moved_is_moved_without_a_second_delivery(
    client_of: ClientFactory, tmp_path: Path,
) -> None:
    package = document(G22, (H41,), code_number="10")
    _outbox(tmp_path, {"cv.edxml": package})
    first = client_of(G22).send(package)  # the killed run got this far

    report = _agent(client_of, G22, tmp_path).run_once()
    assert (report.sent, report.duplicate, report.ok) == (0, 1, True)
    assert _files(tmp_path / "outbox" / "sent") == {"cv.edxml": package}
    assert [i.message_id for i in client_of(H41).pending()] == [first.message_id]


def test_a_package_written_but_not_confirmed_is_confirmed_not_written_again(
    client_of: ClientFactory, tmp_path: Path,
) -> None:
    client_of(H41).send(document(H41, (G22,), code_number="11"))
    [item] = client_of(G22).pending()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / inbox_name(item)).write_bytes(b"as the killed run wrote it")

    report = _agent(client_of, G22, tmp_path).run_once()
    assert report.received == 1 and report.ok
    assert _files(inbox) == {inbox_name(item): b"as the killed run wrote it"}
    assert client_of(G22).pending() == []


def test_a_package_already_taken_by_the_agency_software_is_not_written_again(
    client_of: ClientFactory, tmp_path: Path,
) -> None:
    """Killed between the marker and the confirmation; the software took the file since."""
    client_of(H41).send(document(H41, (G22,), code_number="12"))
    [item] = client_of(G22).pending()
    agent = _agent(client_of, G22, tmp_path)
    agent.inbox.prepare()
    (agent.inbox.markers / inbox_name(item)).touch()

    assert agent.run_once().received == 1
    assert _files(tmp_path / "inbox") == {}
    assert list(agent.inbox.markers.iterdir()) == []
    assert client_of(G22).pending() == []


def test_half_written_and_temporary_files_are_neither_sent_nor_kept(
    client_of: ClientFactory, tmp_path: Path,
) -> None:
    outbox = _outbox(tmp_path, {".hidden.edxml": b"x", "cv.edxml.part": b"x",
                                "cv.tmp": b"x", "ready.edxml": document(G22, (H41,))})
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / ".edxml-gateway-0123456789abcdef.part").write_bytes(b"<edXML>cut off")

    report = _agent(client_of, G22, tmp_path).run_once()
    assert report.sent == 1
    assert set(_files(outbox)) == {".hidden.edxml", "cv.edxml.part", "cv.tmp"}
    assert _files(inbox) == {}


def test_a_file_still_being_written_waits_until_it_settles(
    client_of: ClientFactory, tmp_path: Path,
) -> None:
    outbox = _outbox(tmp_path, {"fresh.edxml": document(G22, (H41,))})
    agent = _agent(client_of, G22, tmp_path, settle=60)
    assert agent.run_once().sent == 0
    assert set(_files(outbox)) == {"fresh.edxml"}


def test_a_name_already_in_sent_is_kept_and_the_new_file_tagged(
    client_of: ClientFactory, tmp_path: Path,
) -> None:
    _outbox(tmp_path, {"cv.edxml": document(G22, (H41,), code_number="13")})
    agent = _agent(client_of, G22, tmp_path)
    agent.run_once()
    (tmp_path / "outbox" / "cv.edxml").write_bytes(document(G22, (H41,), code_number="14"))
    agent.run_once()
    sent = _files(tmp_path / "outbox" / "sent")
    assert len(sent) == 2 and "cv.edxml" in sent
    assert {edxml.read(data).document_id.split(",")[2] for data in sent.values()} == {
        "13/VPCP-TTĐT", "14/VPCP-TTĐT"}


def test_an_unreachable_gateway_leaves_every_file_in_place(gateway: Gateway,
                                                           tmp_path: Path) -> None:
    outbox = _outbox(tmp_path, {"cv.edxml": document(G22, (H41,))})
    gateway.stop()
    done = run_client(gateway, G22, "sync", "--outbox", outbox, "--inbox", tmp_path / "in",
                      "--once", "--settle", "0")
    assert done.returncode == 1
    assert "gateway unreachable" in done.stderr
    assert set(_files(outbox)) == {"cv.edxml"} and _files(outbox / "failed") == {}


def test_a_wrong_secret_stops_the_agent_and_leaves_every_file(gateway: Gateway,
                                                              tmp_path: Path) -> None:
    outbox = _outbox(tmp_path, {"cv.edxml": document(G22, (H41,))})
    done = run_client(gateway, G22, "sync", "--outbox", outbox, "--inbox", tmp_path / "in",
                      "--interval", "0.1", "--settle", "0", secret="wrong-secret")
    assert done.returncode == 1 and "Client.Authentication" in done.stderr
    assert set(_files(outbox)) == {"cv.edxml"} and _files(outbox / "failed") == {}


def _read_log_line(agent: subprocess.Popen[str], lines: list[str]) -> str:
    assert agent.stderr is not None
    line = agent.stderr.readline()
    if not line:
        pytest.fail("the agent exited early:\n" + "".join(lines))
    lines.append(line)
    return line


def test_sigterm_stops_the_agent_cleanly(gateway: Gateway, tmp_path: Path) -> None:
    package = document(G22, (H41,))
    outbox = _outbox(tmp_path, {"cv.edxml": package})
    agent = start_sync(gateway, G22, outbox, tmp_path / "inbox", "--interval", "0.2")
    lines: list[str] = []
    while "sent cv.edxml" not in _read_log_line(agent, lines):
        pass
    agent.send_signal(signal.SIGTERM)
    assert agent.wait(30) == 0
    rest = agent.stderr.read() if agent.stderr else ""
    assert "stopping (SIGTERM)" in rest and rest.rstrip().endswith("stopped")
    assert _files(outbox / "sent") == {"cv.edxml": package}


ACTIONS = ("sent ", "received ", "had been sent before", "already in the inbox")


def _wait_for_action(agent: subprocess.Popen[str], lines: list[str], timeout: float) -> bool:
    """Whether the agent logged an action within ``timeout`` (it stays quiet when idle).

    Reads the pipe's file descriptor directly: a buffered reader could hold lines that
    ``select`` does not see.
    """
    assert agent.stderr is not None
    fd = agent.stderr.fileno()
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        if not select.select([fd], [], [], left)[0]:
            return False
        chunk = os.read(fd, 65536).decode("utf-8", "replace")
        if not chunk:
            return False
        lines.append(chunk)
        if any(word in chunk for word in ACTIONS):
            return True
    return False


def test_killed_again_and_again_it_neither_loses_nor_duplicates_a_document(
    gateway: Gateway, tmp_path: Path,
) -> None:
    count = 12
    outgoing = {f"cv-{n:02}.edxml": document(G22, (H41,), code_number=str(100 + n))
                for n in range(count)}
    outbox = _outbox(tmp_path, outgoing)
    arriving = [document(H14, (G22,), code_number=str(200 + n)) for n in range(count)]
    with make_client(gateway, H14) as h14:
        incoming = {h14.send(data).message_id: data for data in arriving}
    inbox = tmp_path / "inbox"
    g22 = make_client(gateway, G22)
    chance = random.Random(20240517)
    lines: list[str] = []
    kills = 0
    # Each run starts working and is killed (SIGKILL) a moment after its first action.
    while kills < 20 and (_files(outbox) or g22.pending()):
        agent = start_sync(gateway, G22, outbox, inbox, "--interval", "0.05")
        working = _wait_for_action(agent, lines, timeout=20)
        time.sleep(chance.uniform(0, 0.04))
        agent.kill()
        agent.wait(30)
        assert working, "".join(lines)
        kills += 1

    final = run_client(gateway, G22, "sync", "--outbox", outbox, "--inbox", inbox, "--once",
                       "--settle", "0")
    assert final.returncode == 0, final.stderr
    assert kills >= 5, "".join(lines)
    assert _files(outbox) == {} and _files(outbox / "failed") == {}
    assert _files(outbox / "sent") == outgoing
    assert _files(inbox) == {f"{message_id}.edoc.edxml": data
                             for message_id, data in incoming.items()}
    with g22, make_client(gateway, H41) as h41:
        arrived = [item.document_id for item in h41.pending()]
        assert sorted(arrived) == sorted(edxml.read(data).document_id
                                         for data in outgoing.values())
        assert g22.pending() == []
