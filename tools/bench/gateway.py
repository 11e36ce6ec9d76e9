"""Databases and gateway processes for the benchmark, made the way an operator makes them.

The schema comes from ``edxml-gateway db upgrade`` and the server from ``edxml-gateway
serve`` (``--port 0``: it prints the address it got). Agencies are registered with the
core's ``Agencies`` in this process, because 60 ``agency add`` processes would cost a
minute and measure nothing. PostgreSQL databases are named ``edxml_bench_<random>_<name>``
and dropped at the end, whatever happens.
"""

from __future__ import annotations

import os
import queue
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy.engine import make_url

from gateway.core import Agencies
from gateway.store.db import Store

from . import procs

__all__ = ["Databases", "Server", "cli", "register", "serve_supports"]

START_TIMEOUT = 60
WSDL_PREFIX = "WSDL: "


def cli() -> list[str]:
    """The installed ``edxml-gateway`` console script next to this Python."""
    script = Path(sys.executable).with_name("edxml-gateway")
    if not script.exists():
        raise SystemExit(f"{script} is missing: install the gateway into this environment"
                         " (`pip install -e '.[test]'`; tools/test does it)")
    return [str(script)]


def serve_supports(option: str) -> bool:
    """Whether this checkout's ``serve`` has ``option`` (``--workers`` came later)."""
    done = subprocess.run([*cli(), "serve", "--help"], capture_output=True, text=True,
                          timeout=60, check=True)
    return option in done.stdout


def _pg_connect(url: str):  # type: ignore[no-untyped-def]
    import psycopg2

    parsed = make_url(url)
    connection = psycopg2.connect(host=parsed.host or "127.0.0.1", port=parsed.port or 5432,
                                  user=parsed.username or "postgres", password=parsed.password,
                                  dbname=parsed.database or "postgres", connect_timeout=10)
    connection.autocommit = True
    return connection


class Databases:
    """This run's databases: SQLite files under ``root``, PostgreSQL databases via
    ``pg_admin_url`` (an administrator's connection, used to create and drop only)."""

    def __init__(self, root: Path, pg_admin_url: str | None) -> None:
        self.root = root
        self.pg_admin_url = pg_admin_url
        self.token = secrets.token_hex(4)
        self.pg_names: list[str] = []

    def create(self, backend: str, name: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{self.root / (name + '.sqlite3')}"
        return self._pg(name, "")

    def copy(self, template: str, name: str) -> str:
        """A new database with the contents of ``template`` (not in use at the time)."""
        if template.startswith("sqlite"):
            source = Path(make_url(template).database or "")
            with sqlite3.connect(source) as connection:  # fold the WAL into the file
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            target = self.root / f"{name}.sqlite3"
            shutil.copyfile(source, target)
            return f"sqlite:///{target}"
        return self._pg(name, f" TEMPLATE {make_url(template).database}")

    def _pg(self, name: str, clause: str) -> str:
        assert self.pg_admin_url is not None, "no PostgreSQL administrator URL"
        database = f"edxml_bench_{self.token}_{name}"
        connection = _pg_connect(self.pg_admin_url)
        try:
            connection.cursor().execute(f'CREATE DATABASE "{database}"{clause}')
        finally:
            connection.close()
        self.pg_names.append(database)
        return make_url(self.pg_admin_url).set(database=database).render_as_string(False)

    def close(self) -> None:
        if not self.pg_names:
            return
        connection = _pg_connect(self.pg_admin_url or "")
        try:
            for database in self.pg_names:
                connection.cursor().execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            connection.close()
        self.pg_names.clear()


def register(url: str, agencies: dict[str, str], certs: dict[str, bytes]) -> dict[str, str]:
    """Upgrade ``url`` with the real CLI, register ``agencies``; their secrets."""
    subprocess.run([*cli(), "db", "upgrade", "--db", url], check=True, capture_output=True,
                   timeout=120)
    store = Store(url)
    try:
        directory = Agencies(store)
        return {organ_id: directory.add(organ_id, name, cert_pem=certs.get(organ_id))
                for organ_id, name in agencies.items()}
    finally:
        store.dispose()


class Server:
    """``edxml-gateway serve`` on 127.0.0.1, a free port, the given database."""

    def __init__(self, db_url: str, log_path: Path, options: tuple[str, ...] = ()) -> None:
        self.db_url = db_url
        self.log_path = log_path
        self.options = options
        self.process: subprocess.Popen[str] | None = None
        self.host, self.port = "127.0.0.1", 0

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*cli(), "serve", "--host", self.host, "--port", "0", "--db", self.db_url,
                 *self.options],
                stdout=subprocess.PIPE, stderr=log, text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        address = self._wsdl_address().split("//", 1)[1].split("/", 1)[0]
        self.port = int(address.rsplit(":", 1)[1])

    def _wsdl_address(self) -> str:
        assert self.process is not None and self.process.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        stdout = self.process.stdout
        threading.Thread(target=lambda: [lines.put(line) for line in stdout] + [lines.put("")],
                         daemon=True).start()
        while True:
            try:
                line = lines.get(timeout=START_TIMEOUT)
            except queue.Empty:
                self.process.kill()
                raise RuntimeError(f"the gateway printed no address in {START_TIMEOUT}s;"
                                   f" see {self.log_path}") from None
            if line.startswith(WSDL_PREFIX):
                return line[len(WSDL_PREFIX):].strip()
            if not line:
                raise RuntimeError(f"the gateway exited before serving; see {self.log_path}")

    def pids(self) -> list[int]:
        assert self.process is not None
        return procs.family(self.process.pid)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(START_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(START_TIMEOUT)
