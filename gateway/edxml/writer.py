"""Model out to bytes, in the standard's element order.

The output follows the conventions of the real files (default namespace on the
root ``edXML``, the ``edXML:`` prefix on everything below it) so that strict
old readers accept it. ``None`` fields are left out; ``""`` fields are written
as empty elements, so ``read(write(m)) == m``.

A stored signature is spliced in as the exact bytes it was read as: re-building
it through the tree would re-indent and re-prefix it and change its meaning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree

from .model import (
    Attachment,
    Bussiness,
    BussinessDocumentInfo,
    MessageHeader,
    Organization,
    OtherInfo,
    Package,
    Reference,
    ReplacementInfo,
    ResponseFor,
    StaffInfo,
    StatusMessage,
    TraceHeaderList,
)
from .namespaces import EDXML_NS, EDXML_PREFIX

__all__ = ["write"]

_SIGNATURE_MARK = "edxml-gateway-signature"
_SIGNATURE_PLACEHOLDER = f"<!--{_SIGNATURE_MARK}-->".encode()
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_START_TAG = re.compile(rb"\A<([^\s>/]+)")
_Element = etree._Element


def write(message: Package | StatusMessage) -> bytes:
    """UTF-8 edXML with an XML declaration; raises ``ValueError`` for text XML cannot carry."""
    root = etree.Element(_tag("edXML"), nsmap={None: EDXML_NS})
    envelope = etree.SubElement(root, _tag("edXMLEnvelope"), nsmap={EDXML_PREFIX: EDXML_NS})
    header = _sub(envelope, "edXMLHeader")
    if isinstance(message, Package):
        _write_package(root, envelope, header, message)
    elif isinstance(message, StatusMessage):
        _write_status(_sub(header, "MessageHeader"), message)
    else:
        raise TypeError(f"write() takes a Package or a StatusMessage, not {type(message).__name__}")
    if message.signature_xml is not None:
        header.append(etree.Comment(_SIGNATURE_MARK))
    out = etree.tostring(root, encoding="UTF-8", pretty_print=True)
    if message.signature_xml is None:
        return _DECLARATION + out
    at = out.index(_SIGNATURE_PLACEHOLDER)
    rest = memoryview(out)[at + len(_SIGNATURE_PLACEHOLDER):]  # no copy of the attachments
    return b"".join((_DECLARATION, out[:at], _signature_bytes(message.signature_xml), rest))


# -- small helpers ------------------------------------------------------------------


def _tag(local: str) -> str:
    return f"{{{EDXML_NS}}}{local}"


def _sub(parent: _Element, local: str) -> _Element:
    return etree.SubElement(parent, _tag(local))


def _text(parent: _Element, local: str, value: str | None) -> None:
    """Add ``<local>value</local>``; nothing when ``value`` is None."""
    if value is None:
        return
    element = _sub(parent, local)
    try:
        element.text = value
    except (TypeError, ValueError) as exc:
        parent.remove(element)
        raise ValueError(
            f"{local} cannot be written as XML text ({exc}): {value!r:.80}"
        ) from None


def _texts(parent: _Element, container: str, item: str, values: Iterable[str] | None) -> None:
    if values is None:
        return
    holder = _sub(parent, container)
    for value in values:
        _text(holder, item, value)


def _signature_bytes(signature_xml: bytes) -> bytes:
    """The stored Signature, checked to be one element; a namespace-less one keeps no namespace.

    Spliced under the root's default namespace, a Signature without a namespace
    would silently move into edXML's; ``xmlns=""`` keeps it where it was.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        element = etree.fromstring(signature_xml, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"signature_xml is not one well-formed XML element: {exc}") from None
    body = etree.tostring(element, method="c14n", exclusive=True)
    if etree.QName(element).namespace is None:
        body = _START_TAG.sub(rb'<\1 xmlns=""', body, count=1)
    return body


# -- status messages ----------------------------------------------------------------


def _write_status(header: _Element, status: StatusMessage) -> None:
    _organization(header, "From", status.from_)
    _response_for(header, status.response_for)
    _staff_info(header, status.staff_info)
    _text(header, "StatusCode", status.status_code)
    _text(header, "Description", status.description)
    _text(header, "Timestamp", status.timestamp)


# -- document packages --------------------------------------------------------------


def _write_package(
    root: _Element, envelope: _Element, header: _Element, package: Package
) -> None:
    _message_header(_sub(header, "MessageHeader"), package.header)
    _trace_header_list(header, package.trace_header_list)
    if package.has_body:
        manifest = _sub(_sub(envelope, "edXMLBody"), "edXMLManifest")
        if package.manifest_version is not None:
            manifest.set("version", package.manifest_version)
        for reference in package.references:
            _reference(manifest, reference)
    if package.attachments:
        encoded = etree.SubElement(
            root, _tag("AttachmentEncoded"), nsmap={EDXML_PREFIX: EDXML_NS}
        )
        for attachment in package.attachments:
            _attachment(encoded, attachment)


