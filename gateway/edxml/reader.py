"""Bytes in, model out.

Real packages come from many vendors' software, so the reader is lenient about
form and strict about substance: children are found by local name in any order
and any namespace (``Signature`` with or without XML-DSig, ``AttachmentEncoded``
prefixed or not), text is kept exactly as carried, and only an element the model
cannot do without (``From``, ``OrganId``, ``DocumentId``...) stops reading. When
that happens every such gap is reported at once, with the line to fix, as
``MalformedPackage``; the schema details are the validator's job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from lxml import etree

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
    TextInPackage,
    TraceHeader,
    TraceHeaderList,
)
from .parse import DEFAULT_SETTINGS, ParsedXml, ReaderSettings, parse
from .problems import MalformedPackage, Problem

__all__ = ["read", "read_package", "read_status"]

MISSING_RULE = "EDX-XML-005"
WRONG_KIND_RULE = "EDX-XML-006"

_PHANTOM = "_missing_"  # stands in for a missing required container; its gaps are not reported
T = TypeVar("T")


def read(
    data: bytes | ParsedXml, settings: ReaderSettings = DEFAULT_SETTINGS
) -> Package | StatusMessage:
    """Read a package or a status message; raises ``MalformedPackage`` when unreadable."""
    parsed = data if isinstance(data, ParsedXml) else parse(data, settings)
    reader = _Reader(parsed)
    build = reader.status if parsed.kind == "status" else reader.package
    message = build(parsed.tree)
    if reader.problems:
        raise MalformedPackage(reader.problems)
    return message


def read_package(data: bytes | ParsedXml, settings: ReaderSettings = DEFAULT_SETTINGS) -> Package:
    """Read a document package; a status message here is a ``MalformedPackage``."""
    message = read(data, settings)
    if not isinstance(message, Package):
        raise MalformedPackage([Problem(
            WRONG_KIND_RULE,
            "expected a document package but this is a status message (its MessageHeader"
            " has StatusCode); send it as a status, or send the document itself",
        )])
    return message


def read_status(
    data: bytes | ParsedXml, settings: ReaderSettings = DEFAULT_SETTINGS
) -> StatusMessage:
    """Read a status message; a document package here is a ``MalformedPackage``."""
    message = read(data, settings)
    if not isinstance(message, StatusMessage):
        raise MalformedPackage([Problem(
            WRONG_KIND_RULE,
            "expected a status message but this is a document package (its MessageHeader"
            " has no StatusCode); add StatusCode, or send it as a document",
        )])
    return message


def _local(el: etree._Element) -> str | None:
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else None


def _text_of(el: etree._Element) -> str:
    """All text inside ``el`` (comments skipped); ``""`` for an empty element."""
    if len(el) == 0:
        return el.text or ""
    return "".join(el.itertext())


class _Reader:
    """One reading pass; collects every missing required element instead of stopping.

    Attachment texts that ``parsed`` leaves in its bytes (``ParsedXml.in_place``) stay
    there: the model gets a ``TextInPackage``, not a copy.
    """

    def __init__(self, parsed: ParsedXml) -> None:
        self.problems: list[Problem] = []
        self.data = parsed.data
        self.in_place = parsed.in_place

    # -- navigation -----------------------------------------------------------------

    def all(self, parent: etree._Element, name: str) -> list[etree._Element]:
        return [child for child in parent if _local(child) == name]

    def opt(self, parent: etree._Element, name: str) -> etree._Element | None:
        for child in parent:
            if _local(child) == name:
                return child
        return None

    def req(self, parent: etree._Element, name: str) -> etree._Element:
        found = self.opt(parent, name)
        if found is not None:
            return found
        self.missing(parent, name)
        return etree.Element(_PHANTOM)

    def missing(self, parent: etree._Element, name: str) -> None:
        if parent.tag == _PHANTOM:
            return
        line = parent.sourceline
        self.problems.append(Problem(
            MISSING_RULE,
            f"required element {name} is missing from {_local(parent)}"
            f"{f' at line {line}' if line else ''}; add it",
            line,
        ))

    def text(self, parent: etree._Element, name: str) -> str | None:
        found = self.opt(parent, name)
        return None if found is None else _text_of(found)

    def req_text(self, parent: etree._Element, name: str) -> str:
        found = self.opt(parent, name)
        if found is None:
            self.missing(parent, name)
            return ""
        return _text_of(found)

    def texts(self, parent: etree._Element, container: str, item: str) -> list[str] | None:
        found = self.opt(parent, container)
        return None if found is None else [_text_of(el) for el in self.all(found, item)]

    def maybe(
        self, parent: etree._Element, name: str, build: Callable[[etree._Element], T]
    ) -> T | None:
        found = self.opt(parent, name)
        return None if found is None else build(found)

    # -- status messages ------------------------------------------------------------

    def message_header(self, root: etree._Element) -> etree._Element:
        envelope = self.req(root, "edXMLEnvelope")
        return self.req(self.req(envelope, "edXMLHeader"), "MessageHeader")

    def status(self, root: etree._Element) -> StatusMessage:
        header = self.message_header(root)
        return StatusMessage(
            from_=self.organization(self.req(header, "From")),
            response_for=self.response_for(self.req(header, "ResponseFor")),
            status_code=self.req_text(header, "StatusCode"),
            timestamp=self.req_text(header, "Timestamp"),
            staff_info=self.maybe(header, "StaffInfo", self.staff_info),
            description=self.text(header, "Description"),
            signature_xml=self.signature(root),
        )

    # -- document packages ----------------------------------------------------------

    def package(self, root: etree._Element) -> Package:
        envelope = self.req(root, "edXMLEnvelope")
        header = self.req(envelope, "edXMLHeader")
        body = self.opt(envelope, "edXMLBody")
        manifest = None if body is None else self.opt(body, "edXMLManifest")
        return Package(
            header=self.document_header(self.req(header, "MessageHeader")),
            trace_header_list=self.maybe(header, "TraceHeaderList", self.trace_header_list),
            references=[] if manifest is None else [
                self.reference(el) for el in self.all(manifest, "Reference")
            ],
            attachments=self.attachments(root, envelope),
            manifest_version=None if manifest is None else manifest.get("version"),
            has_body=body is not None,
            signature_xml=self.signature(root),
        )

    def document_header(self, el: etree._Element) -> MessageHeader:
        return MessageHeader(
            from_=self.organization(self.req(el, "From")),
            to=[self.organization(to) for to in self.all(el, "To")],
            code=self.code(self.req(el, "Code")),
            promulgation_info=self.promulgation_info(self.req(el, "PromulgationInfo")),
            document_type=self.document_type(self.req(el, "DocumentType")),
            subject=self.req_text(el, "Subject"),
            signer_info=self.signer_info(self.req(el, "SignerInfo")),
            document_id=self.req_text(el, "DocumentId"),
            content=self.text(el, "Content"),
            due_date=self.text(el, "DueDate"),
            to_places=self.texts(el, "ToPlaces", "Place"),
            other_info=self.maybe(el, "OtherInfo", self.other_info),
            response_for=[self.response_for(r) for r in self.all(el, "ResponseFor")],
            steering_type=self.text(el, "SteeringType"),
        )

    def organization(self, el: etree._Element) -> Organization:
        return Organization(
            organ_id=self.req_text(el, "OrganId"),
            organization_in_charge=self.text(el, "OrganizationInCharge"),
            organ_name=self.text(el, "OrganName"),
            organ_add=self.text(el, "OrganAdd"),
            email=self.text(el, "Email"),
            telephone=self.text(el, "Telephone"),
            fax=self.text(el, "Fax"),
            website=self.text(el, "Website"),
        )

    def code(self, el: etree._Element) -> Code:
        return Code(self.req_text(el, "CodeNumber"), self.req_text(el, "CodeNotation"))

    def promulgation_info(self, el: etree._Element) -> PromulgationInfo:
        return PromulgationInfo(self.req_text(el, "Place"), self.req_text(el, "PromulgationDate"))

    def document_type(self, el: etree._Element) -> DocumentType:
        return DocumentType(
            type=self.req_text(el, "Type"),
            type_name=self.req_text(el, "TypeName"),
            type_detail=self.text(el, "TypeDetail"),
        )

    def signer_info(self, el: etree._Element) -> SignerInfo:
        return SignerInfo(
            competence=self.req_text(el, "Competence"),
            position=self.req_text(el, "Position"),
            full_name=self.req_text(el, "FullName"),
        )

    def other_info(self, el: etree._Element) -> OtherInfo:
        return OtherInfo(
            priority=self.text(el, "Priority"),
            sphere_of_promulgation=self.text(el, "SphereOfPromulgation"),
            typer_notation=self.text(el, "TyperNotation"),
            promulgation_amount=self.text(el, "PromulgationAmount"),
            page_amount=self.text(el, "PageAmount"),
            direction=self.text(el, "Direction"),
            appendixes=self.texts(el, "Appendixes", "Appendix"),
        )

    def response_for(self, el: etree._Element) -> ResponseFor:
        return ResponseFor(
            organ_id=self.req_text(el, "OrganId"),
            code=self.text(el, "Code"),
            promulgation_date=self.text(el, "PromulgationDate"),
            document_id=self.text(el, "DocumentId"),
        )

    def staff_info(self, el: etree._Element) -> StaffInfo:
        return StaffInfo(
            department=self.text(el, "Department"),
            staff=self.text(el, "Staff"),
            email=self.text(el, "Email"),
            mobile=self.text(el, "Mobile"),
        )

    # -- trace and business ---------------------------------------------------------

    def trace_header_list(self, el: etree._Element) -> TraceHeaderList:
        return TraceHeaderList(
            trace_headers=[
                TraceHeader(self.req_text(t, "OrganId"), self.req_text(t, "Timestamp"))
                for t in self.all(el, "TraceHeader")
            ],
            bussiness=self.maybe(el, "Bussiness", self.bussiness),
        )

    def bussiness(self, el: etree._Element) -> Bussiness:
        replacements = self.opt(el, "ReplacementInfoList")
        return Bussiness(
            bussiness_doc_type=self.req_text(el, "BussinessDocType"),
            bussiness_doc_reason=self.text(el, "BussinessDocReason"),
            paper=self.text(el, "Paper"),
            document_id=self.text(el, "DocumentId"),
            staff_info=self.maybe(el, "StaffInfo", self.staff_info),
            replacement_info_list=None if replacements is None else [
                self.replacement_info(r) for r in self.all(replacements, "ReplacementInfo")
            ],
            bussiness_document_info=self.maybe(
                el, "BussinessDocumentInfo", self.bussiness_document_info
            ),
        )

    def replacement_info(self, el: etree._Element) -> ReplacementInfo:
        organ_ids = self.texts(el, "OrganIdList", "OrganId")
        return ReplacementInfo(self.req_text(el, "DocumentId"), organ_ids or [])

    def bussiness_document_info(self, el: etree._Element) -> BussinessDocumentInfo:
        receivers = self.opt(el, "ReceiverList")
        return BussinessDocumentInfo(
            document_info=self.text(el, "DocumentInfo"),
            document_receiver=self.text(el, "DocumentReceiver"),
            receivers=None if receivers is None else [
                Receiver(self.req_text(r, "OrganId"), self.text(r, "ReceiverType"))
                for r in self.all(receivers, "Receiver")
            ],
        )

    # -- body, attachments, signature -----------------------------------------------

    def reference(self, el: etree._Element) -> Reference:
        return Reference(
            content_id=self.req_text(el, "ContentId"),
            content_type=self.text(el, "ContentType"),
            description=self.text(el, "Description"),
            attachment_name=self.text(el, "AttachmentName"),
        )

    def attachments(self, root: etree._Element, envelope: etree._Element) -> list[Attachment]:
        """AttachmentEncoded is the root's child; some writers nest it in the envelope."""
        encoded = self.opt(root, "AttachmentEncoded")
        if encoded is None:
            encoded = self.opt(envelope, "AttachmentEncoded")
        if encoded is None:
            return []
        return [self.attachment(el) for el in self.all(encoded, "Attachment")]

    def attachment(self, el: etree._Element) -> Attachment:
        return Attachment(
            content_id=self.req_text(el, "ContentId"),
            encoded=self.encoded(el),
            attachment_name=self.text(el, "AttachmentName"),
            description=self.text(el, "Description"),
            content_type=self.text(el, "ContentType"),
        )

    def encoded(self, el: etree._Element) -> str | TextInPackage:
        found = self.opt(el, "ContentTransferEncoded")
        span = None if found is None else self.in_place.get(found)
        if span is None:
            return self.req_text(el, "ContentTransferEncoded")
        return TextInPackage(self.data, *span)

    def signature(self, root: etree._Element) -> bytes | None:
        """The Signature as exclusive-c14n bytes, so that re-reading written output is stable.

        It belongs in edXMLHeader; the envelope and the root are searched too
        because the signature's place is where vendors disagree most.
        """
        envelope = self.opt(root, "edXMLEnvelope")
        header = None if envelope is None else self.opt(envelope, "edXMLHeader")
        for parent in (header, envelope, root):
            found = None if parent is None else self.opt(parent, "Signature")
            if found is not None:
                return etree.tostring(found, method="c14n", exclusive=True)
        return None
