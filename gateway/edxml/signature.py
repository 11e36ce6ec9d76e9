"""XML signatures on edXML packages: enveloped XML-DSig inside ``edXMLHeader``.

signxml does the cryptography; this module adds what the hub needs on top of it:

- the signature must cover the *whole* package (one ``Reference URI=""`` with the
  enveloped-signature transform and nothing but canonicalization after it), otherwise a
  valid signature over one part can vouch for unsigned content (signature wrapping);
- legacy SHA-1 signatures, still produced by agencies' older software, are a policy
  decision (``allow_sha1``), reported apart from "does not verify";
- whom to trust is decided here, once per verifier (pinned agency certificates and/or
  a CA trust store), not by signxml's default of the system CA bundle;
- every failure is a ``SignatureReport`` with a rule id and a reason a vendor can act
  on, never an exception: a bad signature is data about the package, not a crash.

Verifying a large package must not copy it: signxml alone needs four times the
package on top of its parsed tree. ``reference.py`` gives signxml a skeleton of the
package (attachment texts left out) and hashes the attachments in place; its docstring
says why that digest is the one signxml would compute. The signed bytes themselves
(``SignatureReport.signed_xml``) are canonicalized again only when asked for.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import verification
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConfiguration,
    SignatureMethod,
    XMLSigner,
)
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidSignature

from .namespaces import DSIG_NS, edxml
from .parse import ParsedXml, parse, safe_parser
from .problems import InvalidPackage, Problem
from .reference import ReferenceVerifier

__all__ = ["Signer", "Verifier", "SignatureReport"]

_NS = {"ds": DSIG_NS}
_ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
_C14N = frozenset(method.value for method in CanonicalizationMethod)
# Real packages (the national hub's SDK sample) name exclusive c14n by this wrong URI.
_EXC_C14N_MISSPELLED = "http://www.w3.org/TR/xml-exc-c14n#"
_SHA1_SIGNATURES = frozenset(m for m in SignatureMethod if "SHA1" in m.name)
_SIGNATURES = frozenset(
    m for m in SignatureMethod
    if m.name.startswith(("RSA_", "ECDSA_", "SHA")) and m not in _SHA1_SIGNATURES
)
_DIGESTS = frozenset(d for d in DigestAlgorithm if d is not DigestAlgorithm.SHA1)
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_RESIGN = "sign the package again (enveloped, Reference URI=\"\", RSA-SHA256)"


@dataclass(frozen=True)
class SignatureReport:
    """What the hub knows about a package's signature; "valid" names the signer.

    ``signed_xml`` (valid only) is the canonical XML that was signed: the whole package
    minus its Signature. Code that must act only on signed content should read that.
    It is computed when first read (from the package, checked against the verified
    digest): holding it for every report would double the memory a large package needs.
    """

    state: str  # "absent" | "valid" | "invalid"
    signer_subject: str | None = None
    signer_fingerprint: str | None = None  # SHA-256 of the certificate DER, hex
    reason: str | None = None  # why invalid, in words a vendor can act on
    rule_id: str | None = None  # EDX-SIG-... when invalid
    signed_source: Callable[[], bytes] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def signed_xml(self) -> bytes | None:
        """What was signed, as verified (None unless valid)."""
        return self.signed_source() if self.signed_source is not None else None


def _invalid(rule_id: str, reason: str, cert: x509.Certificate | None = None) -> SignatureReport:
    if cert is None:
        return SignatureReport("invalid", reason=reason, rule_id=rule_id)
    return SignatureReport("invalid", _subject(cert), _fingerprint(cert), reason, rule_id)


def _subject(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def _load_certs(blobs: list[bytes]) -> list[x509.Certificate]:
    """PEM (one or more certificates per item) or DER; configuration errors raise ValueError."""
    certs: list[x509.Certificate] = []
    for blob in blobs:
        if b"-----BEGIN" in blob:
            certs.extend(x509.load_pem_x509_certificates(blob))
        else:
            certs.append(x509.load_der_x509_certificate(blob))
    return certs


# ---------------------------------------------------------------------------- signing


class _EdxmlSigner(XMLSigner):
    """signxml re-parses the tree it signs; a 20 MB attachment needs lxml's huge_tree."""

    @property
    def parser(self) -> etree.XMLParser:
        return safe_parser()


