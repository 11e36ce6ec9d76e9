"""Builders: valid packages and status messages from plain values, that read back equal."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from importlib.resources import as_file, files

import pytest
from lxml import etree

import gateway.edxml as edxml
from gateway.edxml import (
    STATUS_CODES,
    Organization,
    Package,
    Receiver,
    ReplacementInfo,
    ResponseFor,
    StaffInfo,
    StatusMessage,
    accepted,
    arrived,
    assigned,
    change_accepted,
    change_refused,
    finished,
    new_document,
    parse,
    processing,
    read,
    refused,
    replace_document,
    revoke_document,
    status_message,
    take_back,
    update_document,
    validate,
    write,
)
from gateway.edxml.formats import today_vn

VPCP = Organization("000.00.00.G22", organ_name="Văn phòng Chính phủ")
NGHE_AN, CAO_BANG = "000.00.00.H41", "000.00.00.H14"
SIGNED_AT = datetime(2024, 3, 1, 2, 30, tzinfo=UTC)  # 09:30 in Hà Nội
FIELDS = dict(
    sender=VPCP,
    recipients=[NGHE_AN, Organization(CAO_BANG, organ_name="UBND Tỉnh Cao Bằng")],
    code_number="7816",
    code_notation="VPCP-TTĐT",
    subject="V/v kết nối & liên thông <phần mềm>",
    promulgation_place="Hà Nội",
    promulgation_date=date(2024, 3, 1),
    signer_competence="KT. BỘ TRƯỞNG",
    signer_position="Thứ trưởng",
    signer_name="Nguyễn Văn A",
    timestamp=SIGNED_AT,
)
DOCUMENT_ID = "000.00.00.G22,2024/03/01,7816/VPCP-TTĐT"


def schema(name: str) -> etree.XMLSchema:
    with as_file(files("gateway") / "xsd" / name) as path:
        return etree.XMLSchema(etree.parse(str(path)))


def assert_valid(message: Package | StatusMessage) -> None:
    """Valid twice over: the XSD read directly, and the library's validator with its rules."""
    name = "edxml-package.xsd" if isinstance(message, Package) else "edxml-status.xsd"
    xsd = schema(name)
    written = write(message)
    assert xsd.validate(etree.fromstring(written)), [str(e) for e in xsd.error_log]
    assert validate(parse(written)) == []


def round_trips(message: Package | StatusMessage) -> None:
    assert read(write(message)) == message
    assert_valid(message)


def a_document(**overrides: object) -> Package:
    return new_document(**{**FIELDS, **overrides})


# -- documents ----------------------------------------------------------------------


def test_new_document_fills_in_what_the_standard_wants():
    package = a_document(files=[("Công văn 7816.pdf", b"%PDF-1.7 ..."), ("data.bin", b"\x00\xff")])
    round_trips(package)
    assert package.document_id == DOCUMENT_ID
    assert package.sender == "000.00.00.G22"
    assert package.recipients == [NGHE_AN, CAO_BANG]
    assert package.header.promulgation_info.promulgation_date == "2024/03/01"
    assert package.header.document_type.type_name == "Công văn"
    [hop] = package.trace_header_list.trace_headers
    assert (hop.organ_id, hop.timestamp) == ("000.00.00.G22", "2024/03/01 09:30:00")
    assert package.bussiness_doc_type == "0"
    assert package.header.other_info.priority == "0"


def test_files_pair_references_and_attachments_by_cid_number():
    package = a_document(files=[("a.pdf", b"first"), ("b.xml", b"<x/>", "text/xml")])
    attached = package.files()
    assert [(f.reference.content_id, f.attachment.content_id) for f in attached] == [
        ("cid:1", "cid:1"), ("cid:2", "cid:2"),
    ]
    assert [f.attachment.data for f in read(write(package)).files()] == [b"first", b"<x/>"]
    assert [f.reference.content_type for f in attached] == ["application/pdf", "text/xml"]
    assert attached[0].reference.attachment_name == "a.pdf"
    assert base64.b64decode(attached[0].attachment.encoded) == b"first"


def test_promulgation_date_defaults_to_today_in_vietnam():
    package = new_document(**{**FIELDS, "promulgation_date": None})
    today = today_vn().strftime("%Y/%m/%d")
    assert package.header.promulgation_info.promulgation_date == today
    assert package.document_id == f"000.00.00.G22,{today},7816/VPCP-TTĐT"


def test_promulgation_date_as_text_is_checked():
    assert a_document(promulgation_date="2024/03/01").document_id == DOCUMENT_ID
    with pytest.raises(ValueError, match="yyyy/MM/dd"):
        a_document(promulgation_date="01/03/2024")


def test_explicit_document_id_wins():
    assert a_document(document_id="0c5b6e0a-uuid").document_id == "0c5b6e0a-uuid"


@pytest.mark.parametrize("recipients,message", [
    ([], "at least one recipient"),
    ([NGHE_AN, "000.00.00.G22"], "does not send to itself"),
    ([NGHE_AN, CAO_BANG, Organization(NGHE_AN)], "more than once: 000.00.00.H41"),
])
def test_recipients_are_real_others_listed_once(recipients, message):
    with pytest.raises(ValueError, match=message):
        a_document(recipients=recipients)


def test_revoke_names_the_earlier_document():
    package = revoke_document(previous_document_id="x,2014/02/30,7806/A", reason="Ban hành nhầm",
                              **FIELDS)
    round_trips(package)
    bussiness = package.trace_header_list.bussiness
    assert (bussiness.bussiness_doc_type, bussiness.document_id) == ("1", "x,2014/02/30,7806/A")
    assert bussiness.bussiness_doc_reason == "Ban hành nhầm"


