"""What can go wrong when talking to the gateway, as exceptions a caller can switch on.

Every SOAP fault the gateway sends carries a stable code (``gateway.core.errors``); each
code has one exception class here, with the same name as the gateway's, all under
``GatewayError``. ``ERRORS`` is the one table from code to class, built from the
gateway's own list so the two cannot drift apart. Two more classes are the client's own:
the gateway could not be reached (after the retries), or it answered something that is
not SOAP (a proxy's error page, say).
"""

from __future__ import annotations

from gateway.core import errors as gateway_errors

__all__ = [
    "GatewayError",
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
    "GatewayUnreachable",
    "UnexpectedResponse",
    "ERRORS",
    "error_for",
]


class GatewayError(Exception):
    """Base of every error the client raises.

    ``code`` is the gateway's fault code (``Client.NotFound``...) or, for the client's own
    errors, ``Transport.*``. ``message`` is the gateway's explanation, written for the
    person who has to fix the request. ``rule_ids`` names the edXML rules a refused
    package breaks; ``correlation_id`` identifies an internal error in the gateway's log.
    """

    code = "Server.Internal"

    def __init__(self, message: str, *, code: str | None = None,
                 rule_ids: list[str] | None = None, correlation_id: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.rule_ids = list(rule_ids or [])
        self.correlation_id = correlation_id

    def __str__(self) -> str:
        rules = f" (rules: {', '.join(self.rule_ids)})" if self.rule_ids else ""
        return f"{self.code}: {self.message}{rules}"


class AuthenticationFailed(GatewayError):
    """Unknown OrganId, wrong secret or disabled agency. Never retried: a retry cannot help."""

    code = gateway_errors.AuthenticationFailed.code


class NotAuthorized(GatewayError):
    """The agency may not do this (e.g. a status only the other party may report)."""

    code = gateway_errors.NotAuthorized.code


class MalformedPackage(GatewayError):
    """The package is not readable edXML (not XML, unsafe XML, missing parts)."""

    code = gateway_errors.MalformedPackage.code


class InvalidPackage(GatewayError):
    """The package breaks edXML rules; ``rule_ids`` lists them."""

    code = gateway_errors.InvalidPackage.code


class UnknownRecipient(GatewayError):
    """A recipient is not registered or not active: nothing was delivered to anyone."""

    code = gateway_errors.UnknownRecipient.code


class SenderMismatch(GatewayError):
    """The package's From is another agency than the one signed in."""

    code = gateway_errors.SenderMismatch.code


class SignatureRequired(GatewayError):
    """The gateway (or the agency's registered certificate) requires a signed package."""

    code = gateway_errors.SignatureRequired.code


class SignatureInvalid(GatewayError):
    """The package's signature does not verify; ``rule_ids`` says why."""

    code = gateway_errors.SignatureInvalid.code


class DuplicateDocumentId(GatewayError):
    """Another package with this documentId already reached every recipient named."""

    code = gateway_errors.DuplicateDocumentId.code


class NotFound(GatewayError):
    """No such message for this agency, or no such document sent or received by it."""

    code = gateway_errors.NotFound.code


class TooLarge(GatewayError):
    """The package is over the gateway's size limit."""

    code = gateway_errors.TooLarge.code


class InvalidRequest(GatewayError):
    """The call itself is wrong (an unknown message type, a status code not in the standard)."""

    code = gateway_errors.InvalidRequest.code


class InternalError(GatewayError):
    """The gateway failed; ``correlation_id`` finds the entry in its log."""

    code = gateway_errors.InternalError.code


class GatewayUnreachable(GatewayError):
    """No answer from the gateway after every attempt (refused, reset, timed out, 502-504)."""

    code = "Transport.Unreachable"


class UnexpectedResponse(GatewayError):
    """The gateway's address answered with something that is not a SOAP response."""

    code = "Transport.UnexpectedResponse"


ERRORS: dict[str, type[GatewayError]] = {
    cls.code: cls
    for cls in (
        AuthenticationFailed, NotAuthorized, MalformedPackage, InvalidPackage, UnknownRecipient,
        SenderMismatch, SignatureRequired, SignatureInvalid, DuplicateDocumentId, NotFound,
        TooLarge, InvalidRequest, InternalError,
    )
}
"""Fault code -> exception class, for every code in ``gateway.core.errors.FAULT_CLASSES``."""


def error_for(code: str, message: str, *, rule_ids: list[str] | None = None,
              correlation_id: str | None = None) -> GatewayError:
    """The exception for a fault ``code``; an unknown code (a newer gateway) gets the base."""
    cls = ERRORS.get(code, GatewayError)
    return cls(message, code=code, rule_ids=rule_ids, correlation_id=correlation_id)
