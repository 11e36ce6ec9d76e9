"""`serve --workers N`: N processes on one PostgreSQL database; refused on SQLite."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from soap.conftest import Gateway, RegisteredDb, cli, prepare_gateway, registered_db  # noqa: F401
from soap.packages import G22, H41, document


def test_several_workers_on_sqlite_are_refused_with_the_reason(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    env = {**os.environ, "GATEWAY_DB_URL": url}
    subprocess.run([*cli(), "db", "upgrade"], env=env, check=True, capture_output=True)
    done = subprocess.run([*cli(), "serve", "--port", "0", "--workers", "2"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert "--workers 2 needs PostgreSQL" in done.stderr
    assert "one process write at a time" in done.stderr


def _children(pid: int) -> list[int]:
    listed = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                            text=True)
    return [int(p) for p in listed.stdout.split()]


@pytest.mark.postgresql
def test_two_workers_share_the_database_and_stop_cleanly(
    registered_db: RegisteredDb, tmp_path: Path  # noqa: F811
) -> None:
    gateway: Gateway = prepare_gateway(registered_db, tmp_path, ("--workers", "2"))
    gateway.start()
    try:
        assert gateway.process is not None
        deadline = time.monotonic() + 60  # the master forks the workers after it listens
        while len(_children(gateway.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_children(gateway.process.pid)) == 2
        sent = [gateway.client(G22).service.sendDocument(
            package=document(G22, (H41,), code_number=str(n))) for n in range(6)]
        pending = gateway.client(H41).service.getPendingDocuments()
        assert sorted(i.messageId for i in pending) == sorted(r.messageId for r in sent)
        assert gateway.stop() == 0
        assert "edxml-gateway stopped" in gateway.output_after_exit()
    finally:
        if gateway.process is not None and gateway.process.poll() is None:
            gateway.kill()
        registered_db.databases.drop(gateway.db_url)
