"""Faults the gateway reports, each with a stable code.

The codes are a contract: SOAP clients (and the Python client's exception
classes) switch on them. Every transport maps a ``GatewayFault`` to its own
error shape using ``code`` and ``message`` and never shows anything else.
"""

from __future__ import annotations

__all__ = [
    "GatewayFault",
    "AuthenticationFailed",
    "NotAuthorized",
    "MalformedPackage",
    "InvalidPackage",
    "UnknownRecipient",
    "SenderMismatch",
    "SignatureRequired",
    "SignatureInvalid",
    "DuplicateDocumentId",
    "NotFound",
    "TooLarge",
    "InvalidRequest",
    "InternalError",
    "FAULT_CLASSES",
]


class GatewayFault(Exception):
    """Base of all faults. ``rule_ids`` names the edXML rules broken, when any."""

    code = "Server.Internal"

    def __init__(self, message: str, *, rule_ids: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.rule_ids = list(rule_ids or [])


class AuthenticationFailed(GatewayFault):
    code = "Client.Authentication"


class NotAuthorized(GatewayFault):
    code = "Client.NotAuthorized"


class MalformedPackage(GatewayFault):
    code = "Client.MalformedPackage"


class InvalidPackage(GatewayFault):
    code = "Client.InvalidPackage"


class UnknownRecipient(GatewayFault):
    code = "Client.UnknownRecipient"


class SenderMismatch(GatewayFault):
    code = "Client.SenderMismatch"


class SignatureRequired(GatewayFault):
    code = "Client.SignatureRequired"


class SignatureInvalid(GatewayFault):
    code = "Client.SignatureInvalid"


class DuplicateDocumentId(GatewayFault):
    code = "Client.DuplicateDocumentId"


class NotFound(GatewayFault):
    code = "Client.NotFound"


class TooLarge(GatewayFault):
    code = "Client.TooLarge"


class InvalidRequest(GatewayFault):
    """A request that is not a usable call: bad SOAP, unknown operation, bad argument."""

    code = "Client.InvalidRequest"


class InternalError(GatewayFault):
    """An unexpected failure; ``message`` carries only a correlation id to find the log entry."""

    code = "Server.Internal"


FAULT_CLASSES: dict[str, type[GatewayFault]] = {
    cls.code: cls
    for cls in (
        AuthenticationFailed, NotAuthorized, MalformedPackage, InvalidPackage, UnknownRecipient,
        SenderMismatch, SignatureRequired, SignatureInvalid, DuplicateDocumentId, NotFound,
        TooLarge, InvalidRequest, InternalError,
    )
}