class Signer:
    """Signs packages for one agency with RSA-SHA256, exclusive c14n, the certificate in KeyInfo.

    The key is loaded (and decrypted) once here: a wrong password or a key that does not
    belong to the certificate fails at start-up, not on the first package.
    """

    def __init__(self, key_pem: bytes, cert_pem: bytes, *, password: bytes | None = None):
        try:
            key = serialization.load_pem_private_key(key_pem, password=password)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"cannot load the signing key ({exc}); check the key file and its"
                             " password") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the signing key must be RSA: edXML signatures are RSA-SHA256")
        try:
            certs = x509.load_pem_x509_certificates(cert_pem)
        except ValueError as exc:
            raise ValueError(f"cannot read the signer's certificate ({exc}); give it as PEM,"
                             " the signer's own certificate first, then its CA chain") from None
        public = serialization.PublicFormat.SubjectPublicKeyInfo
        if certs[0].public_key().public_bytes(serialization.Encoding.DER, public) != \
                key.public_key().public_bytes(serialization.Encoding.DER, public):
            raise ValueError("the first certificate does not belong to the signing key;"
                             " give the signer's own certificate first, then its CA chain")
        self._key = key
        self._certs = certs
        self.subject = _subject(certs[0])
        self.fingerprint = _fingerprint(certs[0])

    def sign(self, package: bytes) -> bytes:
        """The package with one fresh signature in edXMLHeader; any earlier one is replaced."""
        root = parse(package).root
        header = root.find(f"{edxml('edXMLEnvelope')}/{edxml('edXMLHeader')}")
        if header is None:
            raise InvalidPackage([Problem(
                "EDX-SIG-006",
                "package has no edXMLEnvelope/edXMLHeader to carry the Signature;"
                " build a complete package before signing it",
            )])
        for old in list(root.iter("{*}Signature")):
            _remove_keeping_tail(old)
        _insert_placeholder(header)
        signer = _EdxmlSigner(
            signature_algorithm=SignatureMethod.RSA_SHA256,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        )
        signed = signer.sign(root, key=self._key, cert=self._certs)
        return _XML_DECLARATION + etree.tostring(signed, encoding="UTF-8")


def _remove_keeping_tail(element: etree._Element) -> None:
    """Drop ``element`` but not the text after it (the next sibling's indentation)."""
    parent = element.getparent()
    if parent is None:
        return
    previous = element.getprevious()
    if previous is not None:
        previous.tail = element.tail if element.tail is not None else previous.tail
    else:
        parent.text = element.tail if element.tail is not None else parent.text
    parent.remove(element)


def _insert_placeholder(header: etree._Element) -> None:
    """``<ds:Signature Id="placeholder"/>`` after MessageHeader/TraceHeaderList, indented like them.

    signxml replaces the placeholder with the signature and leaves it out of the digest.
    """
    anchor = None
    for child in header:
        if child.tag in (edxml("MessageHeader"), edxml("TraceHeaderList")):
            anchor = child
    placeholder = etree.Element(f"{{{DSIG_NS}}}Signature", {"Id": "placeholder"},
                                nsmap={"ds": DSIG_NS})
    if anchor is None:
        header.insert(0, placeholder)
        placeholder.tail, header.text = header.text, header.text
        return
    anchor.addnext(placeholder)
    placeholder.tail, anchor.tail = anchor.tail, header.text or anchor.tail


# ------------------------------------------------------------------------- verifying


