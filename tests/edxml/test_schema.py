"""The XSDs and the order-tolerant schema check: strict about what, lenient about order."""

from __future__ import annotations

import base64
import copy
import os
import re
import threading
import time
from importlib.resources import files
from pathlib import Path

import pytest
from conftest import REAL_PACKAGES
from hypothesis import HealthCheck, given, settings
from lxml import etree

from edxml.strategies import packages
from gateway.edxml import new_document, parse, validate, write
from gateway.edxml.namespaces import DSIG_NS, EDXML_NS
from gateway.edxml.schema import (
    SCHEMA_FILES,
    _check_on_copy,
    _copy_without_bulk,
    check_schema,
    child_order,
    schema_for,
)

BASE = (Path(__file__).parent / "broken" / "valid_document.edxml").read_text(encoding="utf-8")
STATUS = (REAL_PACKAGES / "status_inbox__01.edxml").read_text(encoding="utf-8")
UPDATE = re.sub(r"(<edXML:ContentTransferEncoded[^>]*>)[^<]*<", r"\1UEsDBA==<",
                (REAL_PACKAGES / "edoc_update.edxml").read_text(encoding="utf-8"))


def rule_ids(data: str | bytes) -> list[str]:
    return [p.rule_id for p in validate(parse(data.encode() if isinstance(data, str) else data))]


def reversed_everywhere(text: str) -> bytes:
    """The package with the children of every element (Signature's aside) in reverse order."""
    root = etree.fromstring(text.encode())
    for element in root.iter(tag=etree.Element):
        if etree.QName(element).localname != "Signature":
            element[:] = list(reversed(element))
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def test_schemas_ship_as_package_data_and_compile_once_per_thread() -> None:
    for name in [*SCHEMA_FILES.values(), "edxml-types.xsd"]:
        assert (files("gateway") / "xsd" / name).is_file(), name
    assert schema_for("edoc") is schema_for("edoc")
    assert schema_for("status") is schema_for("status")
    elsewhere = []
    thread = threading.Thread(target=lambda: elsewhere.append(schema_for("edoc")))
    thread.start()
    thread.join()
    assert elsewhere[0] is not schema_for("edoc")


def test_threads_validating_at_once_do_not_mix_their_problems() -> None:
    """A shared lxml validator keeps one error log: invalid packages then passed as valid."""
    bad = BASE.replace("<edXML:Priority>1<", "<edXML:Priority>9<").encode()
    cases = [(parse(BASE.encode()), []), (parse(bad), validate(parse(bad)))]
    assert cases[1][1]
    wrong: list[object] = []

    def work(parsed: object, expected: list[object]) -> None:
        for _ in range(60):
            found = validate(parsed)
            if found != expected:
                wrong.append(found)

    threads = [threading.Thread(target=work, args=cases[i % 2]) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


def test_the_standards_order_is_read_from_the_xsds() -> None:
    assert child_order("edoc")["MessageHeader"] == (
        "From", "To", "Code", "PromulgationInfo", "DocumentType", "Subject", "Content",
        "SignerInfo", "DueDate", "ToPlaces", "OtherInfo", "ResponseFor", "SteeringType",
        "DocumentId")
    assert child_order("status")["MessageHeader"] == (
        "From", "ResponseFor", "StaffInfo", "StatusCode", "Description", "Timestamp")
    assert child_order("edoc")["edXMLHeader"] == ("MessageHeader", "TraceHeaderList", "Signature")
    assert child_order("edoc")["edXML"] == ("edXMLEnvelope", "AttachmentEncoded")


@pytest.mark.parametrize("text", [BASE, STATUS, UPDATE], ids=["document", "status", "update"])
def test_any_element_order_is_valid(text: str) -> None:
    assert rule_ids(reversed_everywhere(text)) == []


def test_reordering_does_not_hide_a_repeated_element() -> None:
    doubled = BASE.replace("<edXML:DueDate>2024/04/15</edXML:DueDate>",
                           "<edXML:DueDate>2024/04/15</edXML:DueDate>" * 2)
    assert rule_ids(reversed_everywhere(doubled)) == ["EDX-XSD-002"]


def test_problems_point_at_the_senders_lines_after_reordering() -> None:
    data = reversed_everywhere(BASE.replace("<edXML:Priority>1<", "<edXML:Priority>9<"))
    line = next(n for n, text in enumerate(data.decode().splitlines(), 1) if ">9<" in text)
    [problem] = validate(parse(data))
    assert (problem.rule_id, problem.line) == ("EDX-XSD-003", line)


def test_line_numbers_stay_right_after_a_20mb_base64_text() -> None:
    encoded = base64.encodebytes(os.urandom(5_000_000)).decode()  # ~88,000 lines
    text = BASE.replace("Q8O0bmcgdsSDbiBz4buRIDEyMzQ=", "\n" + encoded)
    text = text.replace("</edXML:Attachment>", "<edXML:Checksum>x</edXML:Checksum>"
                        "</edXML:Attachment>")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "Checksum" in row)
    assert line > 65535
    [problem] = validate(parse(text.encode()))
    assert (problem.rule_id, problem.line) == ("EDX-XSD-002", line)


