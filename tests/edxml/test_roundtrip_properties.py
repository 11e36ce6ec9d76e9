"""Properties: whatever valid message the model holds, writing then reading gives it back.

The gateway stores what it read and delivers what it writes, so a value that
changed on the way (an escaped ``&``, a Vietnamese letter, a trailing space, a
byte of an attachment) would be a document altered in transit.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import as_file, files

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from edxml.strategies import packages, status_messages, xml_text
from gateway.edxml import (
    MalformedPackage,
    Package,
    StatusMessage,
    parse,
    read,
    read_package,
    read_status,
    validate,
    write,
)
from gateway.edxml.namespaces import EDXML_NS

PROPERTY = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY
@given(packages())
def test_any_valid_package_reads_back_equal(package: Package):
    written = write(package)
    read_back = read_package(written)
    assert read_back == package
    assert write(read(written)) == written
    assert [(f.reference is None, f.attachment.data) for f in read_back.files()] == [
        (False, a.data) for a in package.attachments
    ]


@PROPERTY
@given(status_messages())
def test_any_valid_status_message_reads_back_equal(status: StatusMessage):
    written = write(status)
    assert read_status(written) == status
    assert write(read(written)) == written


@settings(PROPERTY, max_examples=40)
@given(packages(signed=True))
def test_a_stored_signature_survives_unchanged_in_its_place(package: Package):
    written = write(package)
    header = etree.fromstring(written).find(".//{*}edXMLHeader")
    signature = header[len(header) - 1]
    assert etree.tostring(signature, method="c14n", exclusive=True) == package.signature_xml


@cache
def _schema(name: str) -> etree.XMLSchema:
    with as_file(files("gateway") / "xsd" / name) as path:
        return etree.XMLSchema(etree.parse(str(path)))


@settings(PROPERTY, max_examples=30)
@given(packages(), status_messages())
def test_the_strategies_make_messages_the_validator_accepts(package, status):
    """Others reuse these strategies as "any valid message": hold them to the XSDs and rules."""
    for message, name in ((package, "edxml-package.xsd"), (status, "edxml-status.xsd")):
        written = write(message)
        schema = _schema(name)
        assert schema.validate(etree.fromstring(written)), str(schema.error_log)
        assert validate(parse(written)) == []


_NAMES = [
    "edXMLEnvelope", "edXMLHeader", "MessageHeader", "From", "To", "OrganId", "Code",
    "CodeNumber", "CodeNotation", "PromulgationInfo", "DocumentType", "SignerInfo", "Subject",
    "DocumentId", "ResponseFor", "StaffInfo", "StatusCode", "Timestamp", "TraceHeaderList",
    "TraceHeader", "Bussiness", "BussinessDocType", "ReplacementInfoList", "ReplacementInfo",
    "OrganIdList", "BussinessDocumentInfo", "ReceiverList", "Receiver", "edXMLBody",
    "edXMLManifest", "Reference", "ContentId", "AttachmentEncoded", "Attachment",
    "ContentTransferEncoded", "Signature", "OtherInfo", "Appendixes", "ToPlaces",
]


def _trees() -> st.SearchStrategy[etree._Element]:
    def element(name: str, text: str | None, children: list[etree._Element]) -> etree._Element:
        node = etree.Element(f"{{{EDXML_NS}}}{name}")
        node.text = text
        node.extend(children)
        return node

    leaves = st.builds(element, st.sampled_from(_NAMES), st.none() | xml_text(8), st.just([]))
    return st.recursive(
        leaves,
        lambda kids: st.builds(element, st.sampled_from(_NAMES), st.none(),
                               st.lists(kids, max_size=5)),
        max_leaves=40,
    )


@settings(PROPERTY, max_examples=150)
@given(st.lists(_trees(), max_size=3))
def test_any_tree_of_edxml_names_reads_or_is_malformed_never_crashes(children):
    """Vendors' software writes every wrong shape eventually; none may crash the reader."""
    root = etree.Element(f"{{{EDXML_NS}}}edXML", nsmap={None: EDXML_NS})
    root.extend(children)
    try:
        message = read(etree.tostring(root))
    except MalformedPackage as exc:
        assert exc.problems and all(p.rule_id.startswith("EDX-XML-") for p in exc.problems)
    else:
        assert read(write(message)) == message
