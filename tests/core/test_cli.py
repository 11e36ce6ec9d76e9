"""`edxml-gateway db` and `edxml-gateway agency`, run as the administrator runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from store.databases import Databases

from gateway.cli import main
from gateway.core import Agencies, AuthenticationFailed, Exchange, Settings
from gateway.store.db import Store
from gateway.store.migrate import head_revision


def gateway(*args: str, cwd: Path, db: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    if db is not None:
        env["GATEWAY_DB_URL"] = db
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )


def test_db_upgrade_then_agency_add_prints_a_working_secret_on_the_last_line(
    tmp_path: Path, test_databases: Databases,
) -> None:
    url = test_databases.create("cli")
    upgraded = gateway("db", "upgrade", "--db", url, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"is at revision {head_revision()}" in upgraded.stdout

    added = gateway("agency", "add", "000.00.00.G22", "--name", "Văn phòng Chính phủ",
                    cwd=tmp_path, db=url)
    assert added.returncode == 0, added.stderr
    secret = added.stdout.splitlines()[-1]
    assert secret == secret.strip() and len(secret) >= 32
    assert Exchange(Settings(db_url=url)).authenticate("000.00.00.G22", secret) == "000.00.00.G22"

    again = gateway("agency", "add", "000.00.00.G22", "--name", "X", "--db", url, cwd=tmp_path)
    assert again.returncode == 1
    assert "already registered" in again.stderr and again.stdout == ""


def test_agency_list_reset_secret_and_disable(db_url: str, store: Store, tmp_path: Path) -> None:
    first = Agencies(store).add("000.00.13.H53", "Sở Nội vụ", parent="000.00.00.H53")

    listed = gateway("agency", "list", cwd=tmp_path, db=db_url)
    assert listed.returncode == 0
    [row] = [line for line in listed.stdout.splitlines() if "000.00.13.H53" in line]
    assert row.split()[:3] == ["000.00.13.H53", "active", "000.00.00.H53"]

    reset = gateway("agency", "reset-secret", "000.00.13.H53", cwd=tmp_path, db=db_url)
    assert reset.returncode == 0
    second = reset.stdout.splitlines()[-1]
    exchange = Exchange(Settings(db_url=db_url), store=store)
    assert exchange.authenticate("000.00.13.H53", second) == "000.00.13.H53"
    with pytest.raises(AuthenticationFailed):
        exchange.authenticate("000.00.13.H53", first)

    assert gateway("agency", "disable", "000.00.13.H53", cwd=tmp_path, db=db_url).returncode == 0
    assert [a.active for a in Agencies(store).list()] == [False]
    with pytest.raises(AuthenticationFailed):
        exchange.authenticate("000.00.13.H53", second)

    unknown = gateway("agency", "disable", "000.00.00.H99", cwd=tmp_path, db=db_url)
    assert unknown.returncode == 1 and "not registered" in unknown.stderr


def test_agency_commands_refuse_a_database_that_was_not_upgraded(tmp_path: Path) -> None:
    result = gateway("agency", "list", cwd=tmp_path)  # default URL: ./var/gateway.sqlite3
    assert result.returncode == 1
    assert "db upgrade" in result.stderr


def test_agency_usage_errors_exit_2(tmp_path: Path) -> None:
    result = gateway("agency", "add", "000.00.00.G22", cwd=tmp_path)  # --name missing
    assert result.returncode == 2
    assert "--name" in result.stderr


@pytest.mark.parametrize("args, expected", [
    (["g22", "--name", "x"], "g22"),
    (["000.00.00.G22", "--name", "x", "--parent", "nope"], "nope"),
    (["000.00.00.G22", "--name", "x", "--cert", "{tmp}/cert.pem"], "PEM"),
    (["000.00.00.G22", "--name", "x", "--cert", "{tmp}/missing.pem"], "missing.pem"),
])
def test_bad_registrations_are_one_line_on_stderr_and_exit_1(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
    expected: str,
) -> None:
    (tmp_path / "cert.pem").write_text("nonsense")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert main(["agency", "add", *args, "--db", db_url]) == 1
    out, err = capsys.readouterr()
    assert out == "" and expected in err and len(err.splitlines()) == 1
