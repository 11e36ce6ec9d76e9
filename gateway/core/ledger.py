"""Recording accepted packages and reading them back: the only code that writes messages.

A package, its deliveries, its document keys and its status event are written
in one transaction. The invariants (one package per sender and content, one
document per recipient and BussinessDocType) are UNIQUE constraints; when a
concurrent writer wins a race, the transaction is retried (``Store.transaction``)
and then sees the winner's rows, so the answer is the same as if the two had come
in order. Document keys are inserted in one global order (sorted by recipient)
so that two racing packages to the same recipients wait for each other instead
of deadlocking.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, insert, select

from gateway.store.db import Store
from gateway.store.models import DeliveryRow, DocumentKeyRow, MessageRow, StatusEventRow
from gateway.store.packages import insert_package

from .errors import DuplicateDocumentId
from .intake import Submission
from .results import Receipt, SignatureState
from .routing import Plan, plan

__all__ = ["utcnow", "record", "find_duplicate", "receipt_of"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def record(
    store: Store, submissions: list[Submission], signature: SignatureState
) -> list[Receipt]:
    """Store the submissions together (all or none); duplicates give their original receipt."""

    def work(connection: Connection) -> list[Receipt]:
        now = utcnow()
        return [_record_one(connection, s, signature, now) for s in submissions]

    return store.transaction(work, retry_unique=True)


def _record_one(
    connection: Connection, submission: Submission, signature: SignatureState, now: datetime
) -> Receipt:
    routing = prepare(connection, submission)
    if isinstance(routing, Receipt):
        return routing
    message = _message_row(submission, signature, routing, now)
    message.id = connection.execute(_INSERT_MESSAGE, _values(message)).scalar_one()
    insert_package(connection, message.id, submission.data)
    deliveries = connection.execute(_INSERT_DELIVERIES, [
        {"message_id": message.id, "recipient": recipient, "state": "pending", "created_at": now}
        for recipient in routing.deliver_to
    ]).all()
    if submission.kind == "edoc":
        connection.execute(_INSERT_KEYS, [  # inserted in this order: see the module docstring
            {"sender": submission.sender, "document_id": submission.document_id,
             "doc_type": submission.doc_type, "recipient": recipient, "delivery_id": delivery_id}
            for delivery_id, recipient in sorted(deliveries, key=lambda d: d.recipient)
        ])
    if submission.status is not None:
        event = _status_event(message, submission, routing, now)
        connection.execute(_INSERT_STATUS, _values(event))
    return _receipt(message, [recipient for _, recipient in deliveries])


# The rows are written with INSERT statements built once (the ORM's unit of work cost a
# tenth of a small send); the mapped classes still describe them (docs/performance.md).
_INSERT_MESSAGE = insert(MessageRow.__table__).returning(MessageRow.__table__.c.id)
_INSERT_DELIVERIES = insert(DeliveryRow.__table__).returning(
    DeliveryRow.__table__.c.id, DeliveryRow.__table__.c.recipient, sort_by_parameter_order=True
)
_INSERT_KEYS = insert(DocumentKeyRow.__table__)
_INSERT_STATUS = insert(StatusEventRow.__table__)


def _values(row: MessageRow | StatusEventRow) -> dict[str, object]:
    """The column values of a mapped row object, for its INSERT statement."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns
            if getattr(row, column.key) is not None or not column.primary_key}


def prepare(connection: Connection, submission: Submission) -> Receipt | Plan:
    """The original receipt of an identical package, else the plan (or the refusing fault).

    Run inside the write transaction, so that what it reads holds when the rows are written.
    """
    original = find_duplicate(connection, submission.sender, submission.sha256)
    if original is not None:
        return original
    try:
        return plan(connection, submission)
    except DuplicateDocumentId:
        # Under READ COMMITTED (PostgreSQL) the identical package may have been committed
        # between the two queries: then this is its resend, not a refused document.
        original = find_duplicate(connection, submission.sender, submission.sha256)
        if original is not None:
            return original
        raise


def _message_row(
    submission: Submission, signature: SignatureState, routing: Plan, now: datetime
) -> MessageRow:
    return MessageRow(
        message_id=str(uuid.uuid4()),
        message_type=submission.kind,
        sender=submission.sender,
        document_id=submission.document_id,
        doc_type=submission.doc_type,
        subject=submission.subject,
        code=submission.code,
        promulgation_date=submission.promulgation_date,
        status_code=submission.status.code if submission.status else None,
        sha256=submission.sha256,
        size=len(submission.data),
        received_at=now,
        signature_state=signature.state,
        signature_subject=signature.signer_subject,
        signature_reason=signature.reason,
        already_delivered=" ".join(routing.already_delivered),
    )


def _status_event(
    message: MessageRow, submission: Submission, routing: Plan, now: datetime
) -> StatusEventRow:
    status = submission.status
    assert status is not None and routing.document_sender is not None
    staff = status.staff
    return StatusEventRow(
        message_id=message.id,
        document_sender=routing.document_sender,
        document_id=submission.document_id,
        from_organ_id=submission.sender,
        to_organ_id=submission.targets[0],
        status_code=status.code,
        description=status.description,
        staff_department=staff.department if staff else None,
        staff_name=staff.name if staff else None,
        staff_email=staff.email if staff else None,
        staff_mobile=staff.mobile if staff else None,
        timestamp=status.timestamp,
        received_at=now,
    )


# Built once, with parameters: building a statement and its cache key cost SQLAlchemy
# twice what running it does, and these run on every send (docs/performance.md).
_SENT_BEFORE = select(MessageRow.id).where(
    MessageRow.sender == bindparam("sender"), MessageRow.sha256 == bindparam("sha256")
)
_RECIPIENTS = select(DeliveryRow.recipient).where(
    DeliveryRow.message_id == bindparam("message_id")
).order_by(DeliveryRow.id)


def find_duplicate(connection: Connection, sender: str, sha256: str) -> Receipt | None:
    """The original receipt when ``sender`` already sent exactly these bytes."""
    found = connection.scalar(_SENT_BEFORE, {"sender": sender, "sha256": sha256})
    if found is None:
        return None
    message = connection.execute(select(MessageRow).where(MessageRow.id == found)).one()
    return replace(receipt_of(connection, message), duplicate=True)


def receipt_of(connection: Connection, message: MessageRow) -> Receipt:
    recipients = list(connection.scalars(_RECIPIENTS, {"message_id": message.id}))
    return _receipt(message, recipients)


def _receipt(message: MessageRow, recipients: list[str]) -> Receipt:
    """The receipt of ``message`` delivered to ``recipients`` (in delivery order)."""
    return Receipt(
        message_id=message.message_id,
        message_type=message.message_type,
        document_id=message.document_id,
        received_at=message.received_at,
        recipients=recipients,
        already_delivered=message.already_delivered.split(),
        signature=SignatureState(
            message.signature_state, message.signature_subject, message.signature_reason
        ),
    )
