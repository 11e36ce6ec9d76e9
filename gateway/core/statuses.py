"""Status messages the gateway writes for a caller who reports a status with typed fields.

``updateStatus`` is for systems that do not write status .edxml files: the
gateway builds the standard's status message from the typed fields and then
treats it exactly like a status package the caller sent (same routing, same
authorization, same storage), so both paths follow one set of rules.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, select

from gateway import edxml
from gateway.edxml.formats import STATUS_CODES
from gateway.store.db import Store
from gateway.store.models import AgencyRow, MessageRow

from .errors import InvalidRequest
from .intake import Submission, problem_summary, submission_of
from .results import Staff
from .routing import TAKE_BACK, document_recipients, document_senders_to, party_error

__all__ = ["status_submissions"]


def status_submissions(
    store: Store,
    caller: str,
    document_id: str,
    status_code: str,
    *,
    description: str | None = None,
    staff: Staff | None = None,
    timestamp: datetime | None = None,
) -> list[Submission]:
    """One status message per party the status goes to (13 goes to every recipient)."""
    if status_code not in STATUS_CODES:
        raise InvalidRequest(
            f"statusCode {status_code!r} is not a known status; use one of"
            f" {', '.join(STATUS_CODES)}"
        )
    if not isinstance(document_id, str) or not document_id.strip():
        raise InvalidRequest("documentId is empty; give the DocumentId of the document")
    document_id = document_id.strip()
    with store.read() as connection:
        answered = _answered(connection, caller, document_id, status_code)
        sender = _organization(connection, caller)
    info = None
    if staff is not None:
        info = edxml.StaffInfo(staff.department, staff.name, staff.email, staff.mobile)
    when = _aware(timestamp)
    return [
        _build(status_code, sender, response_for, info, description, when)
        for response_for in answered
    ]


def _answered(
    connection: Connection, caller: str, document_id: str, status_code: str
) -> list[edxml.ResponseFor]:
    """ResponseFor of each status to write; raises when the caller may not report this."""
    if status_code == TAKE_BACK:
        targets = document_recipients(connection, caller, document_id)
        owner = caller
    else:
        targets = document_senders_to(connection, caller, document_id)
        if len(targets) > 1:
            raise InvalidRequest(
                f"{document_id!r} was sent to you by several agencies ({', '.join(targets)});"
                " send a status package naming the one you answer in ResponseFor/OrganId"
            )
        owner = targets[0] if targets else caller
    if not targets:
        raise party_error(connection, caller, document_id, sender_role=status_code == TAKE_BACK)
    original = connection.execute(
        select(MessageRow)
        .where(MessageRow.sender == owner, MessageRow.document_id == document_id,
               MessageRow.message_type == "edoc")
        .order_by(MessageRow.id)
    ).first()
    assert original is not None
    return [
        edxml.ResponseFor(organ_id=target, code=original.code,
                          promulgation_date=original.promulgation_date, document_id=document_id)
        for target in targets
    ]


def _organization(connection: Connection, organ_id: str) -> edxml.Organization:
    agency = connection.execute(
        select(AgencyRow.name).where(AgencyRow.organ_id == organ_id)
    ).first()
    name = agency.name if agency is not None else None
    return edxml.Organization(organ_id=organ_id, organ_name=name)


def _aware(timestamp: datetime | None) -> datetime | None:
    """A naive timestamp is taken as UTC, like every datetime the core handles."""
    if timestamp is not None and timestamp.tzinfo is None:
        return timestamp.replace(tzinfo=UTC)
    return timestamp


def _build(
    status_code: str,
    sender: edxml.Organization,
    response_for: edxml.ResponseFor,
    staff: edxml.StaffInfo | None,
    description: str | None,
    timestamp: datetime | None,
) -> Submission:
    message = edxml.status_message(
        status_code, sender=sender, document=response_for, staff=staff,
        description=description, timestamp=timestamp,
    )
    data = edxml.write(message)
    problems = edxml.validate(edxml.parse(data))
    if problems:
        raise InvalidRequest(
            f"the status cannot be written as a valid edXML status message:"
            f" {problem_summary(problems)}",
            rule_ids=[p.rule_id for p in problems],
        )
    return submission_of(message, data)
