"""Builders for new documents and status messages.

Agencies' integrators and the gateway's own tests should not need to know the
XML to send a valid package: these functions take plain Python values (dates,
bytes, agency ids) and fill in what the standard wants (document id, trace
header, business block, manifest paired with attachments by ``cid:N``).
"""

from __future__ import annotations

import dataclasses
import mimetypes
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypedDict, Unpack

from .formats import STATUS_CODES, format_date, format_timestamp, now_vn, parse_date
from .formats import document_id as make_document_id
from .model import (
    Attachment,
    Bussiness,
    BussinessDocumentInfo,
    Code,
    DocumentType,
    MessageHeader,
    Organization,
    OtherInfo,
    Package,
    PromulgationInfo,
    Receiver,
    Reference,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusMessage,
    TraceHeader,
    TraceHeaderList,
)

__all__ = [
    "STATUS_CODES",
    "FileSpec",
    "StatusExtras",
    "new_document",
    "revoke_document",
    "update_document",
    "replace_document",
    "response_for",
    "status_message",
    "arrived",
    "refused",
    "accepted",
    "assigned",
    "processing",
    "finished",
    "take_back",
    "change_accepted",
    "change_refused",
]

FileSpec = tuple[str, bytes] | tuple[str, bytes, str]
"""A file to attach: ``(name, data)`` or ``(name, data, content_type)``."""

NEW, REVOKE, UPDATE, REPLACE = "0", "1", "2", "3"


def new_document(
    *,
    sender: Organization | str,
    recipients: Sequence[Organization | str],
    code_number: str,
    code_notation: str,
    subject: str,
    promulgation_place: str,
    signer_competence: str,
    signer_position: str,
    signer_name: str,
    promulgation_date: date | str | None = None,
    document_type: str = "1",
    type_name: str = "Công văn",
    type_detail: str | None = None,
    content: str | None = None,
    priority: str = "0",
    sphere_of_promulgation: str = "",
    typer_notation: str = "",
    promulgation_amount: str = "1",
    page_amount: str = "1",
    appendixes: Sequence[str] | None = None,
    due_date: date | str | None = None,
    to_places: Sequence[str] | None = None,
    steering_type: str | None = None,
    in_reply_to: Sequence[ResponseFor] = (),
    files: Sequence[FileSpec] = (),
    document_id: str | None = None,
    timestamp: datetime | None = None,
    staff: StaffInfo | None = None,
    bussiness_doc_type: str = NEW,
    bussiness_doc_reason: str = "",
    paper: str = "0",
    previous_document_id: str | None = None,
    replaced_documents: Sequence[ReplacementInfo] | None = None,
    receivers: Sequence[Receiver | str] | None = None,
    document_info: str | None = None,
) -> Package:
    """A document package that is valid per the standard, ready for ``write``.

    ``promulgation_date`` defaults to today in Vietnam, ``document_id`` to the
    standard's ``OrganId,yyyy/MM/dd,CodeNumber/CodeNotation`` and the trace
    header to the sender at ``timestamp`` (default now). ``previous_document_id``
    is ``Bussiness/DocumentId``: the earlier document a revoke, update or replace
    acts on (required for those). ``replaced_documents`` fills
    ReplacementInfoList (replace); ``receivers`` fills BussinessDocumentInfo
    (update; a plain id is a receiver of type "0").
    """
    _check_bussiness(bussiness_doc_type, previous_document_id, replaced_documents)
    from_ = _organization(sender)
    to = [_organization(r) for r in recipients]
    _check_recipients(from_.organ_id, [organization.organ_id for organization in to])
    promulgated = _edxml_date(promulgation_date) or format_date(now_vn())
    header = MessageHeader(
        from_=from_,
        to=to,
        code=Code(code_number, code_notation),
        promulgation_info=PromulgationInfo(promulgation_place, promulgated),
        document_type=DocumentType(document_type, type_name, type_detail),
        subject=subject,
        signer_info=SignerInfo(signer_competence, signer_position, signer_name),
        document_id=document_id or make_document_id(
            from_.organ_id, promulgated, code_number, code_notation
        ),
        content=content,
        due_date=_edxml_date(due_date),
        to_places=None if to_places is None else list(to_places),
        other_info=OtherInfo(
            priority=priority,
            sphere_of_promulgation=sphere_of_promulgation,
            typer_notation=typer_notation,
            promulgation_amount=promulgation_amount,
            page_amount=page_amount,
            appendixes=None if appendixes is None else list(appendixes),
        ),
        response_for=[dataclasses.replace(r) for r in in_reply_to],
        steering_type=steering_type,
    )
    bussiness = Bussiness(
        bussiness_doc_type=bussiness_doc_type,
        bussiness_doc_reason=bussiness_doc_reason,
        paper=paper,
        document_id=previous_document_id,
        staff_info=_staff(staff),
        replacement_info_list=None if replaced_documents is None else [
            dataclasses.replace(r, organ_ids=list(r.organ_ids)) for r in replaced_documents
        ],
        bussiness_document_info=_document_info(bussiness_doc_type, receivers, document_info),
    )
    references, attachments = _files(files)
    return Package(
        header=header,
        trace_header_list=TraceHeaderList(
            [TraceHeader(from_.organ_id, format_timestamp(timestamp or now_vn()))], bussiness
        ),
        references=references,
        attachments=attachments,
    )


