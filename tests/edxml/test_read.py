"""Reading real and hand-broken packages: lenient about form, never a crash."""

from __future__ import annotations

import re

import pytest
from conftest import REAL_PACKAGES, real_package_paths
from lxml import etree

from gateway.edxml import (
    MalformedPackage,
    Package,
    StatusMessage,
    parse,
    read,
    read_package,
    read_status,
)
from gateway.edxml.namespaces import DSIG_NS, EDXML_NS

EDOC = "edoc_update.edxml"
STATUS_CODES_OF_FIXTURES = {
    "status_inbox__01.edxml": "01",
    "status_rejection_02.edxml": "02",
    "status_acceptance_03.edxml": "03",
    "status_assignment_04.edxml": "04",
    "status_processing_05.edxml": "05",
    "status_finish_06.edxml": "06",
    "status_change-acceptance_15.edxml": "15",
}


def fixture(name: str) -> bytes:
    return (REAL_PACKAGES / name).read_bytes()


def edited(name: str, old: str, new: str, count: int = 1) -> bytes:
    text = fixture(name).decode()
    assert old in text, f"fixture {name} no longer contains {old!r}"
    return text.replace(old, new, count).encode()


def small_edoc() -> bytes:
    """The edoc fixture with its 360 KB base64 cut to a few bytes of valid base64."""
    return re.sub(
        rb"(<edXML:ContentTransferEncoded[^>]*>)[^<]*<", rb"\1UEsDBA==<", fixture(EDOC)
    )


def problem_of(data: bytes) -> MalformedPackage:
    with pytest.raises(MalformedPackage) as caught:
        read(data)
    return caught.value


# -- real packages ----------------------------------------------------------------------


def test_the_real_fixtures_are_all_present():
    names = {path.name for path in real_package_paths()}
    assert names == {EDOC, *STATUS_CODES_OF_FIXTURES}


@pytest.mark.parametrize("path", real_package_paths(), ids=lambda p: p.name)
def test_every_real_package_reads(path):
    message = read(path.read_bytes())
    assert isinstance(message, Package | StatusMessage)


@pytest.mark.parametrize("name,code", sorted(STATUS_CODES_OF_FIXTURES.items()))
def test_real_status_files_read_as_status_messages_with_their_code(name, code):
    status = read_status(fixture(name))
    assert status.status_code == code
    assert status.sender == "000.00.00.H41"
    assert status.recipient == "000.00.00.G22"  # no To: routed by ResponseFor/OrganId
    assert status.response_for.code == "7816/VPCP-TTĐT"
    assert status.document_id == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
    assert status.timestamp == "2015/09/20 11:08:36"
    assert status.staff_info.staff == "Nguyen thi ngoc tram"
    assert status.signature_xml is None


def test_real_update_document_reads_every_part_whatever_its_order():
    package = read_package(fixture(EDOC))
    header = package.header
    assert package.sender == "000.00.00.G22"
    assert package.recipients == ["000.00.00.H41", "000.00.00.H14", "000.00.00.G17"]
    assert package.document_id == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
    assert (header.code.code_number, header.code.code_notation) == ("7816", "VPCP-TTĐT")
    assert header.promulgation_info.promulgation_date == "2018/09/28"
    assert header.document_type.type_detail == "0"
    assert header.steering_type == "1"  # written before ToPlaces in the file
    assert header.to_places == ["Cac bo va co quan ngang bo", "Uy ban nhan dan cac tinh, TP"]
    assert header.other_info.appendixes == [
        "Công văn về việc kết nối, liên thông phần mềm quản lý văn bản"
    ]
    assert header.response_for == []
    assert package.bussiness_doc_type == "2"
    bussiness = package.trace_header_list.bussiness
    assert bussiness.document_id == "000.00.00.G22,2014/02/30,7806/VPCP-TTĐT"  # opaque, kept
    assert bussiness.staff_info.email == "vanthuvanphong@gov.vn"
    assert [(r.organ_id, r.receiver_type) for r in bussiness.bussiness_document_info.receivers] == [
        ("000.00.00.H41", "0"), ("000.00.00.H14", "1"),
    ]
    assert package.trace_header_list.trace_headers[0].timestamp == "2018/09/28 00:00:00"


def test_real_attachment_pairs_with_manifest_reference_cid_209_and_decodes():
    package = read_package(fixture(EDOC))
    [attached] = package.files()
    assert attached.reference.content_id == "cid:209"
    assert attached.attachment.content_id == "cid:209"
    assert attached.attachment.attachment_name == "1896_QD-TTg_m_294779.doc"
    data = attached.attachment.data
    assert data.startswith(b"PK\x03\x04")  # a zip, as its ContentType says
    assert len(data) > 200_000


