"""The signature policy: which packages must be signed, and by whom.

- ``off``: signatures are not looked at (state ``absent``).
- ``record`` (default): verified when present; the state goes into the receipt
  and traces, an invalid signature does not stop the package.
- ``require``: unsigned and invalid packages are refused.
An agency with a registered certificate must sign with that certificate under
``record`` and ``require``: its registered certificate is the stronger promise.
"""

from __future__ import annotations

import threading

from gateway import edxml

from .errors import SignatureInvalid, SignatureRequired
from .results import SignatureState

__all__ = ["SignaturePolicy"]


class SignaturePolicy:
    """Applies a policy; keeps one ``Verifier`` per certificate (loading one costs)."""

    def __init__(self, policy: str, *, allow_sha1: bool) -> None:
        self.policy = policy
        self.allow_sha1 = allow_sha1
        self._verifiers: dict[str | None, edxml.Verifier] = {}
        self._lock = threading.Lock()

    def check(self, parsed: edxml.ParsedXml, agency_cert: str | None) -> SignatureState:
        """The package's signature state; raises when the policy refuses the package."""
        if self.policy == "off":
            return SignatureState("absent")
        strict = self.policy == "require" or agency_cert is not None
        report = self._verifier(agency_cert).verify(parsed)
        if report.state == "absent" and strict:
            raise SignatureRequired(self._unsigned_message(agency_cert))
        if report.state == "invalid" and strict:
            reason = report.reason or "the signature does not verify"
            raise SignatureInvalid(
                f"the package's signature is not valid: {reason}",
                rule_ids=[report.rule_id] if report.rule_id else None,
            )
        if report.state == "valid":
            return SignatureState("valid", report.signer_subject)
        return SignatureState(report.state, reason=report.reason)

    def _unsigned_message(self, agency_cert: str | None) -> str:
        if agency_cert is not None:
            return ("the package is not signed; your agency has a registered certificate, so"
                    " every package must carry an XML signature made with it")
        return ("the package is not signed; this gateway requires an enveloped XML signature"
                " (Signature in edXMLHeader) made with your agency's certificate")

    def _verifier(self, agency_cert: str | None) -> edxml.Verifier:
        verifier = self._verifiers.get(agency_cert)
        if verifier is None:
            with self._lock:
                verifier = self._verifiers.get(agency_cert)
                if verifier is None:
                    certs = [agency_cert.encode("ascii")] if agency_cert else None
                    verifier = edxml.Verifier(expected_certs=certs, allow_sha1=self.allow_sha1)
                    self._verifiers[agency_cert] = verifier
        return verifier
