"""Engine and connections: one ``Store`` per database URL, and the one way to write.

SQLite is the zero-setup default. Several threads (and even processes) may share
the file, so every SQLite connection gets WAL (readers never block the writer),
foreign keys (off by default in SQLite!), a busy timeout (wait for the lock
instead of failing at once) and ``synchronous=FULL`` (a receipt promises the
package is kept: with WAL's usual NORMAL, a power cut could undo the last
commits). Write transactions start with ``BEGIN IMMEDIATE`` so two writers
queue up at BEGIN instead of deadlocking on a lock upgrade, and before that they
take turns on a lock file (``<database>.writer``), so that a writer waiting for
another is woken by the kernel instead of SQLite's sleep-and-retry.

PostgreSQL is where real hubs run, with several gateway processes on one
database. Transactions run at READ COMMITTED, pinned so that a server default
cannot change it: every rule that must hold across processes is a UNIQUE
constraint or a conditional UPDATE, and a statement must see what concurrent
winners committed (see ``Store.transaction``). Pooled connections are checked
before use (``pool_pre_ping``), so a database restart or failover costs one
reconnect instead of one failed request per stale connection.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

__all__ = [
    "Store",
    "make_engine",
    "with_driver",
    "BUSY_TIMEOUT_MS",
    "DEFAULT_POOL_SIZE",
    "DEFAULT_MAX_OVERFLOW",
    "ATTEMPTS",
    "is_transient",
    "is_unique_violation",
]

BUSY_TIMEOUT_MS = 30_000
DEFAULT_POOL_SIZE = 5
DEFAULT_MAX_OVERFLOW = 5
ATTEMPTS = 6
"""Runs of one write before its error is given up to the caller (see ``Store.transaction``)."""

_BEGIN_OPTION = "gateway_sqlite_begin"
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
_UNIQUE_SQLSTATE = "23505"
_SQLITE_UNIQUE_CODES = frozenset({1555, 2067})  # SQLITE_CONSTRAINT_PRIMARYKEY, _UNIQUE
T = TypeVar("T")


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def with_driver(url: str | URL) -> URL:
    """``url`` with a PostgreSQL driver that is installed when it names none.

    SQLAlchemy 2.1 reads a bare ``postgresql://`` as psycopg 3; the gateway's
    ``postgres`` extra installs psycopg2, the driver most hosts already have. A bare
    URL, what every administrator writes, uses psycopg 3 if present, else psycopg2.
    """
    parsed = make_url(url)
    if parsed.drivername == "postgresql" and importlib.util.find_spec("psycopg") is None:
        return parsed.set(drivername="postgresql+psycopg2")
    return parsed


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` set up as the module docstring says (SQLite: directory, pragmas;
    PostgreSQL: READ COMMITTED, pre-ping, a name in pg_stat_activity)."""
    path = _sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    parsed = with_driver(url)
    if parsed.get_backend_name() == "postgresql":
        kwargs.setdefault("isolation_level", "READ COMMITTED")
        kwargs.setdefault("pool_pre_ping", True)
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args.setdefault("application_name", "edxml-gateway")
        connect_args.setdefault("connect_timeout", 10)
        # Also the session's default, for the reads made outside a transaction (``read``).
        connect_args.setdefault("options", r"-c default_transaction_isolation=read\ committed")
    engine = create_engine(parsed, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so that BEGIN is ours (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=FULL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        if mode:  # "" for reads: each statement its own implicit transaction (``read``)
            connection.exec_driver_sql(f"BEGIN {mode}")


def _sqlstate(error: DBAPIError) -> str | None:
    original = error.orig
    return getattr(original, "pgcode", None) or getattr(original, "sqlstate", None)


def is_transient(error: DBAPIError) -> bool:
    """The database gave up on this transaction only because of a concurrent one
    (PostgreSQL serialization failure or deadlock): running it again is the cure."""
    return _sqlstate(error) in _TRANSIENT_SQLSTATES


def is_unique_violation(error: DBAPIError) -> bool:
    """A UNIQUE or primary key constraint refused a row (not a foreign key, not NOT NULL)."""
    if _sqlstate(error) == _UNIQUE_SQLSTATE:
        return True
    return getattr(error.orig, "sqlite_errorcode", None) in _SQLITE_UNIQUE_CODES


def _pause(attempt: int) -> None:
    """A short random wait, growing with the attempt, so racers do not collide again in step."""
    time.sleep(random.uniform(0, 0.01 * 2**attempt))


class _WriterQueue:
    """SQLite writers wait their turn in the kernel instead of polling.

    SQLite's busy handler makes a writer that finds the lock taken sleep 1, 2, 5, 10...
    ms and try again, so under load writers sleep while the lock is free. Taking an
    exclusive ``flock`` on ``<database>.writer`` first (threads of this process queue on a
    mutex, processes on the flock) hands the write lock on the moment it is released.
    The kernel drops the flock of a process that dies.
    """

    def __init__(self, database: Path) -> None:
        self._path = database.with_name(database.name + ".writer")
        self._mutex = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def __enter__(self) -> None:
        self._mutex.acquire()
        try:
            if self._fd is None or self._pid != os.getpid():  # a fork gets its own
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                self._pid = os.getpid()
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._mutex.release()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._mutex.release()

    def close(self) -> None:
        with self._mutex:
            if self._fd is not None and self._pid == os.getpid():
                os.close(self._fd)
            self._fd = None


_NO_QUEUE = nullcontext()


class Store:
    """The database: ``read()`` for queries, ``transaction()`` for every change."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = DEFAULT_POOL_SIZE,
        max_overflow: int = DEFAULT_MAX_OVERFLOW,
        **engine_kwargs: Any,
    ) -> None:
        self.url = url
        if _sqlite_file(url) is not None or make_url(url).get_backend_name() != "sqlite":
            engine_kwargs.setdefault("pool_size", pool_size)
            engine_kwargs.setdefault("max_overflow", max_overflow)
        self.engine = make_engine(url, **engine_kwargs)
        self._write_engine = self.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        # Reads run statement by statement, outside a transaction: under PostgreSQL's READ
        # COMMITTED each statement sees what was committed before it, in a transaction or
        # not, and no read of the gateway needs one snapshot across statements (writes
        # re-check what they read, in ``transaction``). That saves BEGIN and ROLLBACK per
        # request scope: two round trips on PostgreSQL, two statements on SQLite.
        self._read_engine = self.engine.execution_options(**{_BEGIN_OPTION: ""}) \
            if self.engine.dialect.name == "sqlite" \
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        path = _sqlite_file(url)
        self._writers = _WriterQueue(path) if path is not None else None

    # Connections, not ORM sessions: the gateway writes with INSERT and UPDATE statements
    # and reads rows, so the unit of work and identity map would only cost time (an ORM
    # session around a query cost about twice the query; docs/performance.md).
    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for queries, each statement on its own (see ``__init__``)."""
        with self._read_engine.connect() as connection:
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection whose changes are committed together, or not at all on any exception.

        One attempt, no retry: use-case code calls ``transaction`` instead."""
        with self._writers or _NO_QUEUE, self._write_engine.begin() as connection:
            yield connection

    def transaction(self, work: Callable[[Connection], T], *, retry_unique: bool = False) -> T:
        """``work(connection)`` in one write transaction, committed; its result.

        When the database aborts the transaction because of a concurrent one
        (serialization failure, deadlock) the whole of ``work`` runs again in a new
        transaction, up to ``ATTEMPTS`` times. With ``retry_unique`` a UNIQUE violation
        is retried too: it means a concurrent writer won a race on the rule the
        constraint enforces, and ``work`` run again sees the winner's rows and answers
        as if the two requests had come one after the other (``work`` must therefore
        decide from what it reads, and have no effect outside the connection).
        """
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with self.write() as connection:
                    return work(connection)
            except DBAPIError as error:
                again = is_transient(error) or (retry_unique and is_unique_violation(error))
                if not again or attempt == ATTEMPTS:
                    raise
            _pause(attempt)
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.engine.dispose()
        if self._writers is not None:
            self._writers.close()