def test_validation_leaves_the_package_untouched() -> None:
    parsed = parse(reversed_everywhere(BASE.replace("<edXML:Subject>", "<edXML:Urgent/>"
                                                    "<edXML:Subject>")))
    before = etree.tostring(parsed.root)
    assert validate(parsed)
    assert etree.tostring(parsed.root) == before


def test_every_missing_element_of_one_container_is_reported() -> None:
    text = BASE.replace(
        "<edXML:DocumentId>000.00.00.G22,2024/03/15,1234/VPCP-KGVX</edXML:DocumentId>", "")
    for element in ("Code", "Subject", "SignerInfo"):
        text = re.sub(rf"\s*<edXML:{element}>.*?</edXML:{element}>", "", text, count=1, flags=re.S)
    messages = [p.message for p in validate(parse(text.encode()))]
    for element in ("Code", "Subject", "SignerInfo", "DocumentId"):
        assert f"MessageHeader lacks the required element {element}; add <{element}> inside" \
               " <MessageHeader>" in messages


def test_problems_of_several_containers_come_together() -> None:
    text = STATUS.replace("<edXML:Website>www.nghean.vn</edXML:Website>",
                          "<edXML:Website>www.nghean.vn</edXML:Website><edXML:Logo/>")
    text = text.replace("<edXML:Timestamp>2015/09/20 11:08:36</edXML:Timestamp>", "")
    text = text.replace("<edXML:Staff>", "<edXML:Role>văn thư</edXML:Role><edXML:Staff>")
    found = {(p.rule_id, p.message.split()[0]) for p in validate(parse(text.encode()))}
    assert found == {("EDX-XSD-002", "Logo"), ("EDX-XSD-001", "MessageHeader"),
                     ("EDX-XSD-002", "Role")}


def test_xmldsig_signature_in_the_header_is_allowed_and_not_looked_into() -> None:
    signature = (f'<ds:Signature xmlns:ds="{DSIG_NS}"><ds:Anything>not checked</ds:Anything>'
                 "</ds:Signature>")
    text = BASE.replace("</edXML:TraceHeaderList>", "</edXML:TraceHeaderList>" + signature)
    assert rule_ids(text) == []


def test_the_real_unnamespaced_signature_is_tolerated_whatever_is_inside() -> None:
    quirk = "<Signature><Reference><OrganId>nonsense</OrganId></Reference></Signature>"
    text = STATUS.replace("</edXML:MessageHeader>", "</edXML:MessageHeader>" + quirk)
    assert rule_ids(text) == []


@pytest.mark.parametrize("where", ["MessageHeader", "edXMLBody"])
def test_a_signature_anywhere_but_the_header_is_refused(where: str) -> None:
    signature = f'<ds:Signature xmlns:ds="{DSIG_NS}"/>'
    text = BASE.replace(f"</edXML:{where}>", signature + f"</edXML:{where}>")
    assert rule_ids(text) == ["EDX-XSD-002"]


def test_two_signatures_are_refused() -> None:
    signature = f'<ds:Signature xmlns:ds="{DSIG_NS}"/>'
    text = BASE.replace("</edXML:TraceHeaderList>", "</edXML:TraceHeaderList>" + signature * 2)
    assert rule_ids(text) == ["EDX-XSD-002"]


LIMITS = [  # (element, the text it has in the base document, the standard's limit)
    ("OrganizationInCharge", "Văn phòng Chính phủ", 500),
    ("OrganName", "Văn phòng Chính phủ", 200),
    ("OrganAdd", "Số 1 Hoàng Hoa Thám, Quận Ba Đình, Hà Nội", 500),
    ("Email", "vpcp@chinhphu.vn", 100),
    ("Telephone", "080 43100", 20),
    ("Fax", "080 44130", 20),
    ("CodeNumber", "1234", 11),
    ("CodeNotation", "VPCP-KGVX", 30),
    ("Place", "Hà Nội", 50),
    ("TypeName", "Công văn", 100),
    ("Subject", "V/v triển khai liên thông văn bản điện tử", 500),
    ("Content", "Đề nghị các tỉnh triển khai kết nối trục liên thông.", 500),
    ("Place", "Như trên", 150),
    ("SphereOfPromulgation", "Liên thông văn bản quốc gia", 100),
    ("TyperNotation", "NVA", 10),
]


@pytest.mark.parametrize(("element", "current", "limit"), LIMITS,
                         ids=[f"{e}-{n}" for e, _, n in LIMITS])
