"""Upgrading a hub that already carries documents: 0001 -> head keeps every row, leaves
the schema equal to the models, and the pending list works on the new index."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from core.packages import G22, H14, H41, NAMES, document

from gateway.core import Agencies, Exchange, Settings
from gateway.store.db import Store
from gateway.store.migrate import current_revision, head_revision, upgrade
from gateway.store.models import Base
from store.databases import Databases, table_rows


def test_a_hub_at_0001_upgrades_with_its_documents(test_databases: Databases) -> None:
    url = test_databases.create("upgrade")
    upgrade(url, "0001")
    store = Store(url)
    for organ_id, name in NAMES.items():
        Agencies(store).add(organ_id, name)
    old = Exchange(Settings(db_url=url), store=store)
    sent = [old.send_document(G22, document(G22, (H41, H14), code_number=str(n)))
            for n in range(3)]
    old.confirm_received(H41, sent[0].message_id)
    store.dispose()
    before = table_rows(url)

    upgrade(url)
    assert current_revision(url) == head_revision()
    assert table_rows(url) == before
    store = Store(url)
    try:
        with store.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        exchange = Exchange(Settings(db_url=url), store=store)
        assert [i.message_id for i in exchange.pending_documents(H41)] == [
            r.message_id for r in sent[1:]]
        assert len(exchange.pending_documents(H14)) == 3
    finally:
        store.dispose()