def test_unqualified_real_signature_is_kept_as_its_exclusive_c14n():
    package = read_package(fixture(EDOC))
    signature = package.signature_xml
    assert signature.startswith(f'<Signature xmlns="{EDXML_NS}">'.encode())
    assert b"<X509Certificate>MIIFqTCCBJG</X509Certificate>" in signature
    element = etree.fromstring(signature)
    assert etree.tostring(element, method="c14n", exclusive=True) == signature


def test_signature_in_the_xmldsig_namespace_is_read_too():
    data = edited(EDOC, "<Signature>", f'<Signature xmlns="{DSIG_NS}">')
    signature = read_package(data).signature_xml
    assert signature.startswith(f'<Signature xmlns="{DSIG_NS}">'.encode())


def test_prefixed_xmldsig_signature_is_read():
    data = small_edoc().decode()
    start, end = data.index("<Signature>"), data.index("</Signature>") + len("</Signature>")
    data = data[:start] + (
        f'<ds:Signature xmlns:ds="{DSIG_NS}"><ds:SignedInfo/></ds:Signature>'
    ) + data[end:]
    signature = read_package(data.encode()).signature_xml
    assert signature == (
        f'<ds:Signature xmlns:ds="{DSIG_NS}"><ds:SignedInfo></ds:SignedInfo></ds:Signature>'
    ).encode()


def test_children_are_matched_by_name_not_position():
    original = read_status(fixture("status_inbox__01.edxml"))
    root = etree.fromstring(fixture("status_inbox__01.edxml"))
    header = root.find(f".//{{{EDXML_NS}}}MessageHeader")
    header[:] = list(reversed(header))
    for child in header:
        child[:] = list(reversed(child))
    assert read(etree.tostring(root)) == original


def test_unprefixed_and_prefixed_documents_read_the_same():
    prefixed = read(small_edoc())
    unprefixed = small_edoc().decode()
    unprefixed = unprefixed.replace("edXML:", "").replace(f' xmlns:edXML="{EDXML_NS}"', "")
    assert read(unprefixed.encode()) == prefixed
    everywhere = re.sub(r"<(/?)(?![/?]|edXML:)", r"<\1edXML:", small_edoc().decode())
    everywhere = everywhere.replace(
        f'<edXML:edXML xmlns="{EDXML_NS}">', f'<edXML:edXML xmlns:edXML="{EDXML_NS}">'
    )
    expected = read(small_edoc())
    read_back = read(everywhere.encode())
    read_back.signature_xml = expected.signature_xml  # its prefix is part of what is kept
    assert read_back == expected


@pytest.mark.parametrize("ref,att", [
    ("cid:209", "cid:209"), ("209", "cid:209"), ("cid:209", "209"), ("209", "209"),
    ("CID:209", "209"),
])
def test_cid_prefix_present_or_absent_pairs_reference_and_attachment(ref, att):
    data = small_edoc().decode()
    data = data.replace("<edXML:ContentId>cid:209<", f"<edXML:ContentId>{ref}<")
    data = data.replace("<ContentId>cid:209<", f"<ContentId>{att}<")
    [attached] = read_package(data.encode()).files()
    assert attached.reference.content_id == ref
    assert attached.attachment.content_id == att


def test_attachment_encoded_inside_the_envelope_is_found():
    data = small_edoc().decode()
    start = data.index("<AttachmentEncoded>")
    end = data.index("</AttachmentEncoded>") + len("</AttachmentEncoded>")
    block = data[start:end]
    data = data[:start] + data[end:]
    data = data.replace("</edXML:edXMLEnvelope>", block + "</edXML:edXMLEnvelope>")
    assert read_package(data.encode()).files()[0].attachment.data == b"PK\x03\x04"


def test_text_is_kept_exactly_empty_is_empty_and_absent_is_none():
    data = edited("status_inbox__01.edxml", "<edXML:Staff>Nguyen thi ngoc tram</edXML:Staff>",
                  "<edXML:Staff>  Nguyễn &amp; <!-- note --> co. \n</edXML:Staff>")
    data = data.replace(b"<edXML:Mobile>84912000001</edXML:Mobile>", b"<edXML:Mobile/>")
    data = re.sub(rb"<edXML:Email>ngoctram@nghean.vn</edXML:Email>", b"", data)
    staff = read_status(data).staff_info
    assert staff.staff == "  Nguyễn &  co. \n"
    assert staff.mobile == ""
    assert staff.email is None


