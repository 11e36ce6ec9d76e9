"""Check a package the way the gateway would: parse, validate, verify the signature.

This is what ``edxml-gateway check`` runs, and what an agency's IT support runs
before sending: the same parser, validation, reader and verifier as the hub, so
"OK here" means "accepted there" (for the same signature policy; the hub also
checks who is sending and to whom, which only it knows).

Signature policy mirrors the gateway's: unless a signature is required, a
signature that is present but does not verify (real packages carry broken ones)
is reported as a note, not a problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from .parse import DEFAULT_SETTINGS, ParsedXml, ReaderSettings, parse
from .problems import EdxmlError, MalformedPackage, Problem
from .reader import read
from .signature import SignatureReport, Verifier
from .validate import validate

__all__ = ["CheckResult", "Checker"]

_UNSIGNED = ("package has no Signature but a signature is required; sign it (enveloped"
             " XML-DSig in edXMLHeader, Reference URI=\"\", RSA-SHA256) with the sending"
             " agency's certificate")


@dataclass(frozen=True)
class CheckResult:
    """What a check found: ``problems`` make a package invalid, ``notes`` are for information."""

    problems: list[Problem]
    notes: list[str] = field(default_factory=list)
    kind: str | None = None  # "edoc", "status", or None when the bytes are not edXML
    signature: SignatureReport | None = None  # None when the package could not be parsed

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (the signed XML is left out: it is the package again)."""
        signature = None
        if self.signature is not None:
            s = self.signature
            signature = {"state": s.state, "signer_subject": s.signer_subject,
                         "signer_fingerprint": s.signer_fingerprint, "reason": s.reason,
                         "rule_id": s.rule_id}
        return {
            "ok": self.ok,
            "kind": self.kind,
            "problems": [{"rule_id": p.rule_id, "line": p.line, "message": p.message}
                         for p in self.problems],
            "notes": list(self.notes),
            "signature": signature,
        }


class Checker:
    """Checks packages under one signature policy; reusable and thread-safe.

    ``trusted_certs`` (PEM or DER): a signer is trusted when its certificate is one of
    them (agency certificates are pinned) or is issued by one of them (CA certificates).
    Without it, any certificate that verifies the signature is accepted, as the
    gateway does for agencies with no registered certificate.
    """

    def __init__(
        self,
        *,
        require_signature: bool = False,
        trusted_certs: list[bytes] | None = None,
        allow_sha1: bool = False,
        settings: ReaderSettings = DEFAULT_SETTINGS,
    ):
        self.require_signature = require_signature
        self.settings = settings
        self._verifiers = _verifiers(trusted_certs or [], allow_sha1)

    def check(self, data: bytes) -> CheckResult:
        """Every problem of ``data``; never raises for bad input."""
        try:
            parsed = parse(data, self.settings)
        except MalformedPackage as exc:
            return CheckResult(exc.problems)
        problems = validate(parsed) or _read_problems(parsed)
        report = self.verify(parsed)
        notes: list[str] = []
        signature_problem = self._signature_problem(parsed, report)
        if signature_problem is not None:
            problems = sorted([*problems, signature_problem], key=lambda p: p.line or 0)
        elif report.state == "invalid":
            notes.append(f"signature present but not accepted ({report.rule_id}):"
                         f" {report.reason}")
        elif report.state == "valid":
            notes.append(f"signature valid, signed by {report.signer_subject}"
                         f" (certificate SHA-256 {report.signer_fingerprint})")
        return CheckResult(problems, notes, parsed.kind, report)

    def verify(self, parsed: ParsedXml) -> SignatureReport:
        """The signature report; with several trust modes, the first that accepts it wins."""
        reports = []
        for verifier in self._verifiers:
            report = verifier.verify(parsed)
            if report.state != "invalid" or report.rule_id != "EDX-SIG-003":
                return report
            reports.append(report)
        return reports[0]

    def _signature_problem(self, parsed: ParsedXml, report: SignatureReport) -> Problem | None:
        if not self.require_signature or report.state == "valid":
            return None
        if report.state == "absent":
            return Problem("EDX-SIG-001", _UNSIGNED, None)
        line = next((e.sourceline for e in parsed.tree.iter("{*}Signature")), None)
        reason = report.reason or "the signature does not verify"
        return Problem(report.rule_id or "EDX-SIG-002", f"Signature is not valid: {reason}", line)


def _read_problems(parsed: ParsedXml) -> list[Problem]:
    """What the gateway's reader refuses in a package validation accepted (should be nothing)."""
    try:
        read(parsed)
    except EdxmlError as exc:
        return exc.problems
    return []


def _verifiers(trusted: list[bytes], allow_sha1: bool) -> list[Verifier]:
    """One verifier per trust mode: pinned end-entity certificates, then CA certificates."""
    if not trusted:
        return [Verifier(allow_sha1=allow_sha1)]
    pinned, authorities = [], []
    for blob in trusted:
        for cert in _load(blob):
            pem = cert.public_bytes(Encoding.PEM)
            (authorities if _is_ca(cert) else pinned).append(pem)
    verifiers = []
    if pinned:
        verifiers.append(Verifier(expected_certs=pinned, allow_sha1=allow_sha1))
    if authorities:
        verifiers.append(Verifier(trust_store=authorities, allow_sha1=allow_sha1))
    return verifiers


def _load(blob: bytes) -> list[x509.Certificate]:
    """PEM (one or more) or DER; ``ValueError`` names the problem."""
    if b"-----BEGIN" in blob:
        return x509.load_pem_x509_certificates(blob)
    return [x509.load_der_x509_certificate(blob)]


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False