class Verifier:
    """Checks the one enveloped signature of a package; thread-safe, reusable.

    - no ``expected_certs`` and no ``trust_store``: the certificate in KeyInfo is used as
      is (self-signed is fine); "valid" then means "signed by signer_subject" and the
      caller decides whether it trusts that signer (the gateway pins agency certificates);
    - ``expected_certs``: the signer's certificate must be one of these (pinning);
    - ``trust_store``: the signer's certificate must chain (with intermediates taken
      from KeyInfo) to one of these CA certificates;
    - both: both conditions hold.
    Certificates are PEM (one or more per item) or DER; unreadable ones raise ValueError.
    An empty ``expected_certs`` list trusts nobody (an agency with no registered certificate).
    """

    def __init__(
        self,
        *,
        expected_certs: list[bytes] | None = None,
        trust_store: list[bytes] | None = None,
        allow_sha1: bool = False,
    ):
        self._expected = {_fingerprint(c) for c in _load_certs(expected_certs)} \
            if expected_certs is not None else None
        anchors = _load_certs(trust_store) if trust_store is not None else None
        self._store = verification.Store(anchors) if anchors else None
        if trust_store is not None and not anchors:
            raise ValueError("trust_store is empty; give at least one CA certificate")
        self._allow_sha1 = allow_sha1
        self._config = SignatureConfiguration(
            location=".//",
            expect_references=1,
            signature_methods=_SIGNATURES | (_SHA1_SIGNATURES if allow_sha1 else frozenset()),
            digest_algorithms=_DIGESTS | ({DigestAlgorithm.SHA1} if allow_sha1 else frozenset()),
        )

    def verify(self, package: bytes | ParsedXml) -> SignatureReport:
        """Report on the package's signature; raises only MalformedPackage for unreadable bytes.

        A ParsedXml is read, never modified; its ``data`` must be the bytes its tree was
        parsed from (as ``parse`` makes it): large attachments are hashed from there.
        ``signed_xml`` of a valid report is the canonical form of the package minus its
        signature: exactly what was signed.
        """
        parsed = package if isinstance(package, ParsedXml) else parse(package)
        skeleton = parsed.skeleton
        data = parsed.data
        # What signxml checks on the full tree (and ``signed_xml``) is the caller's tree, or
        # for bytes a new parse: a report must not keep the tree of a 100 MB package alive.
        real_root = (lambda: package.root) if isinstance(package, ParsedXml) else \
            (lambda: parse(data).root)
        root = skeleton.root if skeleton is not None else parsed.tree
        found = _the_signature(root)
        if found is None:
            return SignatureReport("absent")
        if isinstance(found, SignatureReport):
            return found
        shape = _check_shape(found, self._allow_sha1)
        if shape is not None:
            return shape
        certs = _key_info_certs(found)
        if isinstance(certs, SignatureReport):
            return certs
        leaf = _leaf(certs)
        verifier = ReferenceVerifier(skeleton, real_root)
        report = self._check_value(verifier, root, found, leaf)
        if report.state != "valid":
            return report
        return self._check_trust(leaf, certs) or report

    def _check_value(self, verifier: ReferenceVerifier, root: etree._Element,
                     signature: etree._Element, leaf: x509.Certificate) -> SignatureReport:
        """Digest and SignatureValue, with the KeyInfo certificate; trust comes later.

        The verification time is pinned inside the certificate's validity so that a
        tampered package is reported as such (EDX-SIG-002) even when the certificate
        has also expired; expiry is a trust question (EDX-SIG-003).
        """
        config = replace(self._config, verification_time=leaf.not_valid_before_utc,
                         default_reference_c14n_method=_reference_c14n(signature))
        try:
            verifier.verify(root, x509_cert=leaf, parser=safe_parser(), expect_config=config)
        except InvalidDigest:
            return _invalid("EDX-SIG-002", "the package was changed after it was signed (the digest"
                            " of the signed content does not match); sign as the very last step"
                            " and send the signed bytes unchanged", leaf)
        except InvalidCertificate as exc:
            return _invalid("EDX-SIG-002", f"the certificate in KeyInfo is unusable: {exc}", leaf)
        except InvalidSignature:
            return _invalid("EDX-SIG-002", "SignatureValue does not verify with the certificate in"
                            " KeyInfo (signed with another key, or SignedInfo was changed); "
                            + _RESIGN, leaf)
        except Exception as exc:  # noqa: BLE001 - any other failure is a malformed signature
            return _invalid("EDX-SIG-002", f"the Signature is malformed: {exc}; " + _RESIGN, leaf)
        finally:
            # The report keeps the function; the verifier must not (the function refers to
            # the verifier: a cycle that would keep the package alive until a full collection).
            signed_source, verifier.signed_data = verifier.signed_data, None
        return SignatureReport("valid", _subject(leaf), _fingerprint(leaf),
                               signed_source=signed_source)

    def _check_trust(self, leaf: x509.Certificate,
                     chain: list[x509.Certificate]) -> SignatureReport | None:
        who = f"{_subject(leaf)} (certificate SHA-256 {_fingerprint(leaf)})"
        if self._expected is not None and _fingerprint(leaf) not in self._expected:
            return _invalid("EDX-SIG-003", f"signed by {who}, which is not a certificate registered"
                            " for this sender; sign with the registered certificate or register"
                            " the new one with the hub", leaf)
        if self._store is not None:
            return _check_chain(self._store, leaf, chain, who)
        now = dt.datetime.now(dt.UTC)
        if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
            return _invalid("EDX-SIG-003", f"the certificate of {who} is valid only from"
                            f" {leaf.not_valid_before_utc:%Y/%m/%d} to"
                            f" {leaf.not_valid_after_utc:%Y/%m/%d}; renew it and sign again", leaf)
        return None


def _check_chain(store: verification.Store, leaf: x509.Certificate,
                 chain: list[x509.Certificate], who: str) -> SignatureReport | None:
    builder = verification.PolicyBuilder().store(store).time(dt.datetime.now(dt.UTC))
    builder = builder.extension_policies(
        ee_policy=verification.ExtensionPolicy.permit_all(),
        ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(),
    )
    intermediates = [cert for cert in chain if cert is not leaf]
    try:
        builder.build_client_verifier().verify(leaf, intermediates)
    except verification.VerificationError as exc:
        return _invalid("EDX-SIG-003", f"the certificate of {who} does not chain to a CA the hub"
                        f" trusts ({exc}); sign with a certificate from a trusted CA and put"
                        " its intermediate CA certificates in KeyInfo/X509Data", leaf)
    return None


