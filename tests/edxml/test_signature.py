"""Signing and verifying edXML packages: what the hub accepts, rejects, and says why."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.serialization import Encoding, load_pem_private_key
from lxml import etree
from signxml import XMLSigner

from edxml.certs import Identity, chain_pem, make_ca, make_identity
from gateway.edxml import (
    InvalidPackage,
    SignatureReport,
    Signer,
    Verifier,
    accepted,
    new_document,
    parse,
    read,
    write,
)
from gateway.edxml.namespaces import DSIG_NS, edxml

EDOC = "edoc_update.edxml"
STATUS_FILES = [
    "status_inbox__01.edxml",
    "status_rejection_02.edxml",
    "status_acceptance_03.edxml",
    "status_assignment_04.edxml",
    "status_processing_05.edxml",
    "status_finish_06.edxml",
    "status_change-acceptance_15.edxml",
]
DS = {"ds": DSIG_NS}
ENVELOPE = "{http://www.mic.gov.vn/TBT/QCVN_102_2016}edXMLEnvelope"


@pytest.fixture(scope="module")
def vpcp() -> Identity:
    return make_identity("Văn phòng Chính phủ")


@pytest.fixture(scope="module")
def signer(vpcp: Identity) -> Signer:
    return Signer(*vpcp)


@pytest.fixture(scope="module")
def signed_edoc(signer: Signer, real_packages: dict[str, bytes]) -> bytes:
    return signer.sign(real_packages[EDOC])


def built_document() -> bytes:
    return write(new_document(
        sender="000.00.00.G22", recipients=["000.00.00.H41", "000.00.00.H14"],
        code_number="7816", code_notation="VPCP-TTĐT", subject="V/v kết nối liên thông",
        promulgation_place="Hà Nội", signer_competence="KT. BỘ TRƯỞNG",
        signer_position="Thứ trưởng", signer_name="Nguyễn Văn A",
        files=[("cong-van.pdf", b"%PDF-1.4 c\xf4ng v\xe4n"), ("phu-luc.txt", b"ph\xe1\xbb\xa5")],
    ))


def built_status() -> bytes:
    document = read(built_document())
    return write(accepted(sender="000.00.00.H41", document=document))


def _signatures(package: bytes) -> list[etree._Element]:
    return list(parse(package).root.iter("{*}Signature"))


def _sign_with_signxml(package: bytes, identity: Identity, signer: XMLSigner, **kwargs) -> bytes:
    """Sign like other agencies' software might: signxml driven directly, placeholder in header."""
    root = parse(package).root
    for old in list(root.iter("{*}Signature")):
        old.getparent().remove(old)
    header = root.find(f"{edxml('edXMLEnvelope')}/{edxml('edXMLHeader')}")
    etree.SubElement(header, f"{{{DSIG_NS}}}Signature", Id="placeholder", nsmap=DS)
    signed = signer.sign(root, key=identity.key_pem, cert=identity.cert_pem.decode(), **kwargs)
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


class _LegacySha1Signer(XMLSigner):
    """Old agency software still signs with RSA-SHA1; signxml refuses to unless told not to."""

    def check_deprecated_methods(self) -> None:
        return None


