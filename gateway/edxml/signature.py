"""XML signatures on edXML packages. (stub: to be implemented)"""

from __future__ import annotations

from dataclasses import dataclass

from .parse import ParsedXml

__all__ = ["Signer", "Verifier", "SignatureReport"]


@dataclass(frozen=True)
class SignatureReport:
    state: str  # "absent" | "valid" | "invalid"
    signer_subject: str | None = None
    signer_fingerprint: str | None = None  # SHA-256 of the certificate DER, hex
    reason: str | None = None  # why invalid, in words a vendor can act on
    rule_id: str | None = None  # EDX-SIG-... when invalid
    signed_xml: bytes | None = None  # what was signed, as verified


class Signer:
    def __init__(self, key_pem: bytes, cert_pem: bytes, *, password: bytes | None = None):
        raise NotImplementedError

    def sign(self, package: bytes) -> bytes:
        raise NotImplementedError


class Verifier:
    def __init__(
        self,
        *,
        expected_certs: list[bytes] | None = None,
        trust_store: list[bytes] | None = None,
        allow_sha1: bool = False,
    ):
        raise NotImplementedError

    def verify(self, package: bytes | ParsedXml) -> SignatureReport:
        raise NotImplementedError