def test_update_carries_document_info_and_new_receivers():
    package = update_document(
        previous_document_id=DOCUMENT_ID, reason="Cập nhật văn bản điện tử",
        receivers=[NGHE_AN, Receiver(CAO_BANG, "1")], **FIELDS,
    )
    round_trips(package)
    info = package.trace_header_list.bussiness.bussiness_document_info
    assert package.bussiness_doc_type == "2"
    assert (info.document_info, info.document_receiver) == ("1", "1")
    assert info.receivers == [Receiver(NGHE_AN, "0"), Receiver(CAO_BANG, "1")]


def test_update_without_receivers_says_receivers_are_unchanged():
    package = update_document(previous_document_id=DOCUMENT_ID, reason="Sửa trích yếu", **FIELDS)
    round_trips(package)
    info = package.trace_header_list.bussiness.bussiness_document_info
    assert (info.document_info, info.document_receiver, info.receivers) == ("1", "0", None)


def test_replace_lists_what_it_replaces_at_every_recipient_by_default():
    package = replace_document(previous_document_id=DOCUMENT_ID, reason="Thay thế", **FIELDS)
    round_trips(package)
    assert package.bussiness_doc_type == "3"
    assert package.trace_header_list.bussiness.replacement_info_list == [
        ReplacementInfo(DOCUMENT_ID, [NGHE_AN, CAO_BANG])
    ]


def test_replace_with_explicit_replacements():
    replaced = [ReplacementInfo("a", [NGHE_AN]), ReplacementInfo("b", [])]
    package = replace_document(previous_document_id="a", reason="r", replaced_documents=replaced,
                               **FIELDS)
    round_trips(package)
    assert package.trace_header_list.bussiness.replacement_info_list == replaced


@pytest.mark.parametrize("overrides,message", [
    ({"bussiness_doc_type": "4"}, "bussiness_doc_type"),
    ({"bussiness_doc_type": "1"}, "previous_document_id"),
    ({"bussiness_doc_type": "3", "previous_document_id": "a"}, "replaced_documents"),
])
def test_inconsistent_business_parts_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        a_document(**overrides)


def test_builders_copy_what_they_are_given():
    package = a_document()
    package.header.from_.organ_name = "changed"
    assert VPCP.organ_name == "Văn phòng Chính phủ"


# -- status messages ----------------------------------------------------------------

NAMED = {
    "01": arrived, "03": accepted, "04": assigned, "05": processing, "06": finished,
    "15": change_accepted,
}
WITH_REASON = {"02": refused, "16": change_refused}


@pytest.mark.parametrize("code", sorted(NAMED))
def test_named_status_builders_answer_the_documents_sender(code):
    document = a_document()
    staff = StaffInfo("Văn thư", "Nguyễn Thị Trâm", "tram@nghean.gov.vn", "0912000001")
    status = NAMED[code](sender=NGHE_AN, document=document, staff=staff, timestamp=SIGNED_AT)
    round_trips(status)
    assert status.status_code == code
    assert status.recipient == "000.00.00.G22"
    assert status.response_for == ResponseFor(
        "000.00.00.G22", "7816/VPCP-TTĐT", "2024/03/01", DOCUMENT_ID
    )
    assert status.timestamp == "2024/03/01 09:30:00"


@pytest.mark.parametrize("code", sorted(WITH_REASON))
def test_refusals_carry_their_reason(code):
    status = WITH_REASON[code](sender=NGHE_AN, document=a_document(), reason="Sai thẩm quyền")
    round_trips(status)
    assert (status.status_code, status.description) == (code, "Sai thẩm quyền")


def test_take_back_is_addressed_to_the_recipient():
    status = take_back(sender=VPCP, document=a_document(), recipient=CAO_BANG,
                       reason="Gửi nhầm nơi nhận")
    round_trips(status)
    assert (status.status_code, status.recipient) == ("13", CAO_BANG)
    assert status.sender == "000.00.00.G22"
    assert status.description == "Gửi nhầm nơi nhận"


def test_take_back_from_someone_who_never_received_it_is_refused():
    with pytest.raises(ValueError, match="recipients"):
        take_back(sender=VPCP, document=a_document(), recipient="000.00.00.H53", reason="r")
    with pytest.raises(ValueError, match="recipient"):
        status_message("13", sender=VPCP, document=a_document())


def test_every_known_code_builds_from_a_response_for():
    answered = ResponseFor("000.00.00.G22", "1/A", "2024/03/01", "000.00.00.G22,2024/03/01,1/A")
    for code in STATUS_CODES:
        status = status_message(code, sender=NGHE_AN, document=answered, description="ghi chú")
        round_trips(status)
        assert status.response_for == answered and status.response_for is not answered


def test_status_without_staff_still_carries_staff_info():
    status = arrived(sender=NGHE_AN, document=a_document())
    assert status.staff_info == StaffInfo()
    assert b"StaffInfo" in write(status)
    assert_valid(status)


@pytest.mark.parametrize("code", ["07", "12", "14", "1", ""])
def test_unknown_status_codes_are_refused(code):
    with pytest.raises(ValueError, match="unknown status code"):
        status_message(code, sender=NGHE_AN, document=a_document())


def test_status_codes_cover_the_standard_and_are_exported():
    assert sorted(STATUS_CODES) == ["01", "02", "03", "04", "05", "06", "13", "15", "16"]
    assert edxml.STATUS_CODES is STATUS_CODES
    for name in ("new_document", "revoke_document", "update_document", "replace_document",
                 "status_message", "take_back", "change_refused"):
        assert name in edxml.__all__
