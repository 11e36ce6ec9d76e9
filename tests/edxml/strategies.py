"""Hypothesis strategies for edXML models that are valid per the standard.

Shared by the round-trip properties and by anyone who wants "any valid package":
agency ids follow the four-group grammar, dates and timestamps exist, lengths
stay within the limits hubs check, recipients are unique, every manifest
reference has its attachment, and text mixes Vietnamese with the characters XML
must escape.
"""

from __future__ import annotations

from datetime import date, datetime

from hypothesis import strategies as st
from lxml import etree

from gateway.edxml.formats import STATUS_CODES, document_id, format_date, format_timestamp
from gateway.edxml.model import (
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
from gateway.edxml.namespaces import DSIG_NS, EDXML_NS

__all__ = [
    "xml_text",
    "required_text",
    "organ_ids",
    "edxml_dates",
    "edxml_timestamps",
    "organizations",
    "staff_infos",
    "response_fors",
    "files",
    "signatures",
    "packages",
    "status_messages",
]

VIETNAMESE = "ăâđêôơưĂÂĐÊÔƠƯáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
XML_SPECIAL = "&<>\"' \t\n\r]]>"

# Characters XML 1.0 can carry (no C0 controls except tab/LF/CR, no surrogates, no FFFE/FFFF).
_XML_CHARS = st.characters(
    codec="utf-8",
    exclude_categories=("Cs",),
    exclude_characters="".join(chr(c) for c in range(0x20) if c not in (9, 10, 13))
    + "\ufffe\uffff",
)
_CHARS = st.one_of(st.sampled_from(VIETNAMESE + XML_SPECIAL), _XML_CHARS)


def xml_text(max_size: int = 60, min_size: int = 0) -> st.SearchStrategy[str]:
    """Any text XML can carry, heavy on Vietnamese and on characters needing escapes."""
    return st.text(_CHARS, min_size=min_size, max_size=max_size)


def required_text(max_size: int = 60) -> st.SearchStrategy[str]:
    """Text a mandatory element holds: not empty, not just spaces."""
    return xml_text(max_size, min_size=1).filter(lambda s: s.strip() != "")


def _optional(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | strategy


def organ_ids() -> st.SearchStrategy[str]:
    """``LLL.LL.LL.XNN`` agency identifiers (level 1 G, H or A)."""
    return st.builds(
        lambda l4, l3, l2, letter, l1: f"{l4:03d}.{l3:02d}.{l2:02d}.{letter}{l1:02d}",
        st.integers(0, 999), st.integers(0, 99), st.integers(0, 99),
        st.sampled_from("GHA"), st.integers(1, 99),
    )


def _dates() -> st.SearchStrategy[date]:
    return st.dates(date(2000, 1, 1), date(2099, 12, 31))


def edxml_dates() -> st.SearchStrategy[str]:
    return _dates().map(format_date)


def edxml_timestamps() -> st.SearchStrategy[str]:
    return st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)).map(format_timestamp)


def _digits(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=min_size, max_size=max_size)


def organizations(
    organ_id: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Organization]:
    return st.builds(
        Organization,
        organ_id=organ_ids() if organ_id is None else organ_id,
        organization_in_charge=_optional(xml_text(500)),
        organ_name=_optional(xml_text(200)),
        organ_add=_optional(xml_text(500)),
        email=_optional(st.emails().filter(lambda e: len(e) <= 100)),
        telephone=_optional(_digits(6, 20)),
        fax=_optional(_digits(6, 20)),
        website=_optional(xml_text(40)),
    )


def staff_infos() -> st.SearchStrategy[StaffInfo]:
    return st.builds(
        StaffInfo,
        department=_optional(xml_text()),
        staff=_optional(xml_text()),
        email=_optional(st.emails().filter(lambda e: len(e) <= 100)),
        mobile=_optional(_digits(6, 20)),
    )


def response_fors() -> st.SearchStrategy[ResponseFor]:
    return st.builds(
        lambda organ, number, notation, day: ResponseFor(
            organ_id=organ,
            code=f"{number}/{notation}",
            promulgation_date=format_date(day),
            document_id=document_id(organ, day, number, notation),
        ),
        organ_ids(), _digits(1, 11), _notations(), _dates(),
    )


def _notations() -> st.SearchStrategy[str]:
    return st.text("ABCDĐGHNPQTUVX-", min_size=1, max_size=30)


@st.composite
def files(draw: st.DrawFn, max_files: int = 3) -> tuple[list[Reference], list[Attachment]]:
    """References and attachments paired by ContentId, with and without ``cid:``."""
    count = draw(st.integers(0, max_files))
    references, attachments = [], []
    for number in range(1, count + 1):
        name = draw(required_text(40))
        content_type = draw(_optional(st.sampled_from(["application/pdf", "application/zip"])))
        ref_id = draw(st.sampled_from([f"cid:{number}", str(number)]))
        att_id = draw(st.sampled_from([f"cid:{number}", str(number)]))
        references.append(Reference(ref_id, content_type, draw(_optional(xml_text())), name))
        attachments.append(Attachment.from_bytes(
            att_id, draw(st.binary(max_size=600)), attachment_name=name,
            description=draw(_optional(xml_text())), content_type=content_type,
        ))
    return references, attachments


