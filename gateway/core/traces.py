"""How far a document got: per recipient, the delivery state and the statuses it reported.

Only the document's sender may ask; for anyone else the document does not exist.
When one recipient got several packages of the same document (the document,
then an update), its trace shows the first delivery: that is when the document
reached it. The statuses include those about every package of the document.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Connection, select

from gateway.store.db import Store
from gateway.store.models import DeliveryRow, MessageRow, StatusEventRow

from .errors import NotFound
from .results import Staff, StatusEvent, Trace

__all__ = ["traces"]


def traces(store: Store, caller: str, document_id: str) -> list[Trace]:
    with store.read() as connection:
        deliveries = _first_deliveries(connection, caller, document_id)
        if not deliveries:
            raise NotFound(
                f"no document {document_id!r} sent by you is known to this gateway;"
                " traces are kept for the documents you sent"
            )
        statuses = _statuses(connection, caller, document_id)
    return [
        Trace(
            recipient=d.recipient,
            state=d.state,
            delivered_at=d.created_at,
            fetched_at=d.fetched_at,
            confirmed_at=d.confirmed_at,
            statuses=statuses.get(d.recipient, []),
        )
        for d in deliveries
    ]


def _first_deliveries(connection: Connection, sender: str, document_id: str) -> list[DeliveryRow]:
    rows = connection.execute(
        select(DeliveryRow)
        .join(MessageRow, DeliveryRow.message_id == MessageRow.id)
        .where(MessageRow.sender == sender, MessageRow.document_id == document_id,
               MessageRow.message_type == "edoc")
        .order_by(DeliveryRow.id)
    )
    first: dict[str, DeliveryRow] = {}
    for row in rows:
        first.setdefault(row.recipient, row)
    return list(first.values())


def _statuses(
    connection: Connection, sender: str, document_id: str
) -> dict[str, list[StatusEvent]]:
    rows = connection.execute(
        select(StatusEventRow)
        .where(StatusEventRow.document_sender == sender,
               StatusEventRow.document_id == document_id,
               StatusEventRow.to_organ_id == sender)
        .order_by(StatusEventRow.id)
    )
    by_recipient: dict[str, list[StatusEvent]] = defaultdict(list)
    for row in rows:
        by_recipient[row.from_organ_id].append(_event(row))
    for events in by_recipient.values():
        events.sort(key=lambda e: e.timestamp or e.received_at)
    return by_recipient


def _event(row: StatusEventRow) -> StatusEvent:
    has_staff = any((row.staff_department, row.staff_name, row.staff_email, row.staff_mobile))
    staff = Staff(row.staff_department, row.staff_name, row.staff_email, row.staff_mobile)
    return StatusEvent(
        status_code=row.status_code,
        timestamp=row.timestamp,
        received_at=row.received_at,
        description=row.description,
        staff=staff if has_staff else None,
    )
