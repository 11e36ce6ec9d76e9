"""A real gateway for SOAP tests: `edxml-gateway serve` in a subprocess on 127.0.0.1.

The database is made once per session by the real CLI (`db upgrade`, then `agency add`
for each test agency, reading each secret from the last line of its output); every
gateway gets its own copy of it (an SQLite file, or a PostgreSQL database when the suite
runs on PostgreSQL: see tests/conftest.py), dropped when the gateway is shut. The
server listens on a free port (`--port 0`; it prints the WSDL address it got) and is
stopped with SIGTERM, or killed with SIGKILL by the tests that prove nothing is lost.
"""

from __future__ import annotations

import base64
import faulthandler
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep
from sqlalchemy import text
from store.databases import Databases, table_rows
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

from .packages import NAMES

START_TIMEOUT = 60
CALL_TIMEOUT = 120
HANG_REPORT_AFTER = 240
WSDL_PREFIX = "WSDL: "


@pytest.fixture(autouse=True)
def report_a_hang() -> Iterator[None]:
    """If a test waits far longer than any should, print every thread's stack (no kill:
    the test's servers must still be stopped by their fixtures)."""
    faulthandler.dump_traceback_later(HANG_REPORT_AFTER, repeat=False)
    yield
    faulthandler.cancel_dump_traceback_later()


def cli() -> list[str]:
    """The installed `edxml-gateway` console script next to this Python."""
    script = Path(sys.executable).with_name("edxml-gateway")
    if not script.exists():
        pytest.fail(f"{script} is missing: install the package with"
                    " `pip install -e '.[test]'` in this environment (tools/test does it)")
    return [str(script)]


