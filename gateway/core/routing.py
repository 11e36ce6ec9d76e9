"""Who a package goes to, and who may send a status on which document.

Authorization answers follow one rule: an agency that has nothing to do with a
document gets ``NotFound``, the same answer as for a document that does not
exist, so it learns nothing. ``NotAuthorized`` is only for an agency that is a
party to the document (it sent or received it) asking for what its role does
not allow: a recipient sending 13, or the sender reporting 01-06, 15 or 16.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, bindparam, select

from gateway.store.models import AgencyRow, DeliveryRow, DocumentKeyRow, MessageRow

from .errors import DuplicateDocumentId, NotAuthorized, NotFound, UnknownRecipient
from .intake import Submission

__all__ = [
    "Plan",
    "plan",
    "TAKE_BACK",
    "RECIPIENT_CODES",
    "document_senders_to",
    "document_recipients",
    "party_error",
]

TAKE_BACK = "13"
RECIPIENT_CODES = frozenset({"01", "02", "03", "04", "05", "06", "15", "16"})


@dataclass(frozen=True)
class Plan:
    """What storing a submission will do."""

    deliver_to: list[str]
    already_delivered: list[str]
    document_sender: str | None = None  # whose document a status is about


def plan(connection: Connection, submission: Submission) -> Plan:
    """Check recipients and authorization; raise the fault that refuses the submission."""
    check_recipients(connection, submission.targets)
    if submission.kind == "status":
        return _plan_status(connection, submission)
    return _plan_document(connection, submission)


# Statements run on every send are built once, with parameters: building a statement
# and its cache key cost SQLAlchemy twice what running it does (docs/performance.md).
_ACTIVE = select(AgencyRow.organ_id).where(
    AgencyRow.organ_id.in_(bindparam("organ_ids", expanding=True)), AgencyRow.active.is_(True)
)
_DELIVERED_TO = select(DocumentKeyRow.recipient).where(
    DocumentKeyRow.sender == bindparam("sender"),
    DocumentKeyRow.document_id == bindparam("document_id"),
    DocumentKeyRow.doc_type == bindparam("doc_type"),
    DocumentKeyRow.recipient.in_(bindparam("targets", expanding=True)),
)


def check_recipients(connection: Connection, organ_ids: tuple[str, ...]) -> None:
    active = set(connection.scalars(_ACTIVE, {"organ_ids": list(organ_ids)}))
    unknown = [organ_id for organ_id in organ_ids if organ_id not in active]
    if unknown:
        raise UnknownRecipient(
            f"recipient(s) {', '.join(unknown)} are not registered on this gateway or are"
            " disabled; nothing was sent. Check the OrganIds (getOrganizations lists them)"
        )


def _plan_document(connection: Connection, submission: Submission) -> Plan:
    have = set(connection.scalars(_DELIVERED_TO, {
        "sender": submission.sender, "document_id": submission.document_id,
        "doc_type": submission.doc_type, "targets": list(submission.targets),
    }))
    new = [r for r in submission.targets if r not in have]
    old = [r for r in submission.targets if r in have]
    if not new:
        raise DuplicateDocumentId(
            f"document {submission.document_id!r} (BussinessDocType {submission.doc_type}) was"
            f" already delivered to every recipient named ({', '.join(old)}); to change it send"
            " an update (2), replacement (3) or revocation (1), or give it a new DocumentId"
        )
    return Plan(deliver_to=new, already_delivered=old)


def _plan_status(connection: Connection, submission: Submission) -> Plan:
    assert submission.status is not None
    caller, target, document_id = submission.sender, submission.targets[0], submission.document_id
    if submission.status.code == TAKE_BACK:
        if target not in document_recipients(connection, caller, document_id):
            raise party_error(connection, caller, document_id, sender_role=True)
        return Plan(deliver_to=[target], already_delivered=[], document_sender=caller)
    if target not in document_senders_to(connection, caller, document_id):
        raise party_error(connection, caller, document_id, sender_role=False)
    return Plan(deliver_to=[target], already_delivered=[], document_sender=target)


def document_senders_to(connection: Connection, recipient: str, document_id: str) -> list[str]:
    """Who sent ``document_id`` to ``recipient`` (normally one agency), oldest first."""
    rows = connection.execute(
        select(MessageRow.sender)
        .join(DeliveryRow, and_(DeliveryRow.message_id == MessageRow.id,
                                DeliveryRow.recipient == recipient))
        .where(MessageRow.document_id == document_id, MessageRow.message_type == "edoc")
        .order_by(MessageRow.id)
    )
    return list(dict.fromkeys(row.sender for row in rows))


def document_recipients(connection: Connection, sender: str, document_id: str) -> list[str]:
    """Every agency ``sender`` delivered ``document_id`` to, in delivery order."""
    rows = connection.execute(
        select(DeliveryRow.recipient)
        .join(MessageRow, DeliveryRow.message_id == MessageRow.id)
        .where(MessageRow.sender == sender, MessageRow.document_id == document_id,
               MessageRow.message_type == "edoc")
        .order_by(DeliveryRow.id)
    )
    return list(dict.fromkeys(row.recipient for row in rows))


def party_error(
    connection: Connection, caller: str, document_id: str, *, sender_role: bool
) -> NotAuthorized | NotFound:
    """The fault for a status the caller may not send: see the module docstring."""
    if sender_role and document_senders_to(connection, caller, document_id):
        return NotAuthorized(
            f"take-back (13) on {document_id!r} is requested by the document's original sender;"
            " as a recipient, answer with 01-06, 15 or 16"
        )
    if not sender_role and document_recipients(connection, caller, document_id):
        return NotAuthorized(
            f"status codes 01-06, 15 and 16 on {document_id!r} are reported by its recipients;"
            " as its sender you can request a take-back (13)"
        )
    role = "sent by you to that agency" if sender_role else "delivered to you by that agency"
    return NotFound(f"no document {document_id!r} {role} is known to this gateway")
