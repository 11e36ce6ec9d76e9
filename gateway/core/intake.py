"""From package bytes to a ``Submission``: the size limit, parsing, validation, the sender.

Everything here is decided by the package alone (no database): the checks run
in the order that costs least for a bad package, size first, before parsing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from gateway import edxml
from gateway.edxml.formats import parse_timestamp

from .errors import InvalidPackage, MalformedPackage, SenderMismatch, TooLarge
from .results import Staff

__all__ = ["Submission", "StatusReport", "read_submission", "submission_of", "problem_summary"]

DOCUMENT_ID_MAX = 255  # the store's column; real ids are about 50 characters
_SHOWN_PROBLEMS = 5


@dataclass(frozen=True)
class StatusReport:
    """What a status message says, for the status event kept for traces."""

    code: str
    description: str | None
    staff: Staff | None
    timestamp: datetime | None


@dataclass(frozen=True)
class Submission:
    """A package the gateway is about to accept, with what routing and storage need."""

    data: bytes
    sha256: str
    kind: str  # "edoc" | "status"
    sender: str
    document_id: str
    targets: tuple[str, ...]  # edoc: the To OrganIds; status: ResponseFor/OrganId
    doc_type: str | None = None  # BussinessDocType of a document
    subject: str | None = None
    code: str | None = None
    promulgation_date: str | None = None
    status: StatusReport | None = None


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_size(data: bytes, limit: int) -> None:
    if len(data) > limit:
        raise TooLarge(
            f"package is {len(data)} bytes, above this gateway's limit of {limit} bytes;"
            " send large attachments in separate packages or ask the administrator"
        )


def problem_summary(problems: list[edxml.Problem]) -> str:
    """The first few problems with their lines, then how many more: enough to act on."""
    shown = "; ".join(str(p) for p in problems[:_SHOWN_PROBLEMS])
    more = len(problems) - _SHOWN_PROBLEMS
    return shown + (f"; and {more} more problem(s)" if more > 0 else "")


def read_submission(
    data: bytes, caller: str, max_size: int, sha256: str | None = None
) -> tuple[edxml.ParsedXml, Submission]:
    """Parse, validate and read ``data`` sent by ``caller`` (whose size was checked with
    ``check_size``); raise the fault it deserves."""
    try:
        parsed = edxml.parse(data, edxml.ReaderSettings(max_size=max_size))
    except edxml.MalformedPackage as exc:
        raise MalformedPackage(
            f"package is not a usable edXML file: {problem_summary(exc.problems)}",
            rule_ids=exc.rule_ids,
        ) from None
    problems = edxml.validate(parsed)
    if problems:
        raise InvalidPackage(
            f"package breaks {len(problems)} edXML rule(s): {problem_summary(problems)}",
            rule_ids=[p.rule_id for p in problems],
        )
    try:
        message = edxml.read(parsed)
    except edxml.EdxmlError as exc:
        fault = MalformedPackage if isinstance(exc, edxml.MalformedPackage) else InvalidPackage
        raise fault(f"package cannot be read: {problem_summary(exc.problems)}",
                    rule_ids=exc.rule_ids) from None
    if message.sender != caller:
        raise SenderMismatch(
            f"package says it is from {message.sender!r} (From/OrganId) but you signed in as"
            f" {caller!r}; an agency sends only as itself: correct From/OrganId"
        )
    return parsed, submission_of(message, data, sha256)


def submission_of(
    message: edxml.Package | edxml.StatusMessage, data: bytes, sha256: str | None = None
) -> Submission:
    """What routing and storage need from a read message; ``sha256`` of ``data`` if known."""
    digest = sha256 or sha256_of(data)
    if isinstance(message, edxml.StatusMessage):
        return _status_submission(message, data, digest)
    return _document_submission(message, data, digest)


def _document_submission(package: edxml.Package, data: bytes, digest: str) -> Submission:
    header = package.header
    document_id = _document_id(package.document_id, "MessageHeader/DocumentId")
    return Submission(
        data=data,
        sha256=digest,
        kind="edoc",
        sender=package.sender,
        document_id=document_id,
        targets=tuple(dict.fromkeys(r.strip() for r in package.recipients)),
        doc_type=package.bussiness_doc_type,
        subject=header.subject,
        code=f"{header.code.code_number}/{header.code.code_notation}",
        promulgation_date=header.promulgation_info.promulgation_date,
    )


def _status_submission(message: edxml.StatusMessage, data: bytes, digest: str) -> Submission:
    code = message.status_code.strip()  # validate() has checked it (EDX-STATUS-001)
    document_id = _document_id(message.document_id, "ResponseFor/DocumentId")
    info = message.staff_info
    staff = Staff(info.department, info.staff, info.email, info.mobile) if info else None
    return Submission(
        data=data,
        sha256=digest,
        kind="status",
        sender=message.sender,
        document_id=document_id,
        targets=(message.recipient.strip(),),
        status=StatusReport(code, message.description, staff, _timestamp(message.timestamp)),
    )


def _document_id(value: str | None, where: str) -> str:
    document_id = (value or "").strip()
    if not document_id:
        raise InvalidPackage(f"{where} is empty; the gateway routes by it, give the document's id")
    if len(document_id) > DOCUMENT_ID_MAX:
        raise InvalidPackage(
            f"{where} is {len(document_id)} characters long; this gateway keeps at most"
            f" {DOCUMENT_ID_MAX}: use the standard's OrganId,yyyy/MM/dd,Number/Notation form"
        )
    return document_id


def _timestamp(value: str | None) -> datetime | None:
    try:
        return parse_timestamp((value or "").strip())
    except ValueError:
        return None