def run_cli(*args: str, db_url: str) -> str:
    """Run one CLI command against ``db_url``; its stdout (fails the test on exit != 0)."""
    env = {**os.environ, "GATEWAY_DB_URL": db_url}
    done = subprocess.run([*cli(), *args], env=env, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        pytest.fail(f"edxml-gateway {' '.join(args)} failed ({done.returncode}):"
                    f" {done.stderr.strip()}")
    return done.stdout


@dataclass(frozen=True)
class RegisteredDb:
    """A template database: upgraded, the test agencies registered; never served itself."""

    url: str
    secrets: dict[str, str]
    databases: Databases

    def fresh_copy(self) -> str:
        """A new database holding the template's agencies (drop it with ``databases``)."""
        return self.databases.copy(self.url, "gateway")


@pytest.fixture(scope="session")
def registered_db(databases: Databases) -> RegisteredDb:
    """An upgraded database with the test agencies registered, and their secrets."""
    url = databases.create("soap-template")
    run_cli("db", "upgrade", db_url=url)
    secrets = {}
    for organ_id, name in NAMES.items():
        output = run_cli("agency", "add", organ_id, "--name", name, db_url=url)
        secrets[organ_id] = output.strip().splitlines()[-1]
    return RegisteredDb(url, secrets, databases)


@dataclass
class Gateway:
    """A gateway process (started by ``start``) and what a test needs to talk to it."""

    db_url: str
    secrets: dict[str, str]
    workdir: Path
    options: tuple[str, ...] = ()
    databases: Databases | None = None
    """Who drops the database when the gateway is shut (None: the test keeps it)."""
    process: subprocess.Popen | None = None
    wsdl_url: str = ""
    log_path: Path | None = None
    clients: dict[Any, zeep.Client] = field(default_factory=dict)
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return self.wsdl_url.split("?", 1)[0]

    def start(self) -> None:
        self.log_path = self.workdir / "gateway.log"
        log = self.log_path.open("ab")
        env = {**os.environ, "GATEWAY_DB_URL": self.db_url}
        self.process = subprocess.Popen(
            [*cli(), "serve", "--host", "127.0.0.1", "--port", "0", *self.options],
            env=env, stdout=subprocess.PIPE, stderr=log, text=True,
        )
        log.close()
        self.wsdl_url = self._wait_for_wsdl_line()
        self.clients.clear()

    def _wait_for_wsdl_line(self) -> str:
        """The address the server prints once it listens (it fails the test after a while)."""
        assert self.process is not None and self.process.stdout is not None
        self.lines = lines = queue.Queue()  # type: queue.Queue[str]
        stdout = self.process.stdout
        self.reader = threading.Thread(
            target=lambda: [lines.put(line) for line in stdout] + [lines.put("")], daemon=True)
        self.reader.start()
        while True:
            try:
                line = lines.get(timeout=START_TIMEOUT)
            except queue.Empty:
                self.process.kill()
                pytest.fail(f"the gateway printed no WSDL address in {START_TIMEOUT}s:"
                            f" {self.log()}")
            if line.startswith(WSDL_PREFIX):
                return line[len(WSDL_PREFIX):].strip()
            if not line:
                self.process.wait(START_TIMEOUT)
                pytest.fail(f"the gateway exited ({self.process.returncode}) before serving:"
                            f" {self.log()}")

    def output_after_exit(self) -> str:
        """What the (stopped) server printed after its WSDL address."""
        assert self.reader is not None
        self.reader.join(START_TIMEOUT)
        return "".join(self.lines.get() for _ in range(self.lines.qsize()))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it; the exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(START_TIMEOUT)

    def kill(self) -> None:
        """SIGKILL: no chance to clean up, as in a power cut of the process."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(START_TIMEOUT)

    def restart_after_kill(self) -> None:
        self.kill()
        self.start()

    def client(self, organ_id: str | None, *, auth: str = "basic",
               secret: str | None = None) -> zeep.Client:
        """A zeep client built from the served WSDL, signing in as ``organ_id``."""
        secret = self.secrets.get(organ_id, "") if secret is None else secret
        key = (organ_id, auth, secret, self.wsdl_url)
        if key not in self.clients:
            session = requests.Session()
            wsse = None
            if organ_id is not None and auth == "basic":
                session.auth = (organ_id, secret)
            elif organ_id is not None and auth == "wsse":
                wsse = UsernameToken(organ_id, secret)
            transport = Transport(session=session, timeout=START_TIMEOUT,
                                  operation_timeout=CALL_TIMEOUT)
            self.clients[key] = zeep.Client(self.wsdl_url, transport=transport, wsse=wsse)
        return self.clients[key]

    def post(self, body: bytes | str, *, organ_id: str | None = None,
             secret: str | None = None, method: str = "POST", path: str = "/soap",
             headers: dict[str, str] | None = None) -> requests.Response:
        """A raw HTTP request to the gateway (HTTP Basic when ``organ_id`` is given)."""
        all_headers = {"Content-Type": "text/xml; charset=utf-8", **(headers or {})}
        if organ_id is not None:
            secret = self.secrets.get(organ_id, "") if secret is None else secret
            token = base64.b64encode(f"{organ_id}:{secret}".encode()).decode()
            all_headers["Authorization"] = f"Basic {token}"
        base = self.url.rsplit("/soap", 1)[0]
        return requests.request(method, base + path, data=body, headers=all_headers,
                                timeout=60)

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table: equal before and after means nothing changed."""
        return table_rows(self.db_url)

    def run_sql(self, statement: str) -> None:
        """Run one SQL statement on the gateway's database, behind its back (committed)."""
        from gateway.store.db import make_engine

        engine = make_engine(self.db_url)
        try:
            with engine.begin() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()


def prepare_gateway(registered_db: RegisteredDb, directory: Path,
                    options: tuple[str, ...] = ()) -> Gateway:
    """A gateway on a fresh copy of the registered database, not started yet."""
    return Gateway(db_url=registered_db.fresh_copy(), secrets=dict(registered_db.secrets),
                   workdir=directory, options=options, databases=registered_db.databases)


def _launch(registered_db: RegisteredDb, directory: Path,
            options: tuple[str, ...] = ()) -> Gateway:
    gateway = prepare_gateway(registered_db, directory, options)
    gateway.start()
    return gateway


def _shut(gateway: Gateway) -> None:
    """Stop the gateway if it runs, then drop its database."""
    if gateway.process is not None and gateway.process.poll() is None:
        gateway.stop()
    if gateway.databases is not None:
        gateway.databases.drop(gateway.db_url)


@pytest.fixture
def gateway(registered_db, tmp_path: Path) -> Iterator[Gateway]:
    """A fresh gateway (own database) for one test."""
    running = _launch(registered_db, tmp_path)
    yield running
    _shut(running)


SMALL_LIMIT = 200_000
"""Package size limit of the shared gateway, so 'too large' tests stay small."""


@pytest.fixture(scope="module")
def shared_gateway(registered_db, tmp_path_factory) -> Iterator[Gateway]:
    """One gateway for a module of tests that each check they changed nothing."""
    running = _launch(registered_db, tmp_path_factory.mktemp("shared"),
                      ("--max-package-size", str(SMALL_LIMIT)))
    yield running
    _shut(running)
