"""Requests cost the same on a hub that carried a hundred documents or millions: every
query of getPendingDocuments, getTraces and status routing reads an index, never a
whole table. Shown with the database's own planner on the queries the core runs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from gateway.core import Exchange, Settings
from gateway.core.mailbox import pending_query
from gateway.store.db import Store
from gateway.store.migrate import upgrade

DELIVERIES = 100_000
MESSAGES = DELIVERIES // 2  # each document goes to two agencies
STATUSES = 10_000
AGENCIES = 20
CALLER = "000.00.00.A01"
WAITING = 40  # the caller's unconfirmed deliveries, among thousands confirmed
BIG_TABLES = ("deliveries", "messages", "status_events", "document_keys")


def agency(number: int) -> str:
    return f"000.00.00.A{number:02d}"


SEED = [
    f"""INSERT INTO agencies (organ_id, name, secret_hash, active, created_at, secret_changed_at)
        SELECT format('000.00.00.A%s', lpad(i::text, 2, '0')), 'Agency ' || i, 'x', true,
               now(), now()
        FROM generate_series(1, {AGENCIES}) AS i""",
    # Documents: message i from agency i % 20 (+1), one a minute, oldest first.
    f"""INSERT INTO messages (id, message_id, message_type, sender, document_id, doc_type,
                              subject, code, promulgation_date, sha256, size,
                              received_at, signature_state, already_delivered)
        SELECT i, gen_random_uuid()::text, 'edoc',
               format('000.00.00.A%s', lpad((i % {AGENCIES} + 1)::text, 2, '0')),
               format('000.00.00.A%s,2024/05/17,%s/VPCP', lpad((i % {AGENCIES} + 1)::text,
                      2, '0'), i),
               '0', 'Trích yếu ' || i, i || '/VPCP', '2024/05/17',
               md5(i::text) || md5((-i)::text), 100,
               now() - ({MESSAGES} - i) * interval '1 minute', 'absent', ''
        FROM generate_series(1, {MESSAGES}) AS i""",
    # Each to the next two agencies; all confirmed except the caller's newest few.
    f"""INSERT INTO deliveries (message_id, recipient, state, created_at, fetched_at,
                                confirmed_at)
        SELECT m.id, r.recipient,
               CASE WHEN r.recipient = '{CALLER}' AND m.id > {MESSAGES} - {WAITING} * 10
                    THEN 'pending' ELSE 'confirmed' END,
               m.received_at, NULL, m.received_at + interval '5 minutes'
        FROM messages AS m
        CROSS JOIN LATERAL (
            SELECT format('000.00.00.A%s', lpad(((m.id + k) % {AGENCIES} + 1)::text, 2, '0'))
                   AS recipient
            FROM generate_series(1, 2) AS k) AS r""",
    "UPDATE deliveries SET confirmed_at = NULL WHERE state = 'pending'",
    """INSERT INTO document_keys (sender, document_id, doc_type, recipient, delivery_id)
       SELECT m.sender, m.document_id, m.doc_type, d.recipient, d.id
       FROM deliveries AS d JOIN messages AS m ON m.id = d.message_id""",
    # Statuses: a status message (and event) from a recipient for the first documents.
    f"""INSERT INTO messages (id, message_id, message_type, sender, document_id, status_code,
                              sha256, size, received_at, signature_state,
                              already_delivered)
        SELECT {MESSAGES} + d.id, gen_random_uuid()::text, 'status', d.recipient,
               m.document_id, '03', md5(d.id::text) || md5('s' || d.id), 100,
               m.received_at + interval '1 hour', 'absent', ''
        FROM deliveries AS d JOIN messages AS m ON m.id = d.message_id
        WHERE d.id <= {STATUSES}""",
    f"""INSERT INTO status_events (message_id, document_sender, document_id, from_organ_id,
                                   to_organ_id, status_code, received_at)
        SELECT {MESSAGES} + d.id, m.sender, m.document_id, d.recipient, m.sender, '03',
               m.received_at + interval '1 hour'
        FROM deliveries AS d JOIN messages AS m ON m.id = d.message_id
        WHERE d.id <= {STATUSES}""",
    f"""INSERT INTO deliveries (message_id, recipient, state, created_at)
        SELECT {MESSAGES} + d.id, m.sender, 'confirmed', m.received_at
        FROM deliveries AS d JOIN messages AS m ON m.id = d.message_id
        WHERE d.id <= {STATUSES}""",
    "INSERT INTO packages (message_id, data) SELECT id, '\\x00'::bytea FROM messages",
    "SELECT setval(pg_get_serial_sequence('messages', 'id'), (SELECT max(id) FROM messages))",
    "ANALYZE",
]


@pytest.fixture
def big_hub(migrated_db_url: str) -> Iterator[Store]:
    store = Store(migrated_db_url)
    with store.write() as connection:
        for statement in SEED:
            if statement != "ANALYZE":
                connection.execute(text(statement))
    with store.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    yield store
    store.dispose()


@contextmanager
def statements_run(store: Store) -> Iterator[list[tuple[str, Any]]]:
    """Every SELECT the core sends to the database meanwhile, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def plan_of(store: Store, statement: str, parameters: Any) -> dict[str, Any]:
    with store.engine.connect() as connection:
        cursor = connection.connection.cursor()
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        [[plan]] = cursor.fetchall()
    return (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def full_scans(plan: dict[str, Any]) -> list[str]:
    return [n["Relation Name"] for n in nodes(plan)
            if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in BIG_TABLES]


def explained(store: Store, use_case: Callable[[], object]) -> list[tuple[str, dict]]:
    with statements_run(store) as seen:
        use_case()
    assert seen, "the use case ran no query"
    return [(statement, plan_of(store, statement, parameters))
            for statement, parameters in seen]


@pytest.mark.postgresql
def test_the_pending_list_reads_the_waiting_index_at_100000_deliveries(big_hub: Store) -> None:
    with big_hub.read() as connection:
        assert connection.scalar(text("SELECT count(*) FROM deliveries")) >= DELIVERIES
    exchange = Exchange(Settings(db_url=big_hub.url), store=big_hub)
    for message_type in (None, "edoc"):
        items = exchange.pending_documents(CALLER, message_type)
        assert len(items) == WAITING
        [(statement, plan)] = explained(
            big_hub, lambda t=message_type: exchange.pending_documents(CALLER, t))
        # That index holds only unconfirmed deliveries: whether the planner reads it in
        # order or sorts what it found, the work is bounded by the caller's waiting items.
        indexes = [n.get("Index Name") for n in nodes(plan)]
        assert "ix_deliveries_waiting" in indexes, json.dumps(plan, indent=1)
        assert full_scans(plan) == [], json.dumps(plan, indent=1)
    # The statement EXPLAINed is the one the core builds (not a copy of it).
    built = str(pending_query(CALLER).compile(big_hub.engine,
                                              compile_kwargs={"literal_binds": True}))
    assert " ".join(built.split()).startswith("SELECT deliveries.id, messages.id")


@pytest.mark.postgresql
def test_traces_and_status_routing_find_a_document_through_indexes(big_hub: Store) -> None:
    exchange = Exchange(Settings(db_url=big_hub.url), store=big_hub)
    sender, document_id, recipient = agency(2), "000.00.00.A02,2024/05/17,1/VPCP", agency(3)
    for use_case in (
        lambda: exchange.traces(sender, document_id),
        lambda: exchange.update_status(recipient, document_id, "05"),
    ):
        for statement, plan in explained(big_hub, use_case):
            assert full_scans(plan) == [], statement + json.dumps(plan, indent=1)
    [trace] = [t for t in exchange.traces(sender, document_id) if t.recipient == recipient]
    assert [s.status_code for s in trace.statuses][-1] == "05"


def test_sqlite_reads_the_pending_list_from_the_waiting_index(tmp_path: Path) -> None:
    """The SQLite default too (its planner needs no statistics to choose it)."""
    url = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    upgrade(url)
    store = Store(url)
    try:
        exchange = Exchange(Settings(db_url=url), store=store)
        for message_type in (None, "status"):
            with statements_run(store) as seen:
                exchange.pending_documents(CALLER, message_type)
            [(statement, parameters)] = seen
            with store.engine.connect() as connection:
                rows = connection.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, parameters).all()
            details = " | ".join(row[-1] for row in rows)
            assert "USING INDEX ix_deliveries_waiting" in details, details
            assert "TEMP B-TREE" not in details, details
    finally:
        store.dispose()