def _sha1_signed(package: bytes, identity: Identity) -> bytes:
    legacy = _LegacySha1Signer(signature_algorithm="rsa-sha1", digest_algorithm="sha1",
                               c14n_algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315")
    return _sign_with_signxml(package, identity, legacy)


def assert_invalid(report: SignatureReport, rule_id: str, *words: str) -> None:
    assert (report.state, report.rule_id) == ("invalid", rule_id), report
    for word in words:
        assert word in report.reason, report.reason
    assert report.signed_xml is None


# --------------------------------------------------------------- real packages as they are


@pytest.mark.parametrize("name", STATUS_FILES)
def test_real_status_messages_carry_no_signature(name: str, real_packages: dict[str, bytes]):
    assert Verifier().verify(real_packages[name]) == SignatureReport("absent")


def test_real_edoc_signature_outside_the_xmldsig_namespace_is_invalid_and_says_so(
    real_packages: dict[str, bytes],
):
    report = Verifier(allow_sha1=True).verify(real_packages[EDOC])
    assert_invalid(report, "EDX-SIG-002", "not in the XML-DSig namespace",
                   "http://www.mic.gov.vn/TBT/QCVN_102_2016", f'xmlns="{DSIG_NS}"')


def test_real_edoc_with_namespace_fixed_is_still_sha1_then_cut_short(
    real_packages: dict[str, bytes],
):
    fixed = real_packages[EDOC].replace(b"<Signature>", f'<Signature xmlns="{DSIG_NS}">'.encode())
    assert_invalid(Verifier().verify(fixed), "EDX-SIG-004", "rsa-sha1", "sha1")
    assert_invalid(Verifier(allow_sha1=True).verify(fixed), "EDX-SIG-002",
                   "X509Certificate in KeyInfo is unreadable", "not cut short")


# ------------------------------------------------------------------------ sign and verify


@pytest.mark.parametrize("source", [EDOC, *STATUS_FILES, "built document", "built status"])
def test_signed_package_verifies_and_names_its_signer(
    source: str, signer: Signer, vpcp: Identity, real_packages: dict[str, bytes],
):
    builders = {"built document": built_document, "built status": built_status}
    package = builders[source]() if source in builders else real_packages[source]
    report = Verifier().verify(signer.sign(package))
    cert = x509.load_pem_x509_certificate(vpcp.cert_pem)
    der = cert.public_bytes(Encoding.DER)
    assert report.state == "valid", report.reason
    assert report.signer_subject == "CN=Văn phòng Chính phủ,O=edxml-gateway tests,C=VN"
    assert report.signer_fingerprint == hashlib.sha256(der).hexdigest() == signer.fingerprint
    assert report.rule_id is None and report.reason is None
    assert b"DocumentId>" in report.signed_xml and b"Signature" not in report.signed_xml


def test_signature_sits_in_edxml_header_after_the_trace_headers(signed_edoc: bytes):
    [signature] = _signatures(signed_edoc)
    header = signature.getparent()
    assert header.tag == edxml("edXMLHeader")
    assert signature.getprevious().tag == edxml("TraceHeaderList")
    algorithms = [e.get("Algorithm") for e in signature.iter() if e.get("Algorithm")]
    assert algorithms == [
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "http://www.w3.org/2001/04/xmlenc#sha256",
    ]
    assert signature.find("ds:SignedInfo/ds:Reference", DS).get("URI") == ""
    assert signature.find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", DS) is not None


def test_signing_keeps_everything_else_in_the_package(
    signed_edoc: bytes, real_packages: dict[str, bytes],
):
    before, after = read(real_packages[EDOC]), read(signed_edoc)
    assert after.signature_xml is not None
    before.signature_xml = after.signature_xml = None
    assert after == before
    assert signed_edoc.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_resigning_replaces_the_old_signature(signed_edoc: bytes):
    other = Signer(*make_identity("UBND Tỉnh Nghệ An"))
    resigned = other.sign(signed_edoc)
    assert len(_signatures(resigned)) == 1
    report = Verifier().verify(resigned)
    assert report.state == "valid" and "UBND Tỉnh Nghệ An" in report.signer_subject


def test_attachment_above_libxml2_text_limit_signs_and_verifies(signer: Signer):
    big = write(new_document(
        sender="000.00.00.G22", recipients=["000.00.00.H41"], code_number="1",
        code_notation="VPCP", subject="Tệp lớn", promulgation_place="Hà Nội",
        signer_competence="KT", signer_position="P", signer_name="N",
        files=[("lon.bin", bytes(range(256)) * (8 * 4096))],  # 8 MB -> 11 MB of base64
    ))
    assert Verifier().verify(signer.sign(big)).state == "valid"


def test_verifying_a_parsed_package_leaves_the_callers_tree_untouched(signed_edoc: bytes):
    parsed = parse(signed_edoc)
    before = etree.tostring(parsed.root)
    assert Verifier().verify(parsed) == Verifier().verify(signed_edoc)
    assert etree.tostring(parsed.root) == before


def test_one_verifier_serves_many_threads(signed_edoc: bytes, vpcp: Identity):
    verifier = Verifier(expected_certs=[vpcp.cert_pem])
    packages = [signed_edoc, signed_edoc.replace(b"Cao B", b"Cao X")] * 4
    with ThreadPoolExecutor(4) as pool:
        states = list(pool.map(lambda p: verifier.verify(p).state, packages))
    assert states == ["valid", "invalid"] * 4


# ------------------------------------------------------------------------ tampering


def _change_attachment(package: bytes) -> bytes:
    start = package.index(b"ContentTransferEncoded", package.index(b"AttachmentEncoded"))
    at = package.index(b">", start) + 100
    swapped = b"B" if package[at:at + 1] != b"B" else b"C"
    return package[:at] + swapped + package[at + 1:]


def _wrap_body(package: bytes) -> bytes:
    root = parse(package).root
    body = root.find(f"{ENVELOPE}/{edxml('edXMLBody')}")
    wrapper = etree.SubElement(body.getparent(), edxml("Extension"))
    wrapper.append(body)
    return etree.tostring(root)


def _second_envelope(package: bytes, *, with_signature: bool) -> bytes:
    root = parse(package).root
    forged = etree.fromstring(etree.tostring(root.find(ENVELOPE)))
    forged.find(f".//{edxml('Subject')}").text = "Văn bản giả mạo"
    if not with_signature:
        for signature in list(forged.iter(f"{{{DSIG_NS}}}Signature")):
            signature.getparent().remove(signature)
    root.insert(0, forged)
    return etree.tostring(root)


@pytest.mark.parametrize("tamper, words", [
    (lambda p: p.replace(b"Cao B\xe1\xba\xb1ng", b"Cao B\xe1\xba\xb2ng", 1), ["changed after"]),
    (lambda p: p.replace(b"000.00.00.H14", b"000.00.00.H15", 1), ["changed after"]),
    (_change_attachment, ["changed after"]),
    (lambda p: p.replace(b'version="1.0">', b'version="1.1">', 1), ["changed after"]),
    (_wrap_body, ["changed after"]),
    (lambda p: _second_envelope(p, with_signature=False), ["changed after"]),
    (lambda p: re.sub(rb"(<ds:SignatureValue>)(.)", lambda m: m.group(1) + (
        b"A" if m.group(2) != b"A" else b"B"), p, count=1), ["SignatureValue does not verify"]),
    (lambda p: re.sub(rb"(<ds:DigestValue>)(.)", lambda m: m.group(1) + (
        b"A" if m.group(2) != b"A" else b"B"), p, count=1), ["SignatureValue does not verify"]),
], ids=["subject", "recipient", "attachment", "attribute", "wrapped-body", "second-envelope",
        "signature-value", "digest-value"])
def test_any_change_after_signing_is_detected(signed_edoc: bytes, tamper, words: list[str]):
    tampered = tamper(signed_edoc)
    assert tampered != signed_edoc
    assert_invalid(Verifier().verify(tampered), "EDX-SIG-002", *words)


def test_a_copied_signature_is_a_second_signature(signed_edoc: bytes):
    report = Verifier().verify(_second_envelope(signed_edoc, with_signature=True))
    assert_invalid(report, "EDX-SIG-005", "2 Signature elements", "exactly one")


def _with_ids(package: bytes) -> bytes:
    package = package.replace(b"<edXML:edXMLEnvelope ", b'<edXML:edXMLEnvelope Id="env" ')
    return package.replace(b"<AttachmentEncoded>", b'<AttachmentEncoded Id="files">')


def test_signature_over_one_element_is_wrapping(real_packages: dict[str, bytes], vpcp: Identity):
    package = _with_ids(real_packages[EDOC])
    signer = XMLSigner(c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
    partial = _sign_with_signxml(package, vpcp, signer, reference_uri="#env")
    assert_invalid(Verifier().verify(partial), "EDX-SIG-005", "URI='#env'", "whole package")


def test_signature_with_extra_references_is_wrapping(
    real_packages: dict[str, bytes], vpcp: Identity,
):
    package = _with_ids(real_packages[EDOC])
    signer = XMLSigner(c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
    partial = _sign_with_signxml(package, vpcp, signer, reference_uri=["#env", "#files"])
    assert_invalid(Verifier().verify(partial), "EDX-SIG-005", "2 References")


def _resign_signed_info(package: bytes, identity: Identity, edit) -> bytes:
    """Edit SignedInfo, then make SignatureValue valid again: what a key holder can do."""
    root = parse(package).root
    signature = root.find(f".//{{{DSIG_NS}}}Signature")
    signed_info = signature.find("ds:SignedInfo", DS)
    edit(signed_info)
    key = load_pem_private_key(identity.key_pem, password=None)
    value = key.sign(etree.tostring(signed_info, method="c14n", exclusive=True),
                     PKCS1v15(), hashes.SHA256())
    signature.find("ds:SignatureValue", DS).text = base64.b64encode(value).decode()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_signature_whose_transforms_sign_nothing_is_wrapping(signed_edoc: bytes, vpcp: Identity):
    """A base64 transform makes signxml digest the root's text (whitespace), not the package.

    signxml 5.2 alone accepts the forged package below as validly signed.
    """

    def sign_nothing(signed_info: etree._Element) -> None:
        transforms = signed_info.find("ds:Reference/ds:Transforms", DS)
        transforms[1].set("Algorithm", "http://www.w3.org/2000/09/xmldsig#base64")
        digest = base64.b64encode(hashlib.sha256(b"").digest()).decode()
        signed_info.find("ds:Reference/ds:DigestValue", DS).text = digest

    attack = _resign_signed_info(signed_edoc, vpcp, sign_nothing)
    forged = attack.replace(b"000.00.00.H14", b"000.00.00.H99")
    assert_invalid(Verifier().verify(forged), "EDX-SIG-005", "transforms", "base64")


def test_misspelled_exclusive_c14n_of_real_packages_is_understood(
    signed_edoc: bytes, vpcp: Identity,
):
    def misspell(signed_info: etree._Element) -> None:
        transforms = signed_info.find("ds:Reference/ds:Transforms", DS)
        transforms[1].set("Algorithm", "http://www.w3.org/TR/xml-exc-c14n#")

    quirky = _resign_signed_info(signed_edoc, vpcp, misspell)
    assert Verifier().verify(quirky).state == "valid"
    tampered = quirky.replace(b"000.00.00.H14", b"000.00.00.H15", 1)
    assert_invalid(Verifier().verify(tampered), "EDX-SIG-002", "changed after")


def test_signature_without_certificate_cannot_be_checked(signed_edoc: bytes):
    no_cert = re.sub(rb"<ds:KeyInfo>.*</ds:KeyInfo>", b"", signed_edoc, flags=re.S)
    assert_invalid(Verifier().verify(no_cert), "EDX-SIG-002", "no KeyInfo/X509Data/X509Certificate")


# --------------------------------------------------------------------------- trust


def test_signer_must_be_the_expected_certificate(signed_edoc: bytes, vpcp: Identity):
    assert Verifier(expected_certs=[vpcp.cert_pem]).verify(signed_edoc).state == "valid"
    someone_else = make_identity("Sở Thông tin truyền thông Hải Phòng")
    report = Verifier(expected_certs=[someone_else.cert_pem]).verify(signed_edoc)
    assert_invalid(report, "EDX-SIG-003", "Văn phòng Chính phủ", "not a certificate registered")
    assert report.signer_fingerprint == Signer(*vpcp).fingerprint


def test_same_name_with_another_key_is_not_the_expected_certificate(signed_edoc: bytes):
    impostor = make_identity("Văn phòng Chính phủ", key_id="impostor")
    report = Verifier(expected_certs=[impostor.cert_pem]).verify(signed_edoc)
    assert_invalid(report, "EDX-SIG-003", "not a certificate registered")


@pytest.fixture(scope="module")
def pki() -> dict[str, Identity]:
    root = make_ca("Test Root CA")
    sub = make_ca("Test Sub CA", issuer=root)
    return {"root": root, "sub": sub,
            "leaf": make_identity("UBND Tỉnh Cao Bằng", issuer=sub),
            "other root": make_ca("Other Root CA")}


def test_chain_to_the_trust_store_is_valid(pki: dict[str, Identity]):
    leaf = pki["leaf"]
    signed = Signer(leaf.key_pem, chain_pem(leaf, pki["sub"])).sign(built_document())
    report = Verifier(trust_store=[pki["root"].cert_pem]).verify(signed)
    assert report.state == "valid", report.reason
    assert "UBND Tỉnh Cao Bằng" in report.signer_subject


@pytest.mark.parametrize("case", ["other root", "missing intermediate", "self-signed"])
def test_chain_not_reaching_the_trust_store_is_not_trusted(case: str, pki: dict[str, Identity]):
    leaf = pki["leaf"]
    if case == "self-signed":
        leaf = make_identity("UBND Tỉnh Cao Bằng", key_id="self-signed Cao Bằng")
    certs = leaf.cert_pem if case != "other root" else chain_pem(leaf, pki["sub"])
    store = pki["other root"] if case == "other root" else pki["root"]
    signed = Signer(leaf.key_pem, certs).sign(built_document())
    assert Verifier().verify(signed).state == "valid"
    report = Verifier(trust_store=[store.cert_pem]).verify(signed)
    assert_invalid(report, "EDX-SIG-003", "does not chain to a CA the hub trusts")


def test_expired_certificate_is_not_trusted(vpcp: Identity):
    now = dt.datetime.now(dt.UTC)
    old = make_identity("Văn phòng Chính phủ", key_id="Văn phòng Chính phủ",
                        not_before=now - dt.timedelta(days=800),
                        not_after=now - dt.timedelta(days=70))
    signed = Signer(*old).sign(built_document())
    assert_invalid(Verifier().verify(signed), "EDX-SIG-003", "valid only from", "renew")
    tampered = signed.replace(b"000.00.00.H41", b"000.00.00.H42")
    assert_invalid(Verifier().verify(tampered), "EDX-SIG-002", "changed after")


# --------------------------------------------------------------------------- SHA-1


def test_sha1_signature_is_refused_unless_the_hub_allows_it(
    real_packages: dict[str, bytes], vpcp: Identity,
):
    legacy = _sha1_signed(real_packages[EDOC], vpcp)
    report = Verifier().verify(legacy)
    assert_invalid(report, "EDX-SIG-004", "rsa-sha1", "sha1",
                   "re-sign with RSA-SHA256 or ask the hub to allow SHA-1")
    allowed = Verifier(allow_sha1=True).verify(legacy)
    assert allowed.state == "valid", allowed.reason
    tampered = legacy.replace(b"000.00.00.H14", b"000.00.00.H15", 1)
    assert_invalid(Verifier(allow_sha1=True).verify(tampered), "EDX-SIG-002", "changed after")


# -------------------------------------------------------------------------- Signer setup


def test_wrong_key_password_fails_when_the_signer_is_made():
    locked = make_identity("Bộ Nội vụ", password=b"dung-mat-khau")
    assert Signer(*locked, password=b"dung-mat-khau").sign(built_status())
    with pytest.raises(ValueError, match="password"):
        Signer(*locked, password=b"sai-mat-khau")
    with pytest.raises(ValueError, match="password"):
        Signer(*locked)


def test_certificate_of_another_key_fails_when_the_signer_is_made(vpcp: Identity):
    other = make_identity("Bộ Tài chính")
    with pytest.raises(ValueError, match="does not belong to the signing key"):
        Signer(vpcp.key_pem, other.cert_pem)


def test_unreadable_certificate_fails_when_the_signer_is_made(vpcp: Identity):
    with pytest.raises(ValueError, match="cannot read the signer's certificate"):
        Signer(vpcp.key_pem, b"MIIFqTCCBJG")


def test_package_without_header_cannot_be_signed(signer: Signer):
    bare = b'<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXMLEnvelope/></edXML>'
    with pytest.raises(InvalidPackage) as caught:
        signer.sign(bare)
    assert caught.value.rule_ids == ["EDX-SIG-006"]


def test_unreadable_trusted_certificate_fails_when_the_verifier_is_made():
    with pytest.raises(ValueError):
        Verifier(expected_certs=[base64.b64encode(b"not a certificate")])
