"""Fresh databases for tests, on the backend the suite runs on (SQLite or PostgreSQL).

``GATEWAY_TEST_DB`` (or ``pytest --test-db``) picks the backend: ``sqlite`` (default)
or ``postgresql``. On PostgreSQL, ``GATEWAY_TEST_PG_URL`` is an administrator's
connection (default ``postgresql://postgres@127.0.0.1:5432/postgres``) used only to
create and drop the databases of this run: ``edxml_test_<pid>_<n>``, one per need,
each dropped when it is no longer used, whatever is left at the end of the run.
Nothing of a developer's own databases is touched.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from gateway.store.db import make_engine
from gateway.store.models import Base

__all__ = [
    "BACKENDS",
    "DEFAULT_PG_ADMIN_URL",
    "START_POSTGRESQL",
    "Databases",
    "PostgresUnavailable",
    "table_rows",
    "connect",
]

BACKENDS = ("sqlite", "postgresql")
DEFAULT_PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
START_POSTGRESQL = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
_PREFIX = "edxml_test_"
_OURS = re.compile(rf"^{_PREFIX}(\d+)_\d+$")


class PostgresUnavailable(Exception):
    """The administrator connection of a PostgreSQL test run failed."""


class Databases:
    """Makes and drops this run's databases. ``scope()`` gives a child whose databases
    are dropped when it ends (per test, per module), the parent drops the rest."""

    def __init__(self, backend: str, root: Path, pg_admin_url: str = DEFAULT_PG_ADMIN_URL,
                 *, _parent: Databases | None = None) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"database backend {backend!r} is not one of {', '.join(BACKENDS)}")
        self.backend = backend
        self.root = root
        self.pg_admin_url = pg_admin_url
        self._parent = _parent
        self._numbers = _parent._numbers if _parent else itertools.count(1)
        self._admin: Any = _parent._admin if _parent else None
        self._made: list[str] = []

    # -- making and dropping -------------------------------------------------------------
    def create(self, label: str = "db") -> str:
        """The URL of a new, empty database."""
        number = next(self._numbers)
        if self.backend == "sqlite":
            folder = self.root / f"{label}-{number}"
            folder.mkdir(parents=True)
            url = f"sqlite:///{folder / 'gateway.sqlite3'}"
        else:
            name = f"{_PREFIX}{os.getpid()}_{number}"
            self.admin_execute(f'CREATE DATABASE "{name}"')
            url = self._url_of(name)
        self._made.append(url)
        return url

    def copy(self, source: str, label: str = "db") -> str:
        """The URL of a new database holding what ``source`` holds (nobody may be using
        ``source``: upgrade it and close its engines first)."""
        if self.backend == "sqlite":
            url = self.create(label)
            _checkpoint(_path_of(source))
            shutil.copyfile(_path_of(source), _path_of(url))
            return url
        name = f"{_PREFIX}{os.getpid()}_{next(self._numbers)}"
        self.admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(source).database}"')
        url = self._url_of(name)
        self._made.append(url)
        return url

    def drop(self, url: str) -> None:
        """Drop a database made here (its remaining connections are cut)."""
        if url in self._made:
            self._made.remove(url)
        if self.backend == "postgresql":
            self.admin_execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def drop_all(self) -> None:
        for url in list(self._made):
            self.drop(url)

    @contextmanager
    def scope(self) -> Iterator[Databases]:
        child = Databases(self.backend, self.root, self.pg_admin_url, _parent=self)
        try:
            yield child
        finally:
            child.drop_all()

    def close(self) -> None:
        self.drop_all()
        if self._admin is not None and self._parent is None:
            self._admin.close()
            self._admin = None

    # -- PostgreSQL administration -------------------------------------------------------
    def _url_of(self, name: str) -> str:
        admin = make_url(self.pg_admin_url)
        return admin.set(drivername="postgresql", database=name).render_as_string(
            hide_password=False)

    def admin_execute(self, sql: str) -> None:
        """Run ``sql`` on the administrator connection (PostgreSQL only)."""
        self._connection().cursor().execute(sql)

    def _connection(self) -> Any:
        owner = self._parent or self
        if owner._admin is None:
            owner._admin = connect(self.pg_admin_url)
            _drop_leftovers(owner._admin)
        return owner._admin


def connect(pg_url: str) -> Any:
    """An autocommit psycopg2 connection, or ``PostgresUnavailable`` saying how to fix it."""
    import psycopg2

    try:
        connection = psycopg2.connect(pg_url, connect_timeout=5)
    except psycopg2.OperationalError as exc:
        raise PostgresUnavailable(
            f"PostgreSQL is not reachable at {pg_url} ({str(exc).strip()}). Start it with"
            f" `{START_POSTGRESQL}`, or point GATEWAY_TEST_PG_URL at a server where this"
            " user may create databases, or run on SQLite (GATEWAY_TEST_DB=sqlite)"
        ) from None
    connection.autocommit = True
    return connection


def _drop_leftovers(admin: Any) -> None:
    """Drop test databases of earlier runs whose process is gone (a killed run's)."""
    cursor = admin.cursor()
    host = admin.get_dsn_parameters().get("host", "")
    if host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("/"):
        return  # other machines' processes cannot be checked from here
    cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (_PREFIX + "%",))
    for (name,) in cursor.fetchall():
        match = _OURS.match(name)
        if match and not _alive(int(match.group(1))):
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _path_of(url: str) -> Path:
    return Path(make_url(url).database or "")


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the file so that a plain copy of it is the whole database."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = make_engine(url, poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def table_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every gateway table, ordered by primary key: the same before and after
    means the database did not change. Works on every backend, while servers run."""
    with _engine(url) as engine, engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(
                select(table).order_by(*table.primary_key.columns))]
            for table in Base.metadata.sorted_tables
        }