def _the_signature(root: etree._Element) -> etree._Element | SignatureReport | None:
    """The one ds:Signature, None when there is none, or the report of why it is unusable."""
    found = list(root.iter("{*}Signature"))
    if not found:
        return None
    if len(found) > 1:
        return _invalid("EDX-SIG-005", f"the package carries {len(found)} Signature elements;"
                        " exactly one, in edXMLHeader, is allowed: remove the others and "
                        + _RESIGN)
    namespace = etree.QName(found[0]).namespace
    if namespace != DSIG_NS:
        where = f"namespace {namespace!r}" if namespace else "no namespace"
        return _invalid("EDX-SIG-002", f"the Signature element is in {where}, not in the XML-DSig"
                        f" namespace; write it as <Signature xmlns=\"{DSIG_NS}\"> (children"
                        " included) and sign again", )
    return found[0]


def _check_shape(signature: etree._Element, allow_sha1: bool) -> SignatureReport | None:
    """The signature must sign the whole package, with algorithms the hub accepts."""
    if signature.find("ds:SignedInfo", _NS) is None:
        return _invalid("EDX-SIG-002", "the Signature has no ds:SignedInfo; " + _RESIGN)
    reference = signature.findall("ds:SignedInfo/ds:Reference", _NS)
    if len(reference) != 1:
        return _invalid("EDX-SIG-005", f"SignedInfo has {len(reference)} References; exactly one,"
                        " over the whole package, is allowed: " + _RESIGN)
    uri = reference[0].get("URI")
    if uri != "":
        return _invalid("EDX-SIG-005", f"Reference URI={uri!r} signs only part of the package"
                        " (or nothing); the whole package must be signed: " + _RESIGN)
    transforms = [t.get("Algorithm")
                  for t in reference[0].findall("ds:Transforms/ds:Transform", _NS)]
    known = _C14N | {_ENVELOPED, _EXC_C14N_MISSPELLED}
    if _ENVELOPED not in transforms or any(t not in known for t in transforms):
        return _invalid("EDX-SIG-005", f"Reference transforms {transforms} do not sign the whole"
                        " package; only the enveloped-signature transform followed by a"
                        " canonicalization is allowed: " + _RESIGN)
    method = signature.find("ds:SignedInfo/ds:SignatureMethod", _NS)
    digest = reference[0].find("ds:DigestMethod", _NS)
    used = {(e.get("Algorithm") or "") for e in (method, digest) if e is not None}
    legacy = sorted(a.rpartition("#")[2] for a in used
                    if a in {m.value for m in _SHA1_SIGNATURES} | {DigestAlgorithm.SHA1.value})
    if legacy and not allow_sha1:
        return _invalid("EDX-SIG-004", f"the signature uses legacy SHA-1 ({', '.join(legacy)});"
                        " re-sign with RSA-SHA256 or ask the hub to allow SHA-1")
    return None


def _reference_c14n(signature: etree._Element) -> CanonicalizationMethod:
    """The c14n to use when the Reference names none that signxml knows.

    XML-DSig says Canonical XML 1.0 (signxml would use 1.1); the misspelled exclusive
    c14n URI of real packages means exclusive c14n, which signxml would skip silently.
    """
    path = "ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform"
    if any(t.get("Algorithm") == _EXC_C14N_MISSPELLED for t in signature.iterfind(path, _NS)):
        return CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0
    return CanonicalizationMethod.CANONICAL_XML_1_0


def _key_info_certs(signature: etree._Element) -> list[x509.Certificate] | SignatureReport:
    path = "ds:KeyInfo/ds:X509Data/ds:X509Certificate"
    texts = [element.text or "" for element in signature.findall(path, _NS)]
    if not texts:
        return _invalid("EDX-SIG-002", "the Signature has no KeyInfo/X509Data/X509Certificate;"
                        " include the signer's certificate (base64 DER) so the hub can check it")
    try:
        return [x509.load_der_x509_certificate(base64.b64decode("".join(t.split()), validate=True))
                for t in texts]
    except (ValueError, binascii.Error) as exc:
        return _invalid("EDX-SIG-002", f"the X509Certificate in KeyInfo is unreadable ({exc});"
                        " it must be the signer's whole certificate, base64 DER, not cut short")


def _leaf(certs: list[x509.Certificate]) -> x509.Certificate:
    """The signer's certificate: the one that issued none of the others (KeyInfo has no order)."""
    for cert in certs:
        if not any(other is not cert and other.issuer == cert.subject for other in certs):
            return cert
    return certs[0]
