"""``Store.transaction``, the one way the gateway writes: transient conflicts and lost
races are run again, everything else reaches the caller at once; and the state changes
of a delivery are conditional UPDATEs that concurrent requests cannot undo."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from core.packages import G22, H14, H41, NAMES, document, status_package
from sqlalchemy import Connection, Insert, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from gateway.core import Agencies, Exchange, Settings
from gateway.store.db import ATTEMPTS, Store
from gateway.store.models import AgencyRow, DeliveryRow, MessageRow

NOW = datetime(2024, 5, 17, tzinfo=UTC)


@pytest.fixture
def store(migrated_db_url: str) -> Iterator[Store]:
    store = Store(migrated_db_url)
    yield store
    store.dispose()


def _agency(organ_id: str, name: str = "x") -> Insert:
    return insert(AgencyRow).values(organ_id=organ_id, name=name, secret_hash="h", active=True,
                                    created_at=NOW, secret_changed_at=NOW)


Work = Callable[[Connection], object]


def counted(work: Work) -> tuple[list[int], Work]:
    attempts: list[int] = []

    def run(connection: Connection) -> object:
        attempts.append(len(attempts) + 1)
        return work(connection)

    return attempts, run


def test_a_foreign_key_violation_is_not_retried(store: Store) -> None:
    attempts, work = counted(lambda connection: connection.execute(text(
        "INSERT INTO deliveries (message_id, recipient, state, created_at)"
        " VALUES (999, 'nobody', 'pending', '2024-01-01 00:00:00')")))
    with pytest.raises(IntegrityError):
        store.transaction(work, retry_unique=True)
    assert attempts == [1]


def test_a_unique_violation_is_retried_only_when_asked_and_gives_up(store: Store) -> None:
    store.transaction(lambda connection: connection.execute(_agency(G22)))
    for retry_unique, expected in ((False, 1), (True, ATTEMPTS)):
        attempts, work = counted(lambda connection: connection.execute(_agency(G22)))
        with pytest.raises(IntegrityError):
            store.transaction(work, retry_unique=retry_unique)
        assert len(attempts) == expected
    with store.read() as connection:
        assert connection.scalar(select(func.count()).select_from(AgencyRow)) == 1


def test_a_failed_attempt_leaves_nothing_behind(store: Store) -> None:
    store.transaction(lambda connection: connection.execute(_agency(G22)))

    def work(connection: Connection) -> None:
        connection.execute(_agency(H41))
        connection.execute(_agency(G22))  # refused: the whole attempt is rolled back

    with pytest.raises(IntegrityError):
        store.transaction(work)
    with store.read() as connection:
        assert list(connection.scalars(select(AgencyRow.organ_id))) == [G22]


@pytest.mark.postgresql
def test_a_deadlock_is_run_again_and_both_writers_succeed(store: Store) -> None:
    """Two transactions lock two rows in opposite orders: PostgreSQL aborts one (40P01),
    the store runs it again, and both changes are there."""
    store.transaction(lambda connection: [connection.execute(_agency(o)) for o in (G22, H41)])
    meet = threading.Barrier(2, timeout=30)
    attempts: dict[str, list[int]] = {G22: [], H41: []}

    def rename(first: str, second: str) -> Callable[[Connection], None]:
        def work(connection: Connection) -> None:
            attempts[first].append(1)
            for organ_id in (first, second):
                connection.execute(update(AgencyRow).where(AgencyRow.organ_id == organ_id)
                                .values(name=f"{first} was here"))
                if len(attempts[first]) == 1 and organ_id == first:
                    meet.wait()  # both hold their first row: the second UPDATEs deadlock
        return work

    writers = [Store(store.url), Store(store.url)]
    try:
        with ThreadPoolExecutor(2) as pool:
            done = [pool.submit(w.transaction, rename(a, b))
                    for w, (a, b) in zip(writers, ((G22, H41), (H41, G22)), strict=True)]
            for future in done:
                future.result(timeout=60)
    finally:
        for writer in writers:
            writer.dispose()
    assert sorted(len(a) for a in attempts.values()) == [1, 2]
    with store.read() as connection:
        names = set(connection.scalars(select(AgencyRow.name)))
    assert len(names) == 1  # the one run again wrote last, over both rows


@pytest.mark.postgresql
def test_a_lost_race_on_a_unique_row_is_run_again_and_sees_the_winner(store: Store) -> None:
    """Both read "absent", both insert: the loser's retry reads the winner's row."""
    meet = threading.Barrier(2, timeout=30)
    seen: list[str] = []

    def register(connection: Connection) -> str:
        existing = connection.scalar(select(AgencyRow.organ_id).where(AgencyRow.organ_id == G22))
        if existing is not None:
            seen.append("found")
            return "found"
        if not seen:
            meet.wait()  # both have read "absent" before either inserts
        connection.execute(_agency(G22))
        seen.append("inserted")
        return "inserted"

    writers = [Store(store.url), Store(store.url)]
    try:
        with ThreadPoolExecutor(2) as pool:
            outcomes = sorted(pool.map(
                lambda w: w.transaction(register, retry_unique=True), writers, timeout=60))
    finally:
        for writer in writers:
            writer.dispose()
    assert outcomes == ["found", "inserted"]


# -- the use cases under races (separate engines: as separate gateway processes) --------

@pytest.fixture
def exchanges(store: Store) -> Iterator[list[Exchange]]:
    for organ_id, name in NAMES.items():
        Agencies(store).add(organ_id, name)
    stores = [Store(store.url) for _ in range(6)]
    yield [Exchange(Settings(db_url=store.url), store=s) for s in stores]
    for each in stores:
        each.dispose()


def _together(calls: list[Callable[[], object]]) -> list[object]:
    start = threading.Barrier(len(calls), timeout=30)

    def run(call: Callable[[], object]) -> object:
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result(timeout=120) for f in [pool.submit(run, c) for c in calls]]


def test_fetches_and_confirmations_racing_end_confirmed_once(
    store: Store, exchanges: list[Exchange]
) -> None:
    receipt = exchanges[0].send_document(G22, document(G22, (H41,)))
    message_id = receipt.message_id
    calls: list[Callable[[], object]] = []
    for exchange in exchanges:
        calls += [lambda e=exchange: e.get_document(H41, message_id),
                  lambda e=exchange: e.confirm_received(H41, message_id)]
    _together(calls)
    with store.read() as connection:
        delivery = connection.execute(select(DeliveryRow)).one()
    assert delivery.state == "confirmed"
    confirmed_at = delivery.confirmed_at
    _together([lambda e=e: e.get_document(H41, message_id) for e in exchanges]
              + [lambda e=e: e.confirm_received(H41, message_id) for e in exchanges])
    with store.read() as connection:
        again = connection.execute(select(DeliveryRow)).one()
    assert (again.state, again.confirmed_at) == ("confirmed", confirmed_at)  # never undone
    assert exchanges[0].pending_documents(H41) == []


def test_the_same_status_sent_by_racing_requests_reaches_the_sender_once(
    store: Store, exchanges: list[Exchange]
) -> None:
    sent = exchanges[0].send_document(G22, document(G22, (H41, H14)))
    status = status_package("03", H41, G22, sent.document_id)
    receipts = _together([lambda e=e: e.send_document(H41, status) for e in exchanges])
    assert len({r.message_id for r in receipts}) == 1  # type: ignore[attr-defined]
    assert sorted(r.duplicate for r in receipts) == [False] + [True] * 5  # type: ignore[attr-defined]
    assert [i.status_code for i in exchanges[0].pending_documents(G22, "status")] == ["03"]
    with store.read() as connection:
        assert connection.scalar(select(func.count()).select_from(MessageRow)
                              .where(MessageRow.message_type == "status")) == 1


def test_racing_documents_with_crossed_recipients_each_reach_a_recipient_once(
    store: Store, exchanges: list[Exchange]
) -> None:
    """Same document, recipients named in different orders: no deadlock, no double."""
    orders = [(H41, H14), (H14, H41), (H41, H14), (H14, H41), (H41,), (H14,)]
    packages = [document(G22, order, subject=f"Bản {n}") for n, order in enumerate(orders)]
    results = _together([lambda e=e, p=p: _outcome(e, p)
                         for e, p in zip(exchanges, packages, strict=True)])
    delivered = [r for outcome in results if not isinstance(outcome, str)
                 for r in outcome.recipients]  # type: ignore[attr-defined]
    assert sorted(delivered) == sorted([H41, H14])
    assert all(o == "Client.DuplicateDocumentId" for o in results if isinstance(o, str))
    for recipient in (H41, H14):
        assert len(exchanges[0].pending_documents(recipient)) == 1


def _outcome(exchange: Exchange, package: bytes) -> object:
    from gateway.core import GatewayFault

    try:
        return exchange.send_document(G22, package)
    except GatewayFault as fault:
        return fault.code