def revoke_document(*, previous_document_id: str, reason: str, **fields: Any) -> Package:
    """A revocation (BussinessDocType 1) of ``previous_document_id``; fields as ``new_document``."""
    return new_document(
        bussiness_doc_type=REVOKE,
        previous_document_id=previous_document_id,
        bussiness_doc_reason=reason,
        **fields,
    )


def update_document(
    *,
    previous_document_id: str,
    reason: str,
    receivers: Sequence[Receiver | str] | None = None,
    document_info: str = "1",
    **fields: Any,
) -> Package:
    """An update (BussinessDocType 2) of ``previous_document_id``.

    ``document_info`` "1" says the document's information changed; ``receivers``
    (when given) is the new receiver list and sets DocumentReceiver to "1".
    """
    return new_document(
        bussiness_doc_type=UPDATE,
        previous_document_id=previous_document_id,
        bussiness_doc_reason=reason,
        receivers=receivers,
        document_info=document_info,
        **fields,
    )


def replace_document(
    *,
    previous_document_id: str,
    reason: str,
    replaced_documents: Sequence[ReplacementInfo] | None = None,
    **fields: Any,
) -> Package:
    """A replacement (BussinessDocType 3); by default it replaces ``previous_document_id``
    at every recipient of the new package."""
    if replaced_documents is None:
        recipients = fields.get("recipients") or ()
        ids = [_organization(r).organ_id for r in recipients]
        replaced_documents = [ReplacementInfo(previous_document_id, ids)]
    return new_document(
        bussiness_doc_type=REPLACE,
        previous_document_id=previous_document_id,
        bussiness_doc_reason=reason,
        replaced_documents=replaced_documents,
        **fields,
    )


# -- status messages ----------------------------------------------------------------


def response_for(document: Package, *, organ_id: str | None = None) -> ResponseFor:
    """What a status says it answers: the document's sender (or ``organ_id``), code, date, id."""
    header = document.header
    return ResponseFor(
        organ_id=organ_id if organ_id is not None else header.from_.organ_id,
        code=f"{header.code.code_number}/{header.code.code_notation}",
        promulgation_date=header.promulgation_info.promulgation_date,
        document_id=header.document_id,
    )


def status_message(
    status_code: str,
    *,
    sender: Organization | str,
    document: Package | ResponseFor,
    staff: StaffInfo | None = None,
    description: str | None = None,
    timestamp: datetime | None = None,
    recipient: str | None = None,
) -> StatusMessage:
    """A status about ``document``, routed to ResponseFor/OrganId.

    That is the document's sender, except for 13 (take-back), which the sender
    addresses to one ``recipient`` (required then, when ``document`` is a Package).
    ``recipient`` given for another code overrides ResponseFor/OrganId.
    """
    if status_code not in STATUS_CODES:
        known = ", ".join(STATUS_CODES)
        raise ValueError(f"unknown status code {status_code!r}; the standard's codes are {known}")
    if isinstance(document, Package):
        if status_code == "13" and recipient not in document.recipients:
            raise ValueError(
                f"a take-back (13) is sent to one of the document's recipients"
                f" ({', '.join(document.recipients)}): pass recipient=, not {recipient!r}"
            )
        answered = response_for(document, organ_id=recipient)
    else:
        answered = dataclasses.replace(document)
        if recipient is not None:
            answered.organ_id = recipient
    return StatusMessage(
        from_=_organization(sender),
        response_for=answered,
        status_code=status_code,
        timestamp=format_timestamp(timestamp or now_vn()),
        staff_info=_staff(staff),
        description=description,
    )


class StatusExtras(TypedDict, total=False):
    """Optional keywords of the named status builders (see ``status_message``)."""

    staff: StaffInfo | None
    description: str | None
    timestamp: datetime | None


class _ReasonedExtras(TypedDict, total=False):
    staff: StaffInfo | None
    timestamp: datetime | None


def arrived(
    *, sender: Organization | str, document: Package | ResponseFor, **extra: Unpack[StatusExtras]
) -> StatusMessage:
    """01: the receiving system has the document; no clerk has acted yet."""
    return status_message("01", sender=sender, document=document, **extra)


def refused(
    *,
    sender: Organization | str,
    document: Package | ResponseFor,
    reason: str,
    **extra: Unpack[_ReasonedExtras],
) -> StatusMessage:
    """02: the recipient refuses the document, saying why."""
    return status_message("02", sender=sender, document=document, description=reason, **extra)


