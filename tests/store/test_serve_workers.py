"""`serve --workers N`: N gateway processes (gunicorn) on one database, SQLite or PostgreSQL.

On SQLite the processes share one file and queue on its write lock; a database that
lives inside one process (``:memory:``, a ``file:`` URI) is refused.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from soap.conftest import Gateway, RegisteredDb, cli, prepare_gateway, registered_db  # noqa: F401
from soap.packages import G22, H41, document
from sqlalchemy.engine import make_url
from stress.exchange import build_workload, exchange_and_check, register_agencies

from store.databases import Databases

START_TIMEOUT = 60


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "sqlite://",
                                 "sqlite:///file:gateway?mode=memory&cache=shared&uri=true"])
def test_several_workers_on_a_database_inside_one_process_are_refused(url: str) -> None:
    done = subprocess.run([*cli(), "serve", "--port", "0", "--workers", "2", "--db", url],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert "--workers 2 needs a database the processes can share" in done.stderr
    assert "lives inside a single process" in done.stderr
    assert f" {url} is not one" in done.stderr  # as the operator wrote it
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("workers", ["0", "-1"])
def test_fewer_than_one_worker_is_refused(workers: str, tmp_path: Path) -> None:
    done = subprocess.run([*cli(), "serve", "--port", "0", "--workers", workers,
                           "--db", f"sqlite:///{tmp_path / 'gateway.sqlite3'}"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert "--workers and --threads must be at least 1" in done.stderr


def _children(pid: int) -> list[int]:
    listed = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                            text=True)
    return [int(p) for p in listed.stdout.split()]


def _wait_for_workers(gateway: Gateway, count: int) -> list[int]:
    assert gateway.process is not None
    deadline = time.monotonic() + START_TIMEOUT  # the master forks after it listens
    while len(_children(gateway.process.pid)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = _children(gateway.process.pid)
    assert len(workers) == count
    return workers


def _open_files(pid: int) -> set[str]:
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            found.add(os.readlink(fd))
        except OSError:  # closed meanwhile
            continue
    return found


def _database_files(db_url: str) -> set[str]:
    path = str(Path(make_url(db_url).database or "").resolve())
    return {path, path + "-wal", path + "-shm", path + "-journal"}


def test_two_workers_share_the_database_and_stop_cleanly(
    registered_db: RegisteredDb, tmp_path: Path  # noqa: F811
) -> None:
    gateway: Gateway = prepare_gateway(registered_db, tmp_path, ("--workers", "2"))
    gateway.start()
    try:
        assert gateway.process is not None
        workers = _wait_for_workers(gateway, 2)
        sent = [gateway.client(G22).service.sendDocument(
            package=document(G22, (H41,), code_number=str(n))) for n in range(6)]
        pending = gateway.client(H41).service.getPendingDocuments()
        assert sorted(i.messageId for i in pending) == sorted(r.messageId for r in sent)
        if gateway.db_url.startswith("sqlite"):
            # Each worker opens its own connections after the fork; the master checked the
            # schema and closed its connection before forking, so none is shared.
            files = _database_files(gateway.db_url)
            assert not _open_files(gateway.process.pid) & files
            assert all(_open_files(pid) & files for pid in workers)
        assert gateway.stop() == 0
        assert "edxml-gateway stopped" in gateway.output_after_exit()
    finally:
        if gateway.process is not None and gateway.process.poll() is None:
            gateway.kill()
        registered_db.databases.drop(gateway.db_url)


def test_kept_alive_connections_are_closed_now_and_then_to_spread_clients_over_workers(
    registered_db: RegisteredDb, tmp_path: Path  # noqa: F811
) -> None:
    """gunicorn keeps a connection in the worker that accepted it; about one response
    in 20 says ``Connection: close`` so that the client's next connection may land in
    another worker. A client that keeps its connection reconnects without noticing."""
    gateway: Gateway = prepare_gateway(registered_db, tmp_path, ("--workers", "2"))
    gateway.start()
    try:
        _wait_for_workers(gateway, 2)
        address = gateway.url.split("//", 1)[1].split("/", 1)[0]
        connection = http.client.HTTPConnection(address, timeout=START_TIMEOUT)
        closes = 0
        for _ in range(200):
            connection.request("GET", "/soap?wsdl")
            response = connection.getresponse()
            assert response.status == 200 and b"definitions" in response.read()
            closes += response.getheader("Connection", "").lower() == "close"
        connection.close()
        assert 1 <= closes <= 40  # 10 expected; 0 happens once in 30,000 runs
        assert gateway.stop() == 0
    finally:
        if gateway.process is not None and gateway.process.poll() is None:
            gateway.kill()
        registered_db.databases.drop(gateway.db_url)


@pytest.fixture
def two_workers(test_databases: Databases, tmp_path: Path) -> Iterator[tuple[Gateway, str]]:
    url = test_databases.create("workers")
    gateway = Gateway(db_url=url, secrets=register_agencies(url), workdir=tmp_path,
                      options=("--workers", "2", "--threads", "4"))
    gateway.start()
    try:
        yield gateway, url
    finally:
        if gateway.process is not None and gateway.process.poll() is None:
            gateway.kill()


def _cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_two_workers_end_racing_resends_and_conflicts_in_the_exact_state(
    two_workers: tuple[Gateway, str], tmp_path: Path
) -> None:
    """Four client processes, 400 sends (40 exact resends racing their original from
    another process, 40 same-DocumentId conflicts), receivers fetching, answering and
    confirming at once: not one call fails and every outcome is the planned one."""
    gateway, url = two_workers
    workers = _wait_for_workers(gateway, 2)
    workload = build_workload(400, 40, 40, seed=7)
    report = exchange_and_check(workload, [gateway], url, tmp_path, 4, 180)
    print(f"\n--workers 2: {report}")
    used = [_cpu_seconds(pid) for pid in workers]
    assert min(used) > 0.1 * sum(used), f"one worker did nearly all the work: {used}"
    assert gateway.stop() == 0
    assert "edxml-gateway stopped" in gateway.output_after_exit()
