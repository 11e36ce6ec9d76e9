"""Typed model of edXML packages (QCVN 102:2016 and its 2022 amendment).

Values are kept as the text the package carries (dates, codes, numbers are
strings): the model must round-trip real files exactly, and real files carry
values (impossible dates inside ids, codes with leading zeros) that a typed
conversion would lose. Checking formats is the job of ``rules``, not of the
model. ``None`` means the element is absent; ``""`` means present and empty.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

__all__ = [
    "Organization",
    "Code",
    "PromulgationInfo",
    "DocumentType",
    "SignerInfo",
    "OtherInfo",
    "ResponseFor",
    "MessageHeader",
    "TraceHeader",
    "StaffInfo",
    "ReplacementInfo",
    "Receiver",
    "BussinessDocumentInfo",
    "Bussiness",
    "TraceHeaderList",
    "Reference",
    "Attachment",
    "TextInPackage",
    "AttachedFile",
    "Package",
    "StatusMessage",
    "normalize_content_id",
]


def normalize_content_id(content_id: str) -> str:
    """Return the ContentId without its optional ``cid:`` prefix (real writers differ)."""
    value = content_id.strip()
    return value[4:] if value[:4].lower() == "cid:" else value


@dataclass
class Organization:
    organ_id: str
    organization_in_charge: str | None = None
    organ_name: str | None = None
    organ_add: str | None = None
    email: str | None = None
    telephone: str | None = None
    fax: str | None = None
    website: str | None = None


@dataclass
class Code:
    code_number: str
    code_notation: str


@dataclass
class PromulgationInfo:
    place: str
    promulgation_date: str


@dataclass
class DocumentType:
    type: str
    type_name: str
    type_detail: str | None = None


@dataclass
class SignerInfo:
    competence: str
    position: str
    full_name: str


@dataclass
class OtherInfo:
    priority: str | None = None
    sphere_of_promulgation: str | None = None
    typer_notation: str | None = None
    promulgation_amount: str | None = None
    page_amount: str | None = None
    direction: str | None = None
    appendixes: list[str] | None = None


@dataclass
class ResponseFor:
    organ_id: str
    code: str | None = None
    promulgation_date: str | None = None
    document_id: str | None = None


@dataclass
class MessageHeader:
    from_: Organization
    to: list[Organization]
    code: Code
    promulgation_info: PromulgationInfo
    document_type: DocumentType
    subject: str
    signer_info: SignerInfo
    document_id: str
    content: str | None = None
    due_date: str | None = None
    to_places: list[str] | None = None
    other_info: OtherInfo | None = None
    response_for: list[ResponseFor] = field(default_factory=list)
    steering_type: str | None = None


@dataclass
class TraceHeader:
    organ_id: str
    timestamp: str


@dataclass
class StaffInfo:
    department: str | None = None
    staff: str | None = None
    email: str | None = None
    mobile: str | None = None


@dataclass
class ReplacementInfo:
    document_id: str
    organ_ids: list[str] = field(default_factory=list)


@dataclass
class Receiver:
    organ_id: str
    receiver_type: str | None = None


@dataclass
class BussinessDocumentInfo:
    document_info: str | None = None
    document_receiver: str | None = None
    receivers: list[Receiver] | None = None


@dataclass
class Bussiness:
    bussiness_doc_type: str
    bussiness_doc_reason: str | None = None
    paper: str | None = None
    document_id: str | None = None
    staff_info: StaffInfo | None = None
    replacement_info_list: list[ReplacementInfo] | None = None
    bussiness_document_info: BussinessDocumentInfo | None = None


@dataclass
class TraceHeaderList:
    trace_headers: list[TraceHeader] = field(default_factory=list)
    bussiness: Bussiness | None = None


@dataclass
class Reference:
    """A manifest entry; tied to its Attachment by ContentId."""

    content_id: str
    content_type: str | None = None
    description: str | None = None
    attachment_name: str | None = None


@dataclass(frozen=True)
class TextInPackage:
    """A text left where it lies in the package: ``data[start:end]``, ASCII only.

    The reader gives a large attachment's ``encoded`` as this, so that reading a
    100 MB package does not copy 100 MB of base64 into a str that nobody may ask for.
    """

    data: bytes = field(repr=False)
    start: int
    end: int

    def raw(self) -> memoryview:
        return memoryview(self.data)[self.start:self.end]


class _Encoded:
    """``Attachment.encoded``: a str, or a ``TextInPackage`` made into one when read.

    A descriptor-typed dataclass field: ``__init__``, ``==``, ``repr`` and
    ``dataclasses.replace`` see the str. Asking a class for it raises AttributeError, so
    the field has no default.
    """

    def __get__(self, obj: Attachment | None, owner: type | None = None) -> str:
        if obj is None:
            raise AttributeError("encoded")
        value = obj.__dict__["_encoded"]
        return value if isinstance(value, str) else str(value.raw(), "ascii")

    def __set__(self, obj: Attachment, value: str | TextInPackage) -> None:
        obj.__dict__["_encoded"] = value


@dataclass
class Attachment:
    """An entry of AttachmentEncoded. ``encoded`` is the base64 text as carried.

    The text is kept encoded so that reading a 20 MB package does not decode
    every file; ``data`` decodes on demand. Read from a large package, the text stays
    in the package's bytes (``TextInPackage``) and ``encoded`` makes a str of it each
    time it is read.
    """

    content_id: str
    encoded: str = _Encoded()  # type: ignore[assignment]
    attachment_name: str | None = None
    description: str | None = None
    content_type: str | None = None

    @property
    def data(self) -> bytes:
        """The file's bytes; raises ``ValueError`` when the base64 is broken."""
        value = self.__dict__["_encoded"]
        try:
            text = bytes(value.raw()) if isinstance(value, TextInPackage) else \
                value.encode("ascii")
            return binascii.a2b_base64(text.translate(None, b" \t\r\n"), strict_mode=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise ValueError(f"attachment {self.content_id!r} is not valid base64: {exc}") from exc

    @classmethod
    def from_bytes(
        cls,
        content_id: str,
        data: bytes,
        *,
        attachment_name: str | None = None,
        description: str | None = None,
        content_type: str | None = None,
    ) -> Attachment:
        return cls(
            content_id=content_id,
            encoded=base64.b64encode(data).decode("ascii"),
            attachment_name=attachment_name,
            description=description,
            content_type=content_type,
        )


@dataclass(frozen=True)
class AttachedFile:
    """A manifest Reference paired with its Attachment (either may be missing)."""

    reference: Reference | None
    attachment: Attachment | None


@dataclass
class Package:
    """An edXML document package (edXMLEnvelope + optional AttachmentEncoded)."""

    header: MessageHeader
    trace_header_list: TraceHeaderList | None = None
    references: list[Reference] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    manifest_version: str | None = "1.0"
    has_body: bool = True
    signature_xml: bytes | None = None
    """The Signature element as carried (canonical XML), or None when unsigned."""

    kind = "edoc"

    @property
    def document_id(self) -> str:
        return self.header.document_id

    @property
    def sender(self) -> str:
        return self.header.from_.organ_id

    @property
    def recipients(self) -> list[str]:
        return [org.organ_id for org in self.header.to]

    @property
    def bussiness_doc_type(self) -> str:
        """BussinessDocType, "0" (new) when the package has no Bussiness block."""
        trace = self.trace_header_list
        if trace is None or trace.bussiness is None:
            return "0"
        return trace.bussiness.bussiness_doc_type.strip() or "0"

    def files(self) -> list[AttachedFile]:
        """Pair references with attachments by ContentId, with or without ``cid:``."""
        by_id = {normalize_content_id(a.content_id): a for a in self.attachments}
        paired: list[AttachedFile] = []
        seen: set[str] = set()
        for ref in self.references:
            key = normalize_content_id(ref.content_id)
            seen.add(key)
            paired.append(AttachedFile(ref, by_id.get(key)))
        for key, attachment in by_id.items():
            if key not in seen:
                paired.append(AttachedFile(None, attachment))
        return paired


@dataclass
class StatusMessage:
    """A status message: MessageHeader with From, ResponseFor, StatusCode; no To, no body."""

    from_: Organization
    response_for: ResponseFor
    status_code: str
    timestamp: str
    staff_info: StaffInfo | None = None
    description: str | None = None
    signature_xml: bytes | None = None

    kind = "status"

    @property
    def document_id(self) -> str | None:
        return self.response_for.document_id

    @property
    def sender(self) -> str:
        return self.from_.organ_id

    @property
    def recipient(self) -> str:
        """The standard routes a status to ResponseFor/OrganId."""
        return self.response_for.organ_id
