"""Agency secrets: made by the gateway, kept only as hashes, checked in constant time.

Secrets are 192 random bits, not passwords people choose, so nobody can guess
them from a stolen hash and a slow hash (scrypt, bcrypt) would buy nothing but
a slower gateway: every SOAP call authenticates. An unsalted SHA-256 with a
version prefix is enough; the prefix lets a future scheme live next to it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["new_secret", "hash_secret", "secret_matches", "AUTH_FAILED_MESSAGE"]

_SCHEME = "sha256$"
_SECRET_BYTES = 24  # 192 bits; token_urlsafe gives 32 characters
_DUMMY_HASH = _SCHEME + "0" * 64

AUTH_FAILED_MESSAGE = (
    "authentication failed: the OrganId and secret do not match an active agency;"
    " check both (the secret is the one printed by `edxml-gateway agency add` or"
    " `agency reset-secret`) or ask the gateway's administrator"
)
"""One message for unknown, disabled and wrong-secret alike: a caller learns nothing."""


def new_secret() -> str:
    """A fresh random secret, URL-safe so it fits HTTP Basic and WS-Security headers."""
    return secrets.token_urlsafe(_SECRET_BYTES)


def hash_secret(secret: str) -> str:
    return _SCHEME + hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str | None, stored_hash: str | None) -> bool:
    """Compare in constant time; a missing agency is compared against a dummy hash anyway."""
    given = secret if isinstance(secret, str) else ""
    candidate = hash_secret(given)
    expected = stored_hash or _DUMMY_HASH
    matches = hmac.compare_digest(candidate.encode("ascii"), expected.encode("ascii"))
    return matches and bool(given) and stored_hash is not None
