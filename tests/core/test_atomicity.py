"""Nothing half-stored: a failure in the middle of a write leaves the database as it was;
and concurrent writers (separate engines on one file, like separate processes) keep the
resend rules."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from gateway.core import DuplicateDocumentId, Exchange, GatewayFault, Settings
from gateway.store.db import Store

from .packages import G17, G22, H14, H41, document, snapshot


def fail_deliveries_to(store: Store, recipient: str) -> None:
    """A real database failure: a trigger that aborts any delivery to ``recipient``."""
    name = f"fail_{recipient.replace('.', '_')}"
    with store.write() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                f" IF NEW.recipient = '{recipient}' THEN RAISE EXCEPTION 'simulated failure';"
                " END IF; RETURN NEW; END $$"
            ))
            connection.execute(text(f"CREATE TRIGGER {name} BEFORE INSERT ON deliveries"
                                 f" FOR EACH ROW EXECUTE FUNCTION {name}()"))
            return
        connection.execute(text(
            f"CREATE TRIGGER {name} BEFORE INSERT ON deliveries"
            f" WHEN NEW.recipient = '{recipient}'"
            " BEGIN SELECT RAISE(ABORT, 'simulated failure'); END"
        ))


def test_a_failure_after_the_first_delivery_stores_nothing(
    exchange: Exchange, store: Store
) -> None:
    fail_deliveries_to(store, H14)
    before = snapshot(store)
    with pytest.raises(Exception, match="simulated failure") as caught:
        exchange.send_document(G22, document(G22, (H41, H14)))
    assert not isinstance(caught.value, GatewayFault)  # the transport says Server.Internal
    assert snapshot(store) == before
    assert exchange.pending_documents(H41) == []


def test_a_take_back_failing_for_one_recipient_reaches_none(
    exchange: Exchange, store: Store
) -> None:
    sent = exchange.send_document(G22, document(G22, (H41, H14)))
    fail_deliveries_to(store, H14)
    before = snapshot(store)
    with pytest.raises(Exception, match="simulated failure"):
        exchange.update_status(G22, sent.document_id, "13")
    assert snapshot(store) == before
    assert exchange.pending_documents(H41, "status") == []


def _exchanges(store: Store, count: int) -> list[Exchange]:
    """Independent engines on one database, as separate gateway processes would have."""
    return [Exchange(Settings(db_url=store.url), store=Store(store.url)) for _ in range(count)]


def _race(calls: list[Callable[[], object]]) -> list[object]:
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        results: list[object] = []
        for future in futures:
            try:
                results.append(future.result())
            except GatewayFault as fault:
                results.append(fault)
        return results


def test_the_same_package_sent_concurrently_is_stored_once(
    store: Store, secrets: dict[str, str]
) -> None:
    package = document(G22, (H41, H14))
    exchanges = _exchanges(store, 4)
    receipts = _race([lambda e=e: e.send_document(G22, package) for e in exchanges])
    assert len({r.message_id for r in receipts}) == 1  # type: ignore[attr-defined]
    assert sorted(r.duplicate for r in receipts) == [False, True, True, True]  # type: ignore[attr-defined]
    assert len(exchanges[0].pending_documents(H41)) == 1


def test_the_same_document_sent_concurrently_reaches_each_recipient_once(
    store: Store, secrets: dict[str, str]
) -> None:
    exchanges = _exchanges(store, 4)
    packages = [document(G22, (H41, H14, G17), subject=f"Trích yếu {n}") for n in range(4)]
    results = _race([lambda e=e, p=p: e.send_document(G22, p)
                     for e, p in zip(exchanges, packages, strict=True)])
    accepted = [r for r in results if not isinstance(r, GatewayFault)]
    assert len(accepted) == 1
    assert all(isinstance(r, DuplicateDocumentId) for r in results if r not in accepted)
    for recipient in (H41, H14, G17):
        assert len(exchanges[0].pending_documents(recipient)) == 1
