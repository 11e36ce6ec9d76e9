"""Who is calling: the OrganId and secret a SOAP request presents.

Two ways, both accepted for every operation: a WS-Security UsernameToken with a
PasswordText password in the SOAP header (what Java and .NET WS-Security stacks send), or
HTTP Basic (what a plain HTTP client sets most easily). When a request carries both, the
UsernameToken is used. Checking them is the core's job (``Exchange.authenticate``); this
module only reads them, and never says which part was wrong.
"""

from __future__ import annotations

import base64
import binascii

from lxml import etree

__all__ = ["Credentials", "credentials", "WSSE", "PASSWORD_TEXT"]

WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
PASSWORD_TEXT = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    "#PasswordText"
)

Credentials = tuple[str | None, str | None]
"""(OrganId, secret); either is None when the request did not present it."""


def credentials(environ: dict, header: etree._Element | None) -> Credentials:
    """The credentials in ``header`` (WS-Security) or else in the Authorization header."""
    token = _username_token(header)
    if token is not None:
        return token
    return _http_basic(environ.get("HTTP_AUTHORIZATION", ""))


def _username_token(header: etree._Element | None) -> Credentials | None:
    if header is None:
        return None
    token = header.find(f"{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
    if token is None:
        return None
    username = token.findtext(f"{{{WSSE}}}Username")
    password = token.find(f"{{{WSSE}}}Password")
    if password is None or password.get("Type", PASSWORD_TEXT) != PASSWORD_TEXT:
        # A PasswordDigest cannot be checked against a stored hash: treat as no secret.
        return (_strip(username), None)
    return (_strip(username), password.text)


def _strip(value: str | None) -> str | None:
    return value.strip() if value is not None else None


def _http_basic(authorization: str) -> Credentials:
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return (None, None)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return (None, None)
    organ_id, separator, secret = decoded.partition(":")
    if not separator:
        return (organ_id or None, None)
    return (organ_id or None, secret)