def test_length_limits_count_characters_not_bytes(element: str, current: str, limit: int) -> None:
    old = f"<edXML:{element}>{current}</edXML:{element}>"
    assert old in BASE
    at_limit = ("Đ" * limit)  # two bytes each in UTF-8: the limit is in characters
    assert rule_ids(BASE.replace(old, f"<edXML:{element}>{at_limit}</edXML:{element}>")) == []
    over = BASE.replace(old, f"<edXML:{element}>{at_limit}x</edXML:{element}>")
    [problem] = validate(parse(over.encode()))
    assert problem.rule_id == "EDX-XSD-004"
    assert problem.message == (f"{element} is {limit + 1} characters long; the standard allows"
                               f" at most {limit}: shorten it")


@pytest.mark.parametrize("priority", ["0", "1", "2", "3", "4", " 4 "])
def test_priorities_0_to_4_are_valid(priority: str) -> None:
    assert rule_ids(BASE.replace("<edXML:Priority>1<", f"<edXML:Priority>{priority}<")) == []


@pytest.mark.parametrize("priority", ["5", "-1", "", "01", "high"])
def test_other_priorities_are_refused(priority: str) -> None:
    problems = validate(parse(BASE.replace("<edXML:Priority>1<",
                                           f"<edXML:Priority>{priority}<").encode()))
    assert [p.message for p in problems] == [
        f"Priority {priority!r} is not allowed; use one of 0, 1, 2, 3, 4"]


def test_messages_carry_no_namespace_noise() -> None:
    text = BASE.replace("<edXML:Subject>", "<edXML:Urgent/><edXML:Subject>")
    text = text.replace('version="1.0"', 'version="1.0" x="1"', 2)
    text = text.replace("<edXML:Priority>1<", "<edXML:Priority>9<")
    problems = check_schema(parse(text.replace('<?xml version="1.0" x="1"', '<?xml version="1.0"')
                                  .encode()))
    assert len(problems) == 3
    assert all("{" not in p.message and EDXML_NS not in p.message for p in problems), problems


def test_a_20mb_package_validates_in_well_under_a_second_per_pass() -> None:
    document = new_document(
        sender="000.00.00.G22", recipients=["000.00.00.H41"], code_number="1",
        code_notation="VPCP", subject="Tệp lớn", promulgation_place="Hà Nội",
        signer_competence="KT", signer_position="Thứ trưởng", signer_name="Nguyễn Văn An",
        files=[("scan.pdf", os.urandom(20 * 1024 * 1024))])
    parsed = parse(write(document))
    started = time.perf_counter()
    assert validate(parsed) == []
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"validating 20 MB took {elapsed:.2f}s"


def test_the_copy_is_a_deep_copy_so_lxml_keeps_the_original() -> None:
    """Guard for the design: a copied tree is independent of the original."""
    root = etree.fromstring(b"<a><b/><c/></a>")
    twin = copy.deepcopy(root)
    twin[:] = list(reversed(twin))
    assert [e.tag for e in root] == ["b", "c"]


def test_the_validated_copy_leaves_out_only_attachment_texts(
    real_packages: dict[str, bytes],
) -> None:
    """Node for node the package, but the attachments' base64 is not copied."""
    package = real_packages["edoc_update.edxml"]
    root = parse(package).root
    twin = _copy_without_bulk(root, len(package))

    def shape(tree: etree._Element, *, bulk: bool) -> list[tuple]:
        return [(node.tag, node.tail, dict(node.attrib) if isinstance(node.tag, str) else None,
                 node.nsmap if isinstance(node.tag, str) else None,
                 None if bulk and etree.QName(node).localname == "ContentTransferEncoded"
                 and isinstance(node.tag, str) else node.text)
                for node in tree.iter()]

    assert shape(twin, bulk=False) == shape(root, bulk=True)
    assert len(root.find(".//{*}ContentTransferEncoded").text) > 100_000


_EVERY_FILE = sorted([*REAL_PACKAGES.glob("*.edxml"),
                      *(Path(__file__).parent / "broken").glob("*.edxml")])


@pytest.mark.parametrize("path", _EVERY_FILE, ids=lambda p: p.name)
def test_the_shortcut_for_valid_packages_answers_as_the_copy_does(path: Path) -> None:
    """check_schema answers [] without the copy when the package validates as sent; the
    copy must agree on every real and broken file, or that shortcut would hide a problem."""
    parsed = parse(path.read_bytes())
    assert check_schema(parsed) == _check_on_copy(parsed, schema_for(parsed.kind))


@given(packages())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_packages_valid_as_sent_are_valid_on_the_copy(package) -> None:
    parsed = parse(write(package))
    schema = schema_for(parsed.kind)
    if schema.validate(parsed.tree):
        assert _check_on_copy(parsed, schema) == []
