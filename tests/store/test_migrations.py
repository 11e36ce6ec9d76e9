"""Upgrading a hub that already carries documents: every row is kept, the schema ends
equal to the models, and the new code serves the old documents byte for byte."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from core.packages import G22, H14, H41, NAMES, document
from sqlalchemy import text

from gateway.core import Agencies, Exchange, Settings
from gateway.store.db import Store
from gateway.store.migrate import current_revision, head_revision, upgrade
from gateway.store.models import Base
from store.databases import Databases

_MESSAGE = text(
    "INSERT INTO messages (message_id, message_type, sender, document_id, doc_type, subject,"
    " code, promulgation_date, sha256, size, package, received_at, signature_state,"
    " already_delivered) VALUES (:message_id, 'edoc', :sender, :document_id, '0', 's', '1/X',"
    " '2024/05/17', :sha256, :size, :package, :now, 'absent', '')"
)
_DELIVERY = text(
    "INSERT INTO deliveries (message_id, recipient, state, created_at)"
    " SELECT id, :recipient, :state, :now FROM messages WHERE message_id = :message_id"
)


def _old_hub(url: str) -> list[tuple[str, bytes]]:
    """Three documents to H41 and H14, as a revision 0002 gateway stored them (its code is
    gone, so its rows are written with SQL); H41 has confirmed the first. Their ids and
    bytes."""
    upgrade(url, "0002")
    store = Store(url)
    try:
        for organ_id, name in NAMES.items():
            Agencies(store).add(organ_id, name)
        sent = [(str(uuid.uuid4()), document(G22, (H41, H14), code_number=str(n)))
                for n in range(3)]
        now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC).replace(tzinfo=None)
        with store.engine.begin() as connection:
            for n, (message_id, package) in enumerate(sent):
                connection.execute(_MESSAGE, {
                    "message_id": message_id, "sender": G22, "document_id": f"doc,{n}",
                    "sha256": hashlib.sha256(package).hexdigest(), "size": len(package),
                    "package": package, "now": now})
                for recipient in (H41, H14):
                    state = "confirmed" if (n, recipient) == (0, H41) else "pending"
                    connection.execute(_DELIVERY, {"recipient": recipient, "state": state,
                                                   "now": now, "message_id": message_id})
    finally:
        store.dispose()
    return sent


def _rows(url: str, *tables: str) -> dict[str, list[dict]]:
    """The rows of ``tables`` by primary key, whatever the schema's revision."""
    store = Store(url)
    try:
        with store.engine.connect() as connection:
            return {table: [dict(row._mapping) for row in connection.execute(
                text(f"SELECT * FROM {table} ORDER BY 1"))] for table in tables}
    finally:
        store.dispose()


def test_a_hub_at_0002_upgrades_with_its_documents(test_databases: Databases) -> None:
    url = test_databases.create("upgrade")
    sent = _old_hub(url)
    before = _rows(url, "agencies", "deliveries", "messages")

    upgrade(url)
    assert current_revision(url) == head_revision()
    after = _rows(url, "agencies", "deliveries", "messages", "packages")
    assert after["agencies"] == before["agencies"]
    assert after["deliveries"] == before["deliveries"]
    moved = [bytes(row.pop("package")) for row in before["messages"]]  # PG: memoryview
    assert after["messages"] == before["messages"]
    assert [bytes(row["data"]) for row in after["packages"]] == moved == [p for _, p in sent]
    store = Store(url)
    try:
        with store.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        exchange = Exchange(Settings(db_url=url), store=store)
        assert [i.message_id for i in exchange.pending_documents(H41)] == [
            message_id for message_id, _ in sent[1:]]
        assert len(exchange.pending_documents(H14)) == 3
        for message_id, package in sent:
            assert exchange.get_document(H14, message_id).package == package
    finally:
        store.dispose()
