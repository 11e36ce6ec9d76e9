"""Engine and sessions: one ``Store`` per database URL.

SQLite is the default database, and several gateway processes may share the
file, so every SQLite connection gets WAL (readers never block the writer),
foreign keys (off by default in SQLite!), a busy timeout (wait for the lock
instead of failing at once) and ``synchronous=FULL`` (a receipt promises the
package is kept: with WAL's usual NORMAL, a power cut could undo the last
commits). Write transactions start with ``BEGIN IMMEDIATE`` so two writers
queue up at BEGIN instead of deadlocking on a lock upgrade.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["Store", "make_engine", "BUSY_TIMEOUT_MS"]

BUSY_TIMEOUT_MS = 30_000
_BEGIN_OPTION = "gateway_sqlite_begin"


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; for an SQLite file, create its directory and set the pragmas."""
    path = _sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)
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
        connection.exec_driver_sql(f"BEGIN {mode}")


class Store:
    """The database: ``read()`` and ``write()`` give sessions inside one transaction each."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        write_engine = self.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        self._reads = sessionmaker(self.engine, expire_on_commit=False)
        self._writes = sessionmaker(write_engine, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries; its transaction is rolled back at the end."""
        with self._reads() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose changes are committed together, or not at all on any exception."""
        with self._writes() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
