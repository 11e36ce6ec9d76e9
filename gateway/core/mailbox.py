"""A recipient's side: what is waiting, fetching it, confirming it.

Every query is scoped to the caller's own deliveries, so a message id that
belongs to someone else is indistinguishable from one that does not exist.
An item stays pending until confirmed (fetching alone does not remove it): a
client that crashes between fetching and storing loses nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, select, update

from gateway.store.db import Store
from gateway.store.models import DeliveryRow, MessageRow, waiting
from gateway.store.packages import read_package

from .errors import InvalidRequest, NotFound
from .ledger import utcnow
from .results import FetchedDocument, PendingItem

__all__ = [
    "pending", "pending_query", "fetch", "confirm", "DEFAULT_LIMIT", "MAX_LIMIT", "MESSAGE_TYPES",
]

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MESSAGE_TYPES = ("edoc", "status")


def _check_query(message_type: str | None, limit: int | None) -> int:
    if message_type is not None and message_type not in MESSAGE_TYPES:
        raise InvalidRequest(
            f"messageType {message_type!r} is not known; use \"edoc\", \"status\" or leave it out"
        )
    if limit is None:
        return DEFAULT_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit {limit!r} must be a whole number from 1 to {MAX_LIMIT}")
    return limit


def pending(
    store: Store, caller: str, message_type: str | None = None, limit: int | None = None
) -> list[PendingItem]:
    """The caller's unconfirmed deliveries, oldest first (package bytes are not loaded)."""
    query = pending_query(caller, message_type, limit)
    with store.read() as connection:
        return [_pending_item(row) for row in connection.execute(query)]


_FETCHED = (MessageRow.id, MessageRow.message_id, MessageRow.message_type, MessageRow.sender,
            MessageRow.document_id, MessageRow.received_at)
"""What a fetched document carries besides the package bytes (read apart, see ``fetch``)."""
_LISTED = (*_FETCHED, MessageRow.size, MessageRow.subject, MessageRow.status_code)
"""What a pending item shows, selected as columns: loading 100 ORM objects per call cost
more than the query itself."""


def pending_query(
    caller: str, message_type: str | None = None, limit: int | None = None
) -> Select[Any]:
    """The query behind ``pending`` (the store's tests EXPLAIN it to prove it uses an index:
    its order and condition are those of ``ix_deliveries_waiting``)."""
    count = _check_query(message_type, limit)
    query = (
        select(DeliveryRow.id, *_LISTED)
        .join(MessageRow, DeliveryRow.message_id == MessageRow.id)
        .where(DeliveryRow.recipient == caller, waiting())
        .order_by(DeliveryRow.created_at, DeliveryRow.id)
        .limit(count)
    )
    if message_type is not None:
        query = query.where(MessageRow.message_type == message_type)
    return query


def _pending_item(message: Row[Any]) -> PendingItem:
    return PendingItem(
        message_id=message.message_id,
        message_type=message.message_type,
        from_organ_id=message.sender,
        document_id=message.document_id,
        received_at=message.received_at,
        size=message.size,
        subject=message.subject,
        status_code=message.status_code,
    )


def _not_found(message_id: str) -> NotFound:
    return NotFound(
        f"no message {message_id!r} is addressed to you; take ids from getPendingDocuments"
    )


def _addressed_to(caller: str, message_id: str, *columns: Any) -> Select[Any]:
    """The caller's delivery of ``message_id``: the one rule for who may fetch or confirm."""
    return (
        select(*columns)
        .join(MessageRow, DeliveryRow.message_id == MessageRow.id)
        .where(MessageRow.message_id == message_id, DeliveryRow.recipient == caller)
    )


def _delivery_id(store: Store, caller: str, message_id: str) -> int:
    with store.read() as connection:
        delivery_id = connection.scalar(_addressed_to(caller, message_id, DeliveryRow.id))
    if delivery_id is None:
        raise _not_found(message_id)
    return delivery_id


def fetch(store: Store, caller: str, message_id: str) -> FetchedDocument:
    """The package bytes as sent; the delivery becomes ``fetched`` (still pending)."""
    with store.read() as connection:
        message = connection.execute(_addressed_to(
            caller, message_id, DeliveryRow.id.label("delivery_id"), *_FETCHED)).first()
        if message is None:
            raise _not_found(message_id)
        delivery_id = message.delivery_id
        document = FetchedDocument(
            message_id=message.message_id,
            message_type=message.message_type,
            from_organ_id=message.sender,
            document_id=message.document_id,
            received_at=message.received_at,
            package=read_package(connection, message.id),
        )
    # The bytes were read outside the write transaction: a big package must not hold the lock.
    _advance(store, delivery_id, "fetched", DeliveryRow.state == "pending")
    return document


def confirm(store: Store, caller: str, message_id: str) -> None:
    """Take the item off the pending list; confirming again changes nothing."""
    delivery_id = _delivery_id(store, caller, message_id)
    _advance(store, delivery_id, "confirmed", DeliveryRow.state != "confirmed")


def _advance(store: Store, delivery_id: int, state: str, allowed: ColumnElement[bool]) -> None:
    """Move a delivery to ``state`` if it is in a state ``allowed`` to: one conditional
    UPDATE, so that concurrent fetches and confirmations (two clients of one agency, two
    gateway processes) can never move it backwards, whatever order they commit in."""
    values = {"state": state, f"{state}_at": utcnow()}

    def work(connection: Connection) -> None:
        connection.execute(
            update(DeliveryRow).where(DeliveryRow.id == delivery_id, allowed).values(**values)
        )

    store.transaction(work)