def accepted(
    *, sender: Organization | str, document: Package | ResponseFor, **extra: Unpack[StatusExtras]
) -> StatusMessage:
    """03: accepted and registered in the incoming book."""
    return status_message("03", sender=sender, document=document, **extra)


def assigned(
    *, sender: Organization | str, document: Package | ResponseFor, **extra: Unpack[StatusExtras]
) -> StatusMessage:
    """04: assigned to someone for handling."""
    return status_message("04", sender=sender, document=document, **extra)


def processing(
    *, sender: Organization | str, document: Package | ResponseFor, **extra: Unpack[StatusExtras]
) -> StatusMessage:
    """05: being processed."""
    return status_message("05", sender=sender, document=document, **extra)


def finished(
    *, sender: Organization | str, document: Package | ResponseFor, **extra: Unpack[StatusExtras]
) -> StatusMessage:
    """06: handling finished."""
    return status_message("06", sender=sender, document=document, **extra)


def take_back(
    *,
    sender: Organization | str,
    document: Package | ResponseFor,
    recipient: str,
    reason: str,
    **extra: Unpack[_ReasonedExtras],
) -> StatusMessage:
    """13: the original sender asks ``recipient`` to hand the document back, saying why."""
    return status_message(
        "13", sender=sender, document=document, recipient=recipient, description=reason, **extra
    )


def change_accepted(
    *, sender: Organization | str, document: Package | ResponseFor, **extra: Unpack[StatusExtras]
) -> StatusMessage:
    """15: the recipient agrees to an update, take-back or revocation."""
    return status_message("15", sender=sender, document=document, **extra)


def change_refused(
    *,
    sender: Organization | str,
    document: Package | ResponseFor,
    reason: str,
    **extra: Unpack[_ReasonedExtras],
) -> StatusMessage:
    """16: the recipient refuses an update, take-back or revocation, saying why."""
    return status_message("16", sender=sender, document=document, description=reason, **extra)


# -- helpers ------------------------------------------------------------------------


def _organization(value: Organization | str) -> Organization:
    if isinstance(value, Organization):
        return dataclasses.replace(value)
    if isinstance(value, str):
        return Organization(organ_id=value)
    raise TypeError(f"an agency is an Organization or its OrganId, not {type(value).__name__}")


def _staff(staff: StaffInfo | None) -> StaffInfo:
    """Status messages must carry StaffInfo; an unknown clerk is an empty one."""
    if staff is None:
        return StaffInfo()
    return dataclasses.replace(staff)


def _edxml_date(value: date | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return None if value is None else format_date(parse_date(value))
    return format_date(value)


def _check_bussiness(
    doc_type: str, previous: str | None, replaced: Sequence[ReplacementInfo] | None
) -> None:
    if doc_type not in (NEW, REVOKE, UPDATE, REPLACE):
        raise ValueError(
            f"bussiness_doc_type {doc_type!r} is not one of 0 (new), 1 (revoke),"
            " 2 (update), 3 (replace)"
        )
    if doc_type != NEW and not previous:
        raise ValueError("a revoke, update or replace names the earlier document:"
                         " pass previous_document_id=")
    if doc_type == REPLACE and not replaced:
        raise ValueError("a replace lists what it replaces: pass replaced_documents=")


def _check_recipients(sender: str, recipients: list[str]) -> None:
    if not recipients:
        raise ValueError("a document needs at least one recipient (To)")
    if sender in recipients:
        raise ValueError(f"{sender} is the sender; an agency does not send to itself")
    repeated = sorted({r for r in recipients if recipients.count(r) > 1})
    if repeated:
        raise ValueError(f"recipients listed more than once: {', '.join(repeated)}")


def _document_info(
    doc_type: str, receivers: Sequence[Receiver | str] | None, document_info: str | None
) -> BussinessDocumentInfo | None:
    if doc_type != UPDATE and receivers is None and document_info is None:
        return None
    return BussinessDocumentInfo(
        document_info=document_info if document_info is not None else "0",
        document_receiver="1" if receivers else "0",
        receivers=None if receivers is None else [
            dataclasses.replace(r) if isinstance(r, Receiver) else Receiver(r, "0")
            for r in receivers
        ],
    )


def _files(files: Sequence[FileSpec]) -> tuple[list[Reference], list[Attachment]]:
    """Manifest references and attachments, tied by ``cid:1``, ``cid:2``..."""
    references: list[Reference] = []
    attachments: list[Attachment] = []
    for number, spec in enumerate(files, start=1):
        name, data = spec[0], spec[1]
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"file {name!r}: data must be bytes, not {type(data).__name__}")
        content_type = spec[2] if len(spec) > 2 else _guess_type(name)  # type: ignore[misc]
        content_id = f"cid:{number}"
        references.append(Reference(content_id, content_type, name, name))
        attachments.append(Attachment.from_bytes(
            content_id, bytes(data), attachment_name=name, description=name,
            content_type=content_type,
        ))
    return references, attachments


def _guess_type(name: str) -> str:
    return mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
