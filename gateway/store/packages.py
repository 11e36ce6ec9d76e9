"""A package's bytes into and out of the ``packages`` table without whole extra copies.

A 100 MB value bound to an SQLite statement is copied by SQLite (parameters are bound
as transient) and again into the row's record; read back as a column, it is
materialised by SQLite and then copied into a Python bytes object. Incremental blob
I/O moves the bytes between the Python buffer and the database pages directly: the
row is inserted with a zero-filled value of the right size (which SQLite does not
materialise when it is the row's last column) and the bytes are written into it, in
the same transaction. PostgreSQL takes and gives the value as a plain parameter.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select

from .models import PackageRow

__all__ = ["insert_package", "read_package"]

_PACKAGES = PackageRow.__table__
_INSERT = insert(_PACKAGES)
_INSERT_ZEROS = insert(_PACKAGES).values(data=func.zeroblob(bindparam("size")))
_READ = select(_PACKAGES.c.data).where(_PACKAGES.c.message_id == bindparam("message_id"))


def _sqlite(connection: Connection) -> Any:
    """The sqlite3 connection under ``connection``, or None on another database."""
    if connection.dialect.name != "sqlite":
        return None
    return connection.connection.dbapi_connection


def insert_package(connection: Connection, message_id: int, data: bytes) -> None:
    """Store ``data`` as the package of the message with primary key ``message_id``."""
    sqlite = _sqlite(connection)
    if sqlite is None:
        connection.execute(_INSERT, {"message_id": message_id, "data": data})
        return
    connection.execute(_INSERT_ZEROS, {"message_id": message_id, "size": len(data)})
    if data:
        with sqlite.blobopen(_PACKAGES.name, "data", message_id) as blob:
            blob.write(data)


def read_package(connection: Connection, message_id: int) -> bytes:
    """The package bytes of the message with primary key ``message_id``."""
    sqlite = _sqlite(connection)
    if sqlite is None:
        return connection.scalar(_READ, {"message_id": message_id})
    with sqlite.blobopen(_PACKAGES.name, "data", message_id, readonly=True) as blob:
        return blob.read()
