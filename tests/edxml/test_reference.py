"""The Reference digest over a skeleton agrees with signxml's own, on every kind of package.

``gateway.edxml.reference`` hashes large attachment texts in place instead of letting
signxml copy the package; these tests compare its verdicts and signed bytes with plain
signxml (which copies everything) on real and generated packages, signed in several
ways and tampered with in ways that do and do not change what is signed.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree
from signxml import CanonicalizationMethod, SignatureConfiguration, XMLSigner, XMLVerifier
from signxml.exceptions import InvalidDigest, InvalidSignature

from edxml.certs import Identity, make_identity
from edxml.large import big_document
from gateway.edxml import Signer, Verifier, parse
from gateway.edxml.namespaces import DSIG_NS, edxml
from gateway.edxml.parse import safe_parser
from gateway.edxml.reference import BULK_MIN, ReferenceVerifier, Skeleton

EXC = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def identity() -> Identity:
    return make_identity("Văn phòng Chính phủ (reference)")


@pytest.fixture(scope="module")
def signer(identity: Identity) -> Signer:
    return Signer(*identity)


def signxml_verdict(package: bytes, cert: x509.Certificate) -> bytes | None:
    """Plain signxml (copies and all): the signed bytes, or None when it refuses."""
    config = SignatureConfiguration(location=".//", expect_references=1,
                                    verification_time=cert.not_valid_before_utc,
                                    default_reference_c14n_method=EXC)
    try:
        result = XMLVerifier().verify(parse(package).root, x509_cert=cert, parser=safe_parser(),
                                      expect_config=config)
    except (InvalidDigest, InvalidSignature):
        return None
    return result.signed_data


def assert_agree(package: bytes, identity: Identity) -> str:
    cert = x509.load_pem_x509_certificate(identity.cert_pem)
    expected = signxml_verdict(package, cert)
    report = Verifier().verify(package)
    assert report.state == ("valid" if expected is not None else "invalid"), report.reason
    if expected is not None:
        assert report.signed_xml == expected
        assert Verifier().verify(parse(package)).signed_xml == expected
    return report.state


def sign_with(package: bytes, identity: Identity, c14n: str) -> bytes:
    """Sign as other software might: signxml directly, with another canonicalization."""
    root = parse(package).root
    for old in list(root.iter("{*}Signature")):
        old.getparent().remove(old)
    header = root.find(f"{edxml('edXMLEnvelope')}/{edxml('edXMLHeader')}")
    etree.SubElement(header, f"{{{DSIG_NS}}}Signature", Id="placeholder", nsmap={"ds": DSIG_NS})
    signed = XMLSigner(c14n_algorithm=c14n).sign(root, key=identity.key_pem,
                                                  cert=identity.cert_pem.decode())
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


# ------------------------------------------------------------------ the skeleton


def test_large_attachment_texts_are_left_out_of_the_skeleton(signer: Signer):
    signed = signer.sign(big_document())
    skeleton = Skeleton.of(signed)
    assert skeleton is not None and len(skeleton.segments) == 2
    assert len(etree.tostring(skeleton.root)) < 10_000


def test_the_real_packages_attachment_tag_with_its_namespace_is_recognised(
    real_packages: dict[str, bytes],
):
    """<edXML:ContentTransferEncoded xmlns:edXML="..."> of 361 KB, and one of 6 bytes."""
    skeleton = Skeleton.of(real_packages["edoc_update.edxml"])
    assert skeleton is not None and len(skeleton.segments) == 1


def test_small_packages_have_no_skeleton(real_packages: dict[str, bytes]):
    small = [p for name, p in real_packages.items() if name.startswith("status")]
    assert small and all(Skeleton.of(package) is None for package in small)


@pytest.mark.parametrize("hide", [
    lambda text: b"<!--<ContentTransferEncoded>" + text + b"</ContentTransferEncoded>-->",
    lambda text: b"<?pi <ContentTransferEncoded>" + text + b"</ContentTransferEncoded>?>",
    lambda text: b"<![CDATA[<ContentTransferEncoded>" + text + b"</ContentTransferEncoded>]]>",
], ids=["comment", "processing-instruction", "cdata"])
def test_a_tag_that_is_not_an_element_gets_no_skeleton(hide):
    package = b"<r><Description>" + hide(b"QUJD" * BULK_MIN) + b"</Description></r>"
    assert Skeleton.of(package) is None


def test_a_tag_before_the_root_element_gets_no_skeleton():
    text = b"QUJD" * BULK_MIN
    package = (b"<!--<ContentTransferEncoded>" + text + b"</ContentTransferEncoded>--><r/>")
    assert Skeleton.of(package) is None


# ------------------------------------------------------ agreement with plain signxml


@pytest.mark.parametrize("c14n", [
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/2006/12/xml-c14n11",
])
def test_packages_signed_with_any_allowed_canonicalization_verify_like_signxml(
    c14n: str, identity: Identity, real_packages: dict[str, bytes],
):
    for package in (big_document(), real_packages["edoc_update.edxml"]):
        signed = sign_with(package, identity, c14n)
        assert Skeleton.of(signed) is not None
        assert assert_agree(signed, identity) == "valid"
        changed = signed.replace(b"000.00.00.G22", b"000.00.00.G23", 1)
        assert assert_agree(changed, identity) == "invalid"


def test_real_packages_verify_like_signxml(real_packages: dict[str, bytes], signer: Signer,
                                           identity: Identity):
    for name, package in real_packages.items():
        assert assert_agree(signer.sign(package), identity) == "valid", name


def _in_attachment(package: bytes, edit) -> bytes:
    """Apply ``edit`` to the text of the first ContentTransferEncoded."""
    match = re.search(rb"(<[^>]*ContentTransferEncoded[^>]*>)([^<]*)(</)", package)
    return package[:match.start(2)] + edit(match.group(2)) + package[match.end(2):]


def _flip(text: bytes, at: int) -> bytes:
    return text[:at] + (b"B" if text[at:at + 1] != b"B" else b"C") + text[at + 1:]


UNCHANGED_MEANING = {
    "character-reference": lambda t: t[:100] + b"&#" + str(t[100]).encode() + b";" + t[101:],
    "cdata": lambda t: t[:100] + b"<![CDATA[" + t[100:200] + b"]]>" + t[200:],
    "comment-inside": lambda t: t[:100] + b"<!-- note -->" + t[100:],
}
CHANGED_MEANING = {
    "first-character": lambda t: _flip(t, 1),
    "middle-character": lambda t: _flip(t, len(t) // 2),
    "last-character": lambda t: _flip(t, len(t) - 3),
    "extra-space": lambda t: t[:100] + b" " + t[100:],
    "extra-newline": lambda t: t[:100] + b"\n" + t[100:],
    "one-character-less": lambda t: t[:100] + t[101:],
    "truncated": lambda t: t[: len(t) // 2],
    "carriage-return": lambda t: t[:100] + b"&#13;" + t[100:],
    "greater-than": lambda t: t[:100] + b"&gt;" + t[100:],
    "emptied": lambda t: b"",
}


@pytest.mark.parametrize("edit", list(UNCHANGED_MEANING.values()), ids=list(UNCHANGED_MEANING))
def test_attachment_rewritten_without_changing_its_text_verifies_like_signxml(
    edit, signer: Signer, identity: Identity,
):
    signed = signer.sign(big_document())
    assert assert_agree(_in_attachment(signed, edit), identity) == "valid"


def test_attachment_with_crlf_line_ends_verifies_like_signxml(signer: Signer,
                                                             identity: Identity):
    """The parser reads CR LF as LF: the same signed text, though not the same bytes."""
    lines = _in_attachment(big_document(), lambda t: b"\n".join(
        t[at:at + 76] for at in range(0, len(t), 76)))
    signed = signer.sign(lines)
    crlf = _in_attachment(signed, lambda t: t.replace(b"\n", b"\r\n"))
    assert crlf != signed
    assert assert_agree(crlf, identity) == "valid"


@pytest.mark.parametrize("edit", list(CHANGED_MEANING.values()), ids=list(CHANGED_MEANING))
def test_attachment_changed_after_signing_is_refused_like_signxml(
    edit, signer: Signer, identity: Identity,
):
    signed = signer.sign(big_document())
    tampered = _in_attachment(signed, edit)
    assert tampered != signed
    assert assert_agree(tampered, identity) == "invalid"


@pytest.mark.parametrize("tamper", [
    lambda p: p.replace(b"</edXML>", b"<!--x--></edXML>"),
    lambda p: p.replace(b"<edXML ", b"<?pi x?><edXML ", 1),
    lambda p: p.replace(b"ContentTransferEncoded>", b"ContentTransferEncoded >", 1),
    lambda p: p.replace(b"tep-1.bin", b"tep-2.bin"),
    lambda p: re.sub(rb"(<[^>]*ContentTransferEncoded)>", rb'\1 Id="a">', p, count=1),
    lambda p: _swap_attachments(p),
    lambda p: _second_envelope(p),
], ids=["comment", "pi-before-root", "tag-space", "file-name", "attribute", "swap",
        "second-envelope"])
def test_other_changes_to_a_large_package_are_judged_like_signxml(
    tamper, signer: Signer, identity: Identity,
):
    signed = signer.sign(big_document())
    tampered = tamper(signed)
    assert tampered != signed
    assert_agree(tampered, identity)


def _swap_attachments(package: bytes) -> bytes:
    first, second = re.finditer(rb"<[^/>][^>]*ContentTransferEncoded[^>]*>([^<]*)</", package)
    return (package[:first.start(1)] + second.group(1) + package[first.end(1):second.start(1)]
            + first.group(1) + package[second.end(1):])


def _second_envelope(package: bytes) -> bytes:
    root = parse(package).root
    envelope = root.find(edxml("edXMLEnvelope"))
    forged = etree.fromstring(etree.tostring(envelope))
    for signature in list(forged.iter(f"{{{DSIG_NS}}}Signature")):
        signature.getparent().remove(signature)
    root.insert(0, forged)
    return etree.tostring(root)


# ------------------------------------------------------------------- the contract


def test_signxml_still_calls_the_method_reference_verifier_overrides():
    """ReferenceVerifier replaces signxml's private ``_verify_reference``; if signxml
    renames it or changes its parameters, this fails before a package is misjudged."""
    parameters = list(inspect.signature(XMLVerifier._verify_reference).parameters)
    assert parameters == ["self", "reference", "index", "root", "uri_resolver",
                          "c14n_algorithm", "signature", "signature_key_used"]
    assert "self._verify_reference(" in inspect.getsource(XMLVerifier.verify)
    for name in ("_apply_transforms", "_fromstring", "_tostring", "_c14n", "_get_signature",
                 "_get_inclusive_ns_prefixes", "_get_cert_verification_time"):
        assert hasattr(XMLVerifier, name), name
    validity = list(inspect.signature(XMLVerifier._get_cert_validity_error).parameters)
    assert validity == ["self", "cert", "cert_source"]
    assert "self._get_cert_validity_error(" in inspect.getsource(XMLVerifier._check_cert_validity)
    assert ReferenceVerifier._verify_reference is not XMLVerifier._verify_reference


def test_verifying_a_large_parsed_package_leaves_the_callers_tree_untouched(signer: Signer):
    parsed = parse(signer.sign(big_document()))
    before = etree.tostring(parsed.root)
    report = Verifier().verify(parsed)
    assert report.state == "valid" and report.signed_xml
    assert etree.tostring(parsed.root) == before


def test_signed_xml_of_a_tree_changed_after_verifying_is_refused(signer: Signer):
    parsed = parse(signer.sign(big_document()))
    report = Verifier().verify(parsed)
    parsed.root.find(f".//{edxml('Subject')}").text = "Văn bản giả mạo"
    with pytest.raises(ValueError, match="no longer matches"):
        report.signed_xml  # noqa: B018


def test_verifying_a_parsed_large_package_does_not_copy_it(tmp_path: Path, signer: Signer):
    """The gateway's case: growth of the resident set well under the package's size."""
    package = tmp_path / "big.edxml"
    package.write_bytes(signer.sign(big_document(size=12 * 1024 * 1024, files=1)))
    probe = textwrap.dedent(f"""
        import re, sys
        from pathlib import Path
        from gateway.edxml import Verifier, parse
        def kib(field):
            status = Path("/proc/self/status").read_text()
            return int(re.search(rf"^{{field}}:\\s+(\\d+) kB", status, re.M)[1])
        parsed, verifier = parse(Path({str(package)!r}).read_bytes()), Verifier()
        Path("/proc/self/clear_refs").write_text("5")
        before = kib("VmRSS")
        assert verifier.verify(parsed).state == "valid"
        print((kib("VmHWM") - before) * 1024)
    """)
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("needs Linux /proc to measure the resident set")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    growth = int(result.stdout.strip())
    assert growth < package.stat().st_size / 4, f"grew {growth} bytes"
