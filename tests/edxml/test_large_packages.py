"""A large package parsed from its skeleton reads, validates and verifies as if parsed whole.

``edxml.parse`` builds the tree of a package with large attachments from
``reference.Skeleton`` (attachment texts replaced by markers) and the library reads those
texts from the bytes. These tests compare every outcome with the library on the whole
tree (``whole``: the parse as it was, nothing read in place) on packages that take that
path, and check that packages it must not take are parsed whole.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import re
import subprocess
import sys
import textwrap
import weakref
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from edxml.certs import Identity, make_identity
from edxml.large import big_document
from gateway.edxml import (
    Checker,
    MalformedPackage,
    ParsedXml,
    Problem,
    Signer,
    Verifier,
    parse,
    read,
    validate,
    write,
)
from gateway.edxml.namespaces import EDXML_NS
from gateway.edxml.parse import safe_parser
from gateway.edxml.reference import BULK_MIN

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def identity() -> Identity:
    return make_identity("Văn phòng Chính phủ (large packages)")


@pytest.fixture(scope="module")
def signer(identity: Identity) -> Signer:
    return Signer(*identity)


_TEXT = re.compile(rb"(<edXML:ContentTransferEncoded>)([^<]*)(<)")


def in_texts(change: Callable[[bytes], bytes], which: int | None = None
             ) -> Callable[[bytes], bytes]:
    """A package edit that applies ``change`` to the attachment texts (or the ``which``-th)."""

    def edit(package: bytes) -> bytes:
        count = iter(range(1000))

        def one(match: re.Match[bytes]) -> bytes:
            n = next(count)
            text = change(match[2]) if which is None or n == which else match[2]
            return match[1] + text + match[3]

        return _TEXT.sub(one, package)

    return edit


def wrapped(text: bytes) -> bytes:
    """Base64 in MIME lines of 76, as many writers send it."""
    return b"\n".join(text[at:at + 76] for at in range(0, len(text), 76))


def whole(data: bytes) -> ParsedXml:
    """The package as the library read it before: the whole tree, nothing in place."""
    return ParsedXml(data, etree.fromstring(data, parser=safe_parser()), parse(data).kind)


def outcome(parsed: ParsedXml, verifier: Verifier) -> dict[str, object]:
    """Everything the library says about a parsed package."""
    try:
        message: object = read(parsed)
        written: bytes | None = write(message)  # type: ignore[arg-type]
    except MalformedPackage as exc:
        message, written = exc.problems, None
    report = verifier.verify(parsed)
    return {
        "kind": parsed.kind,
        "problems": validate(parsed),
        "message": message,
        "written": written,
        "signature": (report.state, report.rule_id, report.reason, report.signer_subject),
        "signed_xml": report.signed_xml,
    }


def _unsigned(package: bytes) -> bytes:
    return package


def _no_content_id_in_second(package: bytes) -> bytes:
    second = package.rfind(b"<edXML:ContentId>")
    return package[:second] + package[package.index(b"</edXML:ContentId>", second) + 18:]


def _in_the_envelope(package: bytes) -> bytes:
    start = package.index(b"<edXML:AttachmentEncoded")
    end = package.index(b"</edXML:AttachmentEncoded>") + len(b"</edXML:AttachmentEncoded>")
    block = package[start:end]
    rest = package[:start] + package[end:]
    closing = rest.index(b"</edXML:edXMLEnvelope>")
    return rest[:closing] + block + rest[closing:]


def _unprefixed(package: bytes) -> bytes:
    return package.replace(b"edXML:", b"").replace(f' xmlns:edXML="{EDXML_NS}"'.encode(), b"")


VARIANTS: dict[str, Callable[[bytes], bytes]] = {
    "as written": _unsigned,
    "base64 in lines of 76": in_texts(wrapped),
    "base64 in lines, the second broken": lambda p: in_texts(lambda t: t[:-8] + b"*",
                                                             which=1)(in_texts(wrapped)(p)),
    "bad padding": in_texts(lambda t: t.rstrip(b"=") + b"=", which=0),
    "second attachment without ContentId": lambda p: _no_content_id_in_second(
        in_texts(wrapped)(p)),
    "attachments in the envelope": _in_the_envelope,
    "unprefixed": _unprefixed,
}


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_a_large_package_reads_validates_and_verifies_as_if_parsed_whole(
    variant: Callable[[bytes], bytes], signed: bool, signer: Signer,
):
    package = variant(big_document())
    if signed:
        package = signer.sign(package)
    parsed = parse(package)
    assert parsed.tree is parsed.skeleton.root, "the skeleton path was not taken"
    full = whole(package)
    assert [(e.tag, e.sourceline) for e in parsed.tree.iter()] == \
        [(e.tag, e.sourceline) for e in full.root.iter()]
    assert outcome(parsed, Verifier()) == outcome(full, Verifier())


def test_a_tampered_attachment_is_caught_as_if_parsed_whole(signer: Signer):
    signed = signer.sign(in_texts(wrapped)(big_document()))
    tampered = in_texts(lambda t: t.replace(b"A", b"B", 1), which=1)(signed)
    parsed = parse(tampered)
    assert parsed.tree is parsed.skeleton.root
    assert outcome(parsed, Verifier()) == outcome(whole(tampered), Verifier())
    assert Verifier().verify(parsed).rule_id == "EDX-SIG-002"


def test_the_real_large_package_takes_the_skeleton_path_and_agrees(
    real_packages: dict[str, bytes],
):
    package = real_packages["edoc_update.edxml"]
    parsed = parse(package)
    assert parsed.tree is parsed.skeleton.root
    assert outcome(parsed, Verifier()) == outcome(whole(package), Verifier())


def test_checker_reports_a_large_package_as_it_did_whole(signer: Signer):
    package = signer.sign(in_texts(wrapped)(big_document()))
    assert Checker(require_signature=True).check(package).ok
    broken = in_texts(lambda t: t[:-8] + b"*", which=1)(package)
    checked = Checker(require_signature=True).check(broken)
    full = whole(broken)
    report = Verifier().verify(full)
    line = next(full.root.iter("{*}Signature")).sourceline
    expected = [*validate(full),
                Problem(report.rule_id, f"Signature is not valid: {report.reason}", line)]
    assert checked.problems == sorted(expected, key=lambda p: p.line or 0)


@pytest.mark.parametrize("change", [
    lambda t: t[:100] + b"\x01" + t[101:],
    lambda t: t[:100] + "é".encode() + t[102:],
    lambda t: t[:100] + b"&#65;" + t[105:],
    lambda t: t[:100] + b"\r\n" + t[102:],
], ids=["control character", "non-ASCII", "character reference", "CR"])
def test_an_attachment_text_libxml2_would_change_or_refuse_stays_in_the_tree(change):
    package = in_texts(change, which=1)(big_document())
    try:
        expected = outcome(whole(package), Verifier())
    except etree.XMLSyntaxError as exc:
        with pytest.raises(MalformedPackage) as raised:
            parse(package)
        assert raised.value.problems[0].rule_id == "EDX-XML-001"
        assert raised.value.problems[0].line == exc.position[0]
        return
    parsed = parse(package)
    first, second = parsed.tree.iter(f"{{{EDXML_NS}}}ContentTransferEncoded")
    assert list(parsed.in_place) == [first]
    assert second.text == list(whole(package).root.iter(second.tag))[1].text
    assert outcome(parsed, Verifier()) == expected


@pytest.mark.parametrize("move", [
    lambda p: p.replace(b"<edXML:Description>", b"<edXML:Description><edXML:ContentTransferEncoded>"
                        + b"QUJD" * BULK_MIN + b"</edXML:ContentTransferEncoded>", 1),
    lambda p: p.replace(b"<edXML:ContentTransferEncoded>",
                        b'<ContentTransferEncoded xmlns="urn:other">').replace(
                            b"</edXML:ContentTransferEncoded>", b"</ContentTransferEncoded>"),
], ids=["outside an Attachment", "outside the edXML namespace"])
def test_a_large_text_the_reader_may_see_through_a_parent_is_parsed_whole(move):
    package = move(big_document())
    parsed = parse(package)
    assert parsed.skeleton is not None and parsed.tree is parsed.root
    assert outcome(parsed, Verifier()) == outcome(whole(package), Verifier())


def test_a_package_broken_after_its_attachments_gets_the_full_parse_error():
    package = in_texts(wrapped)(big_document()).replace(b"</edXML:Attachment>\n  </",
                                                        b"</edXML:Attachment>\n  <x></", 1)
    with pytest.raises(etree.XMLSyntaxError) as expected:
        etree.fromstring(package, parser=safe_parser())
    with pytest.raises(MalformedPackage) as raised:
        parse(package)
    line, column = expected.value.position
    assert raised.value.problems[0].line == line
    assert f"line {line}, column {column}: {expected.value.msg}" in raised.value.problems[0].message


def test_root_of_a_large_package_is_its_whole_tree_and_the_library_reads_its_changes():
    package = big_document()
    parsed = parse(package)
    texts = [e.text for e in parsed.root.iter(f"{{{EDXML_NS}}}ContentTransferEncoded")]
    assert texts == [m[2].decode() for m in _TEXT.finditer(package)]
    assert validate(parsed) == []
    parsed.root.find(f".//{{{EDXML_NS}}}OrganId").text = "G22"
    assert [p.rule_id for p in validate(parsed)] == ["EDX-ORGID-001"]
    assert read(parsed).sender == "G22"


def test_an_attachment_read_in_place_is_the_text_and_decodes():
    package = in_texts(wrapped)(big_document(files=1))
    attachment = read(parse(package)).attachments[0]
    expected = read(whole(package)).attachments[0]
    assert attachment.encoded == expected.encoded and attachment == expected
    assert attachment.data == bytes((i * 7) % 256 for i in range(3 * BULK_MIN))
    assert dataclasses.replace(attachment, content_id="x").encoded == expected.encoded
    assert repr(attachment) == repr(expected)


def test_intake_of_a_large_package_does_not_copy_it(tmp_path: Path, signer: Signer):
    """The gateway's parse + validate + read + verify: growth well under the package."""
    package = tmp_path / "big.edxml"
    package.write_bytes(signer.sign(big_document(size=12 * 1024 * 1024, files=1)))
    probe = textwrap.dedent(f"""
        import re
        from pathlib import Path
        from gateway.edxml import Verifier, parse, read, validate
        def kib(field):
            status = Path("/proc/self/status").read_text()
            return int(re.search(rf"^{{field}}:\\s+(\\d+) kB", status, re.M)[1])
        data, verifier = Path({str(package)!r}).read_bytes(), Verifier()
        Path("/proc/self/clear_refs").write_text("5")
        before = kib("VmRSS")
        parsed = parse(data)
        assert validate(parsed) == []
        message = read(parsed)
        assert verifier.verify(parsed).state == "valid"
        assert message.attachments[0].content_id
        del message
        print((kib("VmHWM") - before) * 1024)
    """)
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("needs Linux /proc to measure the resident set")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    growth = int(result.stdout.strip())
    assert growth < package.stat().st_size / 4, f"grew {growth} bytes"


def test_a_verified_package_is_freed_as_soon_as_it_is_dropped(signer: Signer) -> None:
    """No reference cycle keeps a package (and its bytes) alive after verification: the
    gateway does not force garbage collections, and a 100 MB package must not outlive its
    request."""
    gc.disable()
    try:
        parsed = parse(signer.sign(big_document()))
        report = Verifier().verify(parsed)
        assert report.state == "valid"
        assert report.signed_xml  # the report can still give what was signed
        dropped = weakref.ref(parsed)
        del parsed, report
        assert dropped() is None
    finally:
        gc.enable()