def _message_header(parent: _Element, header: MessageHeader) -> None:
    _organization(parent, "From", header.from_)
    for organization in header.to:
        _organization(parent, "To", organization)
    code = _sub(parent, "Code")
    _text(code, "CodeNumber", header.code.code_number)
    _text(code, "CodeNotation", header.code.code_notation)
    info = _sub(parent, "PromulgationInfo")
    _text(info, "Place", header.promulgation_info.place)
    _text(info, "PromulgationDate", header.promulgation_info.promulgation_date)
    kind = _sub(parent, "DocumentType")
    _text(kind, "Type", header.document_type.type)
    _text(kind, "TypeDetail", header.document_type.type_detail)
    _text(kind, "TypeName", header.document_type.type_name)
    _text(parent, "Subject", header.subject)
    _text(parent, "Content", header.content)
    signer = _sub(parent, "SignerInfo")
    _text(signer, "Competence", header.signer_info.competence)
    _text(signer, "Position", header.signer_info.position)
    _text(signer, "FullName", header.signer_info.full_name)
    _text(parent, "DueDate", header.due_date)
    _texts(parent, "ToPlaces", "Place", header.to_places)
    _other_info(parent, header.other_info)
    for response_for in header.response_for:
        _response_for(parent, response_for)
    _text(parent, "SteeringType", header.steering_type)
    _text(parent, "DocumentId", header.document_id)


def _organization(parent: _Element, local: str, organization: Organization) -> None:
    element = _sub(parent, local)
    _text(element, "OrganId", organization.organ_id)
    _text(element, "OrganizationInCharge", organization.organization_in_charge)
    _text(element, "OrganName", organization.organ_name)
    _text(element, "OrganAdd", organization.organ_add)
    _text(element, "Email", organization.email)
    _text(element, "Telephone", organization.telephone)
    _text(element, "Fax", organization.fax)
    _text(element, "Website", organization.website)


def _other_info(parent: _Element, info: OtherInfo | None) -> None:
    if info is None:
        return
    element = _sub(parent, "OtherInfo")
    _text(element, "Priority", info.priority)
    _text(element, "SphereOfPromulgation", info.sphere_of_promulgation)
    _text(element, "TyperNotation", info.typer_notation)
    _text(element, "PromulgationAmount", info.promulgation_amount)
    _text(element, "PageAmount", info.page_amount)
    _text(element, "Direction", info.direction)
    _texts(element, "Appendixes", "Appendix", info.appendixes)


def _response_for(parent: _Element, response_for: ResponseFor) -> None:
    element = _sub(parent, "ResponseFor")
    _text(element, "OrganId", response_for.organ_id)
    _text(element, "Code", response_for.code)
    _text(element, "PromulgationDate", response_for.promulgation_date)
    _text(element, "DocumentId", response_for.document_id)


def _staff_info(parent: _Element, staff: StaffInfo | None) -> None:
    if staff is None:
        return
    element = _sub(parent, "StaffInfo")
    _text(element, "Department", staff.department)
    _text(element, "Staff", staff.staff)
    _text(element, "Email", staff.email)
    _text(element, "Mobile", staff.mobile)


# -- trace and business -------------------------------------------------------------


def _trace_header_list(parent: _Element, trace: TraceHeaderList | None) -> None:
    if trace is None:
        return
    element = _sub(parent, "TraceHeaderList")
    for hop in trace.trace_headers:
        trace_header = _sub(element, "TraceHeader")
        _text(trace_header, "OrganId", hop.organ_id)
        _text(trace_header, "Timestamp", hop.timestamp)
    _bussiness(element, trace.bussiness)


def _bussiness(parent: _Element, bussiness: Bussiness | None) -> None:
    if bussiness is None:
        return
    element = _sub(parent, "Bussiness")
    _text(element, "BussinessDocType", bussiness.bussiness_doc_type)
    _text(element, "BussinessDocReason", bussiness.bussiness_doc_reason)
    _text(element, "Paper", bussiness.paper)
    _text(element, "DocumentId", bussiness.document_id)
    _staff_info(element, bussiness.staff_info)
    if bussiness.replacement_info_list is not None:
        replacements = _sub(element, "ReplacementInfoList")
        for replacement in bussiness.replacement_info_list:
            _replacement_info(replacements, replacement)
    _bussiness_document_info(element, bussiness.bussiness_document_info)


def _replacement_info(parent: _Element, replacement: ReplacementInfo) -> None:
    element = _sub(parent, "ReplacementInfo")
    _text(element, "DocumentId", replacement.document_id)
    _texts(element, "OrganIdList", "OrganId", replacement.organ_ids)


def _bussiness_document_info(parent: _Element, info: BussinessDocumentInfo | None) -> None:
    if info is None:
        return
    element = _sub(parent, "BussinessDocumentInfo")
    _text(element, "DocumentInfo", info.document_info)
    _text(element, "DocumentReceiver", info.document_receiver)
    if info.receivers is not None:
        receivers = _sub(element, "ReceiverList")
        for receiver in info.receivers:
            item = _sub(receivers, "Receiver")
            _text(item, "OrganId", receiver.organ_id)
            _text(item, "ReceiverType", receiver.receiver_type)


# -- body ---------------------------------------------------------------------------


def _reference(parent: _Element, reference: Reference) -> None:
    element = _sub(parent, "Reference")
    _text(element, "ContentId", reference.content_id)
    _text(element, "ContentType", reference.content_type)
    _text(element, "Description", reference.description)
    _text(element, "AttachmentName", reference.attachment_name)


def _attachment(parent: _Element, attachment: Attachment) -> None:
    element = _sub(parent, "Attachment")
    _text(element, "ContentId", attachment.content_id)
    _text(element, "AttachmentName", attachment.attachment_name)
    _text(element, "Description", attachment.description)
    _text(element, "ContentType", attachment.content_type)
    _text(element, "ContentTransferEncoded", attachment.encoded)