def test_a_package_without_body_reads_with_has_body_false():
    data = small_edoc().decode()
    data = data[:data.index("<edXML:edXMLBody>")] + data[data.index("</edXML:edXMLBody>") + 18:]
    package = read_package(data.encode())
    assert package.has_body is False
    assert package.references == []
    assert package.manifest_version is None


# -- broken input ---------------------------------------------------------------------------


def test_not_xml_is_malformed_with_its_line():
    error = problem_of(b"<?xml version='1.0'?>\n<edXML>\n<oops></edXML>")
    [problem] = error.problems
    assert problem.rule_id == "EDX-XML-001"
    assert problem.line == 3


def test_truncated_package_is_malformed_with_a_line():
    data = fixture(EDOC)[:50_000]
    [problem] = problem_of(data).problems
    assert problem.rule_id == "EDX-XML-001"
    assert problem.line and problem.line > 1


def test_missing_message_header_names_it_and_the_line_to_fix():
    data = re.sub(rb"<edXML:MessageHeader>.*</edXML:MessageHeader>", b"",
                  fixture("status_inbox__01.edxml"), flags=re.S)
    [problem] = problem_of(data).problems
    assert problem.rule_id == "EDX-XML-005"
    assert "MessageHeader" in problem.message and "edXMLHeader" in problem.message
    assert problem.line == 4
    assert "add it" in problem.message


def test_missing_from_in_a_document_is_malformed_not_a_crash():
    data = re.sub(rb"<edXML:From>.*?</edXML:From>", b"", small_edoc(), flags=re.S)
    [problem] = problem_of(data).problems
    assert (problem.rule_id, problem.line) == ("EDX-XML-005", 5)
    assert "From" in problem.message


def test_missing_organ_id_names_its_parent_line():
    data = edited("status_inbox__01.edxml", "<edXML:OrganId>000.00.00.H41</edXML:OrganId>", "")
    [problem] = problem_of(data).problems
    assert (problem.rule_id, problem.line) == ("EDX-XML-005", 6)
    assert "OrganId" in problem.message and "From" in problem.message


def test_every_missing_element_is_reported_at_once():
    data = re.sub(rb"<edXML:(Subject|DocumentId|SignerInfo)>.*?</edXML:\1>", b"",
                  small_edoc(), flags=re.S)
    problems = problem_of(data).problems
    assert {p.rule_id for p in problems} == {"EDX-XML-005"}
    assert sorted(p.message.split()[2] for p in problems) == ["DocumentId", "SignerInfo", "Subject"]


def test_missing_container_does_not_also_report_its_children():
    data = re.sub(rb"<edXML:edXMLHeader>.*</edXML:edXMLHeader>", b"",
                  fixture("status_inbox__01.edxml"), flags=re.S)
    [problem] = problem_of(data).problems
    assert "edXMLHeader" in problem.message


def test_a_status_is_not_a_package_and_a_package_is_not_a_status():
    with pytest.raises(MalformedPackage) as caught:
        read_package(fixture("status_inbox__01.edxml"))
    assert caught.value.rule_ids == ["EDX-XML-006"]
    with pytest.raises(MalformedPackage) as caught:
        read_status(small_edoc())
    assert caught.value.rule_ids == ["EDX-XML-006"]


def test_read_accepts_an_already_parsed_package():
    parsed = parse(fixture("status_finish_06.edxml"))
    assert read(parsed) == read(fixture("status_finish_06.edxml"))


def test_non_bytes_is_a_type_error():
    with pytest.raises(TypeError):
        read("<edXML/>")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["status_inbox__01.edxml", "small edoc"])
def test_removing_any_element_never_raises_anything_but_malformed(name):
    data = small_edoc() if name == "small edoc" else fixture(name)
    count = sum(1 for _ in etree.fromstring(data).iter())
    outcomes = {"read": 0, "malformed": 0}
    for index in range(1, count):
        root = etree.fromstring(data)
        victim = list(root.iter())[index]
        victim.getparent().remove(victim)
        try:
            read(etree.tostring(root))
            outcomes["read"] += 1
        except MalformedPackage as exc:
            assert all(p.rule_id.startswith("EDX-") and p.message for p in exc.problems)
            outcomes["malformed"] += 1
    assert outcomes["read"] and outcomes["malformed"], outcomes
