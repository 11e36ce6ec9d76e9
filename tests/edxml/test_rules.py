"""The rules beyond the XSD: what they accept (real-world variety) as much as what they refuse."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from conftest import REAL_PACKAGES

from gateway.edxml import parse, validate
from gateway.edxml.formats import STATUS_CODES
from gateway.edxml.reference import Skeleton
from gateway.edxml.rules import CHECKS, RULES, organ_id_error

REPO = Path(__file__).resolve().parents[2]
BASE = (Path(__file__).parent / "broken" / "valid_document.edxml").read_text(encoding="utf-8")
STATUS = (REAL_PACKAGES / "status_inbox__01.edxml").read_text(encoding="utf-8")
UPDATE = re.sub(r"(<edXML:ContentTransferEncoded[^>]*>)[^<]*<", r"\1UEsDBA==<",
                (REAL_PACKAGES / "edoc_update.edxml").read_text(encoding="utf-8"))


def rule_ids(text: str) -> list[str]:
    return [p.rule_id for p in validate(parse(text.encode()))]


def replaced(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# ---------------------------------------------------------------- the catalog


def test_every_rule_id_has_a_stable_form_and_a_description() -> None:
    for rule_id, description in RULES.items():
        assert re.fullmatch(r"EDX-[A-Z0-9]+-\d{3}", rule_id), rule_id
        assert description and description[0].islower() and not description.endswith("."), \
            rule_id


def test_every_rule_id_used_in_the_code_is_in_the_catalog() -> None:
    used = set()
    for path in (REPO / "gateway").rglob("*.py"):
        used |= set(re.findall(r"EDX-[A-Z0-9]+-\d{3}", path.read_text(encoding="utf-8")))
    assert used - set(RULES) == set(), "add these ids to gateway.edxml.rules.RULES"


def test_each_rule_function_names_the_ids_it_checks() -> None:
    for check in CHECKS:
        ids = re.findall(r"EDX-[A-Z0-9]+-\d{3}", check.__doc__ or "")
        assert ids and set(ids) <= set(RULES), check.__name__


# ---------------------------------------------------------------- agency identifiers


@pytest.mark.parametrize("organ_id", ["000.00.00.G22", "000.00.00.H41", "000.00.13.H53",
                                      "000.00.00.A01", "123.45.67.H14", "000.01.00.G17"])
def test_agency_identifiers_of_qd_20_2020_are_accepted(organ_id: str) -> None:
    assert organ_id_error(organ_id) is None


@pytest.mark.parametrize("organ_id", ["", "000.00.00.g22", "00.00.00.G22", "000.00.00.G2",
                                      "000.00.00.GG2", "000-00-00-G22", "H41", "000.00.00.G22.1",
                                      "G22.00.00.000", "000.00.00.G22 ", "٠٠٠.٠٠.٠٠.G22"])
def test_other_strings_are_not_agency_identifiers(organ_id: str) -> None:
    assert organ_id_error(organ_id)


@pytest.mark.parametrize("where", ["OrganIdList", "Receiver"])
def test_organ_ids_in_business_blocks_are_checked(where: str) -> None:
    block = ("<edXML:ReplacementInfoList><edXML:ReplacementInfo><edXML:DocumentId>x</edXML:"
             "DocumentId><edXML:OrganIdList><edXML:OrganId>H41</edXML:OrganId></edXML:OrganIdList>"
             "</edXML:ReplacementInfo></edXML:ReplacementInfoList>") if where == "OrganIdList" \
        else ("<edXML:BussinessDocumentInfo><edXML:ReceiverList><edXML:Receiver><edXML:OrganId>"
              "H41</edXML:OrganId></edXML:Receiver></edXML:ReceiverList>"
              "</edXML:BussinessDocumentInfo>")
    text = replaced(BASE, "<edXML:Paper>0</edXML:Paper>", "<edXML:Paper>0</edXML:Paper>" + block)
    [problem] = validate(parse(text.encode()))
    assert problem.rule_id == "EDX-ORGID-001" and f"OrganId in {where} 'H41'" in problem.message


def test_a_bad_organ_id_is_one_problem_not_two() -> None:
    """The XSD's pattern and the rule both see it; the rule's message is the one kept."""
    [problem] = validate(parse(replaced(STATUS, ">000.00.00.H41<", ">000.00.00.h41<").encode()))
    assert problem.rule_id == "EDX-ORGID-001"


# ---------------------------------------------------------------- recipients


def test_recipients_are_checked_only_in_documents() -> None:
    assert rule_ids(BASE) == [] and rule_ids(STATUS) == []


def test_each_repeated_recipient_is_reported_at_its_own_line() -> None:
    extra = "<edXML:To><edXML:OrganId>000.00.00.H41</edXML:OrganId></edXML:To>\n"
    text = replaced(BASE, "<edXML:Code>", extra * 2 + "        <edXML:Code>")
    problems = validate(parse(text.encode()))
    assert [p.rule_id for p in problems] == ["EDX-TO-002", "EDX-TO-002"]
    assert problems[0].line != problems[1].line


# ---------------------------------------------------------------- status codes


@pytest.mark.parametrize("code", sorted(STATUS_CODES))
def test_every_known_status_code_is_valid(code: str) -> None:
    assert rule_ids(replaced(STATUS, ">01</edXML:StatusCode>", f">{code}</edXML:StatusCode>")) == []


@pytest.mark.parametrize("code", ["00", "07", "08", "09", "10", "11", "12", "14", "17", "99"])
def test_status_codes_no_source_uses_are_refused(code: str) -> None:
    text = replaced(STATUS, ">01</edXML:StatusCode>", f">{code}</edXML:StatusCode>")
    [problem] = validate(parse(text.encode()))
    assert problem.rule_id == "EDX-STATUS-001" and problem.line == 28
    assert "01, 02, 03, 04, 05, 06, 13, 15, 16" in problem.message


# ---------------------------------------------------------------- dates and timestamps


def test_document_ids_are_opaque_even_with_impossible_dates() -> None:
    assert "2014/02/30" in UPDATE
    assert rule_ids(UPDATE) == []
    text = replaced(BASE, "000.00.00.G22,2024/03/15,1234/VPCP-KGVX",
                    "6f1c1f0e-5e1b-4c43-9a55-2c1ad0e9f3a1")
    assert rule_ids(text) == []


@pytest.mark.parametrize(("date", "valid"), [("2024/02/29", True), ("2023/02/29", False),
                                             ("2024/12/31", True), ("2024/00/10", False),
                                             ("2024/4/5", False), ("", False)])
def test_dates_must_exist(date: str, valid: bool) -> None:
    text = replaced(BASE, ">2024/04/15</edXML:DueDate>", f">{date}</edXML:DueDate>")
    assert rule_ids(text) == ([] if valid else ["EDX-DATE-001"])


@pytest.mark.parametrize(("timestamp", "valid"), [
    ("2015/09/20 23:59:59", True), ("2015/09/20 00:00:00", True), ("2015/09/20 24:00:00", False),
    ("2015/09/20 11:60:00", False), ("2015/09/20T11:08:36", False), ("2015/09/20 11:08", False)])
def test_timestamps_must_exist(timestamp: str, valid: bool) -> None:
    text = replaced(STATUS, ">2015/09/20 11:08:36<", f">{timestamp}<")
    assert rule_ids(text) == ([] if valid else ["EDX-TIME-001"])


# ---------------------------------------------------------------- business types


@pytest.mark.parametrize("doc_type", ["0", "1"])
def test_new_and_revoke_need_no_extra_part(doc_type: str) -> None:
    text = replaced(BASE, "<edXML:BussinessDocType>0<", f"<edXML:BussinessDocType>{doc_type}<")
    assert rule_ids(text) == []


def test_a_replacement_with_what_it_replaces_is_valid() -> None:
    info = ("<edXML:ReplacementInfoList><edXML:ReplacementInfo><edXML:DocumentId>000.00.00.G22,"
            "2024/03/01,1200/VPCP-KGVX</edXML:DocumentId></edXML:ReplacementInfo>"
            "</edXML:ReplacementInfoList>")
    text = replaced(BASE, "<edXML:BussinessDocType>0<", "<edXML:BussinessDocType>3<")
    assert rule_ids(replaced(text, "</edXML:Bussiness>", info + "</edXML:Bussiness>")) == []
    empty = "<edXML:ReplacementInfoList></edXML:ReplacementInfoList>"
    assert rule_ids(replaced(text, "</edXML:Bussiness>", empty + "</edXML:Bussiness>")) == [
        "EDX-BUSS-001"]


def test_the_real_update_carries_its_document_info() -> None:
    assert "<edXML:BussinessDocType>2<" in UPDATE and rule_ids(UPDATE) == []


# ---------------------------------------------------------------- attachments


@pytest.mark.parametrize(("reference", "attachment"), [("cid:1", "1"), ("1", "cid:1"),
                                                       ("CID:1", "cid:1"), (" cid:1 ", "1")])
def test_content_ids_match_with_or_without_cid(reference: str, attachment: str) -> None:
    text = replaced(BASE, "<edXML:ContentId>cid:1<", f"<edXML:ContentId>{reference}<")
    text = replaced(text, "<edXML:ContentId>cid:1<", f"<edXML:ContentId>{attachment}<")
    assert rule_ids(text) == []


def test_base64_split_into_lines_is_valid() -> None:
    encoded = base64.encodebytes(bytes(range(256)) * 10).decode()
    assert encoded.count("\n") > 10
    assert rule_ids(replaced(BASE, "Q8O0bmcgdsSDbiBz4buRIDEyMzQ=", encoded)) == []


def test_a_package_without_attachments_is_valid() -> None:
    text = re.sub(r"\s*<edXML:AttachmentEncoded.*</edXML:AttachmentEncoded>", "", BASE, flags=re.S)
    text = re.sub(r"\s*<edXML:Reference>.*</edXML:Reference>", "", text, flags=re.S)
    assert "Attachment" not in text.replace("AttachmentName", "")
    assert rule_ids(text) == []


def test_rules_find_their_elements_in_any_order() -> None:
    text = replaced(BASE, "<edXML:OrganId>000.00.00.H14<", "<edXML:OrganId>000.00.00.G22<")
    body = re.search(r"\s*<edXML:To>.*?</edXML:To>", text, re.S)[0]
    moved = replaced(text.replace(body, "", 1), "</edXML:MessageHeader>",
                     body + "</edXML:MessageHeader>")
    assert rule_ids(moved) == ["EDX-TO-003"]


def test_rules_do_not_look_inside_signatures() -> None:
    inside = ("<Signature><SignedInfo><Reference URI=''><DigestValue>x</DigestValue></Reference>"
              "</SignedInfo><Timestamp>soon</Timestamp><OrganId>me</OrganId></Signature>")
    assert rule_ids(replaced(STATUS, "</edXML:MessageHeader>",
                             "</edXML:MessageHeader>" + inside)) == []


def test_a_large_attachment_is_checked_from_the_package_bytes() -> None:
    """Above 64 KiB the base64 is read in place (reference.Skeleton); same verdicts."""
    encoded = base64.b64encode(bytes(range(256)) * 400).decode()
    package = replaced(BASE, "Q8O0bmcgdsSDbiBz4buRIDEyMzQ=", encoded).encode()
    assert len(Skeleton.of(package).left_out(parse(package).root)) == 1
    assert rule_ids(package.decode()) == []
    broken = encoded[:50_000] + "-" + encoded[50_000:]
    assert rule_ids(replaced(BASE, "Q8O0bmcgdsSDbiBz4buRIDEyMzQ=", broken)) == ["EDX-ATT-003"]
    accented = encoded[:50_000] + "ă" + encoded[50_000:]
    problems = validate(parse(replaced(BASE, "Q8O0bmcgdsSDbiBz4buRIDEyMzQ=", accented).encode()))
    assert [p.message for p in problems if p.rule_id == "EDX-ATT-003"] == [
        "ContentTransferEncoded is not valid base64 (ordinal not in range(128));"
        " encode the file with standard base64"]
