"""SQLite writers of several threads and processes take turns on a lock file, in the kernel."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import text

from gateway.store.db import Store
from gateway.store.migrate import upgrade

_WRITE = text("INSERT INTO bench_k (k) VALUES (1)")


def _store(tmp_path: Path) -> tuple[Store, Path]:
    database = tmp_path / "hub.sqlite3"
    url = f"sqlite:///{database}"
    upgrade(url)
    store = Store(url)
    with store.write() as connection:
        connection.execute(text("CREATE TABLE bench_k (k integer)"))
    return store, database.with_name(database.name + ".writer")


def test_a_writer_waits_while_another_holds_the_queue(tmp_path: Path) -> None:
    store, queue = _store(tmp_path)
    done = threading.Event()
    holder = os.open(queue, os.O_RDWR)  # another open file: as another process would
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        writer = threading.Thread(target=lambda: (store.transaction(
            lambda connection: connection.execute(_WRITE)), done.set()))
        writer.start()
        assert not done.wait(0.5), "the write went ahead while the queue was held"
        fcntl.flock(holder, fcntl.LOCK_UN)
        assert done.wait(30), "the write did not go ahead once the queue was free"
        writer.join()
    finally:
        os.close(holder)
        store.dispose()


def test_a_writer_killed_mid_transaction_frees_the_queue_and_writes_nothing(
        tmp_path: Path) -> None:
    store, _ = _store(tmp_path)
    script = (
        "import os, sys\n"
        "from sqlalchemy import text\n"
        "from gateway.store.db import Store\n"
        "store = Store(sys.argv[1])\n"
        "def work(connection):\n"
        "    connection.execute(text('INSERT INTO bench_k (k) VALUES (2)'))\n"
        "    os.kill(os.getpid(), 9)\n"
        "store.transaction(work)\n"
    )
    killed = subprocess.run([sys.executable, "-c", script, store.url], timeout=60)
    assert killed.returncode == -9
    try:
        store.transaction(lambda connection: connection.execute(_WRITE))
        with store.read() as connection:
            assert connection.execute(text("SELECT k FROM bench_k")).scalars().all() == [1]
    finally:
        store.dispose()
