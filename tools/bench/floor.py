"""The floor: what accepting a package cannot cost less than, measured in this process.

Per package: ``edxml.parse`` once, ``edxml.validate``, ``edxml.read`` and
``Verifier.verify`` (configured as the gateway configures it: the sender's registered
certificate pinned, SHA-1 allowed), then one INSERT of the bytes and its COMMIT, on the
same kind of database with the same durability (SQLite: WAL, synchronous=FULL;
PostgreSQL: synchronous_commit as the server has it). No HTTP, no SOAP, no ORM, no
authentication, no routing: the end-to-end cost divided by this is the price of
everything else.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import make_url

from gateway import edxml

__all__ = ["Floor", "measure_floor", "commit_times", "STEPS"]

STEPS = ("parse", "validate", "read", "verify", "store")
_LIMIT = edxml.ReaderSettings(max_size=100 * 1024 * 1024)


@dataclass
class Floor:
    wall: float  # median seconds per package
    cpu: float  # mean CPU seconds per package
    steps: dict[str, float]  # median seconds per step


def _sqlite_insert(url: str, synchronous: str = "FULL"
                   ) -> tuple[Callable[[bytes], None], Callable[[], None]]:
    connection = sqlite3.connect(make_url(url).database or "", isolation_level=None)
    for pragma in ("journal_mode=WAL", f"synchronous={synchronous}"):
        connection.execute(f"PRAGMA {pragma}")
    connection.execute("CREATE TABLE IF NOT EXISTS floor"
                       " (id INTEGER PRIMARY KEY, package BLOB NOT NULL)")

    def insert(data: bytes) -> None:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO floor (package) VALUES (?)", (data,))
        connection.execute("COMMIT")

    return insert, connection.close


def _pg_insert(url: str) -> tuple[Callable[[bytes], None], Callable[[], None]]:
    import psycopg2

    parsed = make_url(url)
    connection = psycopg2.connect(host=parsed.host, port=parsed.port or 5432,
                                  user=parsed.username, password=parsed.password,
                                  dbname=parsed.database)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS floor"
                       " (id bigserial PRIMARY KEY, package bytea NOT NULL)")
    connection.commit()

    def insert(data: bytes) -> None:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO floor (package) VALUES (%s)", (psycopg2.Binary(data),))
        connection.commit()

    return insert, connection.close


def measure_floor(packages: list[bytes], db_url: str, cert_pem: bytes) -> Floor:
    """The floor over ``packages`` (each must be valid and validly signed)."""
    verifier = edxml.Verifier(expected_certs=[cert_pem], allow_sha1=True)
    insert, close = (_sqlite_insert if db_url.startswith("sqlite") else _pg_insert)(db_url)
    times: dict[str, list[float]] = {step: [] for step in STEPS}
    totals: list[float] = []
    try:
        _accept(packages[0], verifier, insert, {step: [] for step in STEPS})  # warm-up
        cpu = time.process_time()
        for data in packages:
            totals.append(_accept(data, verifier, insert, times))
        cpu = time.process_time() - cpu
    finally:
        close()
    return Floor(wall=statistics.median(totals), cpu=cpu / len(packages),
                 steps={step: statistics.median(values) for step, values in times.items()})


def _accept(data: bytes, verifier: edxml.Verifier, insert: Callable[[bytes], None],
            times: dict[str, list[float]]) -> float:
    marks = [time.perf_counter()]
    parsed = edxml.parse(data, _LIMIT)
    marks.append(time.perf_counter())
    if edxml.validate(parsed):
        raise RuntimeError("a benchmark package is not valid edXML")
    marks.append(time.perf_counter())
    edxml.read(parsed)
    marks.append(time.perf_counter())
    if verifier.verify(parsed).state != "valid":
        raise RuntimeError("a benchmark package's signature does not verify")
    marks.append(time.perf_counter())
    insert(data)
    marks.append(time.perf_counter())
    for step, start, end in zip(STEPS, marks, marks[1:], strict=False):
        times[step].append(end - start)
    return marks[-1] - marks[0]


def commit_times(url: str, data: bytes, runs: int = 200) -> dict[str, float]:
    """Median INSERT + COMMIT of ``data`` on SQLite (WAL) by ``synchronous`` setting: what
    the durability the gateway keeps (FULL: a receipt survives a power cut) costs against
    WAL's usual NORMAL (the last commits may be lost in a power cut, never corrupted)."""
    found = {}
    for synchronous in ("FULL", "NORMAL"):
        insert, close = _sqlite_insert(url, synchronous)
        try:
            insert(data)
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                insert(data)
                times.append(time.perf_counter() - start)
        finally:
            close()
        found[synchronous] = statistics.median(times)
    return found
