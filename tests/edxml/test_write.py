"""Writing: the standard's order, the real files' namespace habits, exact values, big files."""

from __future__ import annotations

import copy
import dataclasses
import os
import time

import pytest
from conftest import REAL_PACKAGES, real_package_paths
from lxml import etree

from gateway.edxml import (
    Attachment,
    Reference,
    StaffInfo,
    read,
    read_package,
    read_status,
    write,
)
from gateway.edxml.namespaces import DSIG_NS, EDXML_NS

EDOC = "edoc_update.edxml"
MESSAGE_HEADER_ORDER = [
    "From", "To", "Code", "PromulgationInfo", "DocumentType", "Subject", "Content",
    "SignerInfo", "DueDate", "ToPlaces", "OtherInfo", "ResponseFor", "SteeringType",
    "DocumentId",
]
STATUS_ORDER = ["From", "ResponseFor", "StaffInfo", "StatusCode", "Description", "Timestamp"]


def fixture(name: str) -> bytes:
    return (REAL_PACKAGES / name).read_bytes()


def locals_of(element: etree._Element) -> list[str]:
    return [etree.QName(child).localname for child in element]


def collapse(names: list[str]) -> list[str]:
    """Repeated neighbours once: To, To, To -> To."""
    return [n for i, n in enumerate(names) if i == 0 or names[i - 1] != n]


def header_of(data: bytes) -> etree._Element:
    return etree.fromstring(data).find(f".//{{{EDXML_NS}}}MessageHeader")


@pytest.mark.parametrize("path", real_package_paths(), ids=lambda p: p.name)
def test_every_real_package_survives_write_then_read(path):
    message = read(path.read_bytes())
    written = write(message)
    assert read(written) == message
    assert write(read(written)) == written


def test_output_is_utf8_with_a_double_quoted_declaration():
    written = write(read(fixture("status_inbox__01.edxml")))
    assert written.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<edXML ')
    assert "Tỉnh Nghệ An".encode() in written  # not &#...; escapes


def test_default_namespace_on_root_and_edxml_prefix_below():
    root = etree.fromstring(write(read(fixture(EDOC))))
    assert (root.prefix, etree.QName(root).namespace) == (None, EDXML_NS)
    signature = root.find(f".//{{{EDXML_NS}}}Signature")
    for element in root.iterdescendants():
        inside_signature = element is signature or signature in element.iterancestors()
        if not inside_signature:
            assert (element.prefix, etree.QName(element).namespace) == ("edXML", EDXML_NS)


def test_document_elements_follow_the_standards_order():
    # the file has DocumentId second and SteeringType before ToPlaces
    written = write(read(fixture(EDOC)))
    names = collapse(locals_of(header_of(written)))
    assert names == [n for n in MESSAGE_HEADER_ORDER if n != "ResponseFor"]
    root = etree.fromstring(written)
    envelope, attachments = list(root)
    assert locals_of(root) == ["edXMLEnvelope", "AttachmentEncoded"]
    assert locals_of(envelope) == ["edXMLHeader", "edXMLBody"]
    assert locals_of(envelope[0]) == ["MessageHeader", "TraceHeaderList", "Signature"]
    bussiness = envelope[0][1].find(f"{{{EDXML_NS}}}Bussiness")
    assert locals_of(bussiness) == [
        "BussinessDocType", "BussinessDocReason", "Paper", "DocumentId", "StaffInfo",
        "BussinessDocumentInfo",
    ]
    assert locals_of(attachments[0]) == [
        "ContentId", "AttachmentName", "Description", "ContentType", "ContentTransferEncoded",
    ]


def test_status_elements_follow_the_standards_order_with_no_body():
    written = write(read(fixture("status_rejection_02.edxml")))
    assert locals_of(header_of(written)) == STATUS_ORDER
    assert b"edXMLBody" not in written and b"AttachmentEncoded" not in written


def test_none_is_left_out_and_empty_is_an_empty_element():
    status = read_status(fixture("status_inbox__01.edxml"))
    status.description = None
    status.staff_info = StaffInfo(department="", staff="Trâm")
    written = write(status)
    assert locals_of(header_of(written)) == [n for n in STATUS_ORDER if n != "Description"]
    staff = header_of(written).find(f"{{{EDXML_NS}}}StaffInfo")
    assert [(etree.QName(e).localname, e.text) for e in staff] == [
        ("Department", None), ("Staff", "Trâm"),
    ]
    assert read(written) == status


def test_special_characters_are_escaped_and_come_back_unchanged():
    status = read_status(fixture("status_inbox__01.edxml"))
    status.description = 'Tờ trình <số 5> & "phụ lục" \'A\' ]]> \r\n\t  '
    written = write(status)
    assert read(written).description == status.description


def test_text_xml_cannot_carry_is_a_value_error_naming_the_element():
    status = read_status(fixture("status_inbox__01.edxml"))
    status.description = "bell \x07"
    with pytest.raises(ValueError, match="Description"):
        write(status)


def test_signature_is_reinserted_byte_for_byte_after_trace_header_list():
    package = read_package(fixture(EDOC))
    written = write(package)
    assert package.signature_xml in written
    header = etree.fromstring(written).find(f".//{{{EDXML_NS}}}edXMLHeader")
    assert locals_of(header)[-1] == "Signature"


@pytest.mark.parametrize("namespace", [DSIG_NS, EDXML_NS, None])
def test_signature_keeps_its_namespace_through_write(namespace):
    declaration = f' xmlns="{namespace}"' if namespace else ""
    signature = f"<Signature{declaration}><SignedInfo>\n</SignedInfo></Signature>".encode()
    status = read_status(fixture("status_finish_06.edxml"))
    status.signature_xml = signature
    written = write(status)
    found = etree.fromstring(written).find(".//{*}edXMLHeader")[-1]
    assert etree.QName(found).namespace == namespace
    assert read(written).signature_xml == signature


def test_broken_signature_xml_is_a_value_error():
    status = read_status(fixture("status_finish_06.edxml"))
    status.signature_xml = b"<Signature><unclosed></Signature>"
    with pytest.raises(ValueError, match="signature_xml"):
        write(status)


def test_package_without_body_is_written_without_edxml_body():
    package = read_package(fixture(EDOC))
    package = dataclasses.replace(
        package, has_body=False, references=[], attachments=[], manifest_version=None
    )
    written = write(package)
    assert b"edXMLBody" not in written
    assert read(written) == package


def test_manifest_without_version_attribute_stays_without_it():
    package = dataclasses.replace(read_package(fixture(EDOC)), manifest_version=None)
    written = write(package)
    assert b"<edXML:edXMLManifest>" in written
    assert read(written) == package


def test_writing_anything_else_is_a_type_error():
    with pytest.raises(TypeError):
        write(b"<edXML/>")  # type: ignore[arg-type]


def test_a_20_mb_attachment_writes_and_reads_back_quickly():
    package = read_package(fixture(EDOC))
    data = os.urandom(20 * 1024 * 1024)
    package.references = [Reference("cid:1", "application/pdf", "big", "big.pdf")]
    package.attachments = [Attachment.from_bytes("cid:1", data, attachment_name="big.pdf")]
    started = time.perf_counter()
    written = write(package)
    read_back = read_package(written)
    elapsed = time.perf_counter() - started
    assert read_back.files()[0].attachment.data == data
    assert read_back == package
    assert elapsed < 5.0, f"write+read of a 20 MB attachment took {elapsed:.2f} s"


def test_write_does_not_change_the_model():
    package = read_package(fixture(EDOC))
    before = copy.deepcopy(package)
    write(package)
    assert package == before
