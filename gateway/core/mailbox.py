"""A recipient's side: what is waiting, fetching it, confirming it.

Every query is scoped to the caller's own deliveries, so a message id that
belongs to someone else is indistinguishable from one that does not exist.
An item stays pending until confirmed (fetching alone does not remove it): a
client that crashes between fetching and storing loses nothing.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import undefer

from gateway.store.db import Store
from gateway.store.models import DeliveryRow, MessageRow

from .errors import InvalidRequest, NotFound
from .ledger import utcnow
from .results import FetchedDocument, PendingItem

__all__ = ["pending", "fetch", "confirm", "DEFAULT_LIMIT", "MAX_LIMIT", "MESSAGE_TYPES"]

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MESSAGE_TYPES = ("edoc", "status")
_WAITING = ("pending", "fetched")


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
    count = _check_query(message_type, limit)
    query = (
        select(DeliveryRow.id, MessageRow)
        .join(MessageRow, DeliveryRow.message_id == MessageRow.id)
        .where(DeliveryRow.recipient == caller, DeliveryRow.state.in_(_WAITING))
        .order_by(DeliveryRow.created_at, DeliveryRow.id)
        .limit(count)
    )
    if message_type is not None:
        query = query.where(MessageRow.message_type == message_type)
    with store.read() as session:
        return [_pending_item(message) for _, message in session.execute(query)]


def _pending_item(message: MessageRow) -> PendingItem:
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


def _delivery_id(store: Store, caller: str, message_id: str) -> int:
    with store.read() as session:
        delivery_id = session.scalar(
            select(DeliveryRow.id)
            .join(MessageRow, DeliveryRow.message_id == MessageRow.id)
            .where(MessageRow.message_id == message_id, DeliveryRow.recipient == caller)
        )
    if delivery_id is None:
        raise _not_found(message_id)
    return delivery_id


def fetch(store: Store, caller: str, message_id: str) -> FetchedDocument:
    """The package bytes as sent; the delivery becomes ``fetched`` (still pending)."""
    with store.read() as session:
        row = session.execute(
            select(DeliveryRow.id, MessageRow)
            .join(MessageRow, DeliveryRow.message_id == MessageRow.id)
            .where(MessageRow.message_id == message_id, DeliveryRow.recipient == caller)
            .options(undefer(MessageRow.package))
        ).first()
        if row is None:
            raise _not_found(message_id)
        delivery_id, message = row
        document = FetchedDocument(
            message_id=message.message_id,
            message_type=message.message_type,
            from_organ_id=message.sender,
            document_id=message.document_id,
            received_at=message.received_at,
            package=message.package,
        )
    # The bytes were read outside the write transaction: a big package must not hold the lock.
    with store.write() as session:
        session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery_id, DeliveryRow.state == "pending")
            .values(state="fetched", fetched_at=utcnow())
        )
    return document


def confirm(store: Store, caller: str, message_id: str) -> None:
    """Take the item off the pending list; confirming again changes nothing."""
    delivery_id = _delivery_id(store, caller, message_id)
    with store.write() as session:
        session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery_id, DeliveryRow.state != "confirmed")
            .values(state="confirmed", confirmed_at=utcnow())
        )