@st.composite
def signatures(
    draw: st.DrawFn, namespaces: tuple[str | None, ...] = (DSIG_NS, EDXML_NS)
) -> bytes:
    """A Signature element as the reader stores it: exclusive c14n, in the real namespaces.

    Not a verifiable signature: only its survival through read and write is at
    stake. Pass ``None`` among ``namespaces`` for the (invalid) namespace-less kind.
    """
    namespace = draw(st.sampled_from(namespaces))
    qualify = (lambda local: f"{{{namespace}}}{local}") if namespace else (lambda local: local)
    root = etree.Element(qualify("Signature"), nsmap={None: namespace} if namespace else None)
    info = etree.SubElement(root, qualify("SignedInfo"))
    info.text = draw(st.sampled_from(["", "\n  ", "\n\t"]))
    method = etree.SubElement(info, qualify("SignatureMethod"))
    method.set("Algorithm", DSIG_NS + draw(st.sampled_from(["rsa-sha1", "rsa-sha256"])))
    value = etree.SubElement(root, qualify("SignatureValue"))
    value.text = draw(st.binary(min_size=1, max_size=64)).hex()
    value.tail = draw(st.sampled_from(["", "\n"]))
    return etree.tostring(root, method="c14n", exclusive=True)


@st.composite
def _bussiness(draw: st.DrawFn, recipients: list[str]) -> Bussiness:
    doc_type = draw(st.sampled_from("0123"))
    previous = None if doc_type == "0" else draw(required_text(80))
    replacements = None
    if doc_type == "3":
        replacements = [ReplacementInfo(previous, list(recipients))]  # type: ignore[arg-type]
    info = None
    if doc_type == "2":
        info = BussinessDocumentInfo(
            document_info=draw(st.sampled_from("01")),
            document_receiver=draw(st.sampled_from("01")),
            receivers=draw(_optional(st.lists(
                st.builds(Receiver, st.sampled_from(recipients), st.sampled_from(["0", "1", None])),
                max_size=3,
            ))),
        )
    return Bussiness(
        bussiness_doc_type=doc_type,
        bussiness_doc_reason=draw(_optional(xml_text())),
        paper=draw(_optional(st.sampled_from("01"))),
        document_id=previous,
        staff_info=draw(_optional(staff_infos())),
        replacement_info_list=replacements,
        bussiness_document_info=info,
    )


@st.composite
def packages(draw: st.DrawFn, signed: bool | None = None) -> Package:
    """A valid document package; ``signed`` True/False forces a stored signature on/off."""
    sender = draw(organizations())
    to = draw(st.lists(
        organizations(organ_ids().filter(lambda organ_id: organ_id != sender.organ_id)),
        min_size=1, max_size=4, unique_by=lambda o: o.organ_id,
    ))
    number, notation, day = draw(_digits(1, 11)), draw(_notations()), draw(_dates())
    header = MessageHeader(
        from_=sender,
        to=to,
        code=Code(number, notation),
        promulgation_info=PromulgationInfo(draw(required_text(50)), format_date(day)),
        document_type=DocumentType(
            draw(st.sampled_from("123456789")), draw(required_text(100)),
            draw(_optional(st.sampled_from("01"))),
        ),
        subject=draw(required_text(500)),
        signer_info=SignerInfo(draw(required_text()), draw(required_text()), draw(required_text())),
        document_id=document_id(sender.organ_id, day, number, notation),
        content=draw(_optional(xml_text(500))),
        due_date=draw(_optional(edxml_dates())),
        to_places=draw(_optional(st.lists(xml_text(150), max_size=3))),
        other_info=draw(_optional(st.builds(
            OtherInfo,
            priority=_optional(st.sampled_from("01234")),
            sphere_of_promulgation=_optional(xml_text(100)),
            typer_notation=_optional(xml_text(10)),
            promulgation_amount=_optional(_digits(1, 3)),
            page_amount=_optional(_digits(1, 3)),
            direction=_optional(st.sampled_from(["true", "false"])),
            appendixes=_optional(st.lists(xml_text(), max_size=3)),
        ))),
        response_for=draw(st.lists(response_fors(), max_size=2)),
        steering_type=draw(_optional(st.sampled_from("012"))),
    )
    trace = draw(_optional(st.builds(
        TraceHeaderList,
        trace_headers=st.lists(st.builds(TraceHeader, organ_ids(), edxml_timestamps()),
                               min_size=1, max_size=3),
        bussiness=_optional(_bussiness([o.organ_id for o in to])),
    )))
    has_body = draw(st.booleans())
    references, attachments = draw(files())
    return Package(
        header=header,
        trace_header_list=trace,
        references=references if has_body else [],
        attachments=attachments if has_body else [],
        manifest_version=draw(st.sampled_from(["1.0", None])) if has_body else None,
        has_body=has_body,
        signature_xml=draw(_signature_choice(signed)),
    )


def _signature_choice(signed: bool | None) -> st.SearchStrategy[bytes | None]:
    if signed is None:
        return _optional(signatures())
    return signatures() if signed else st.none()


@st.composite
def status_messages(draw: st.DrawFn, signed: bool | None = None) -> StatusMessage:
    """A valid status message with one of the standard's codes."""
    code = draw(st.sampled_from(sorted(STATUS_CODES)))
    needs_reason = code in ("02", "13", "16")
    return StatusMessage(
        from_=draw(organizations()),
        response_for=draw(response_fors()),
        status_code=code,
        timestamp=draw(edxml_timestamps()),
        staff_info=draw(staff_infos()),
        description=draw(required_text(200) if needs_reason else _optional(xml_text(200))),
        signature_xml=draw(_signature_choice(signed)),
    )
