"""The Python client of the edXML gateway, and the drop-folder agent built on it.

Embedding it::

    from gateway.client import GatewayClient

    with GatewayClient("https://gateway.example/soap", "000.00.00.G22", secret) as gw:
        receipt = gw.send("cong-van-7816.edxml")       # bytes, a path or a built package
        for item in gw.pending():
            message = gw.fetch(item.message_id)         # .package bytes, .model parsed
            store(message.package)
            gw.confirm(item.message_id)                 # only after it is stored

Results are plain dataclasses; faults are ``GatewayError`` subclasses named after the
gateway's fault codes; lost connections are retried (see ``RetryPolicy``).
"""

from .client import BINDING, GatewayClient, PackageSource, shipped_wsdl
from .config import ClientConfig, ConfigError
from .errors import (
    ERRORS,
    AuthenticationFailed,
    DuplicateDocumentId,
    GatewayError,
    GatewayUnreachable,
    InternalError,
    InvalidPackage,
    InvalidRequest,
    MalformedPackage,
    NotAuthorized,
    NotFound,
    SenderMismatch,
    SignatureInvalid,
    SignatureRequired,
    TooLarge,
    UnexpectedResponse,
    UnknownRecipient,
    error_for,
)
from .folders import Inbox, Outbox, SendOutcome
from .results import (
    Agency,
    FetchedMessage,
    PendingItem,
    Receipt,
    SignatureState,
    Staff,
    StatusEvent,
    Trace,
)
from .retry import RetryPolicy
from .sync import SyncAgent

__all__ = [
    # the client
    "GatewayClient",
    "PackageSource",
    "RetryPolicy",
    "shipped_wsdl",
    "BINDING",
    # results
    "Receipt",
    "SignatureState",
    "PendingItem",
    "FetchedMessage",
    "Staff",
    "StatusEvent",
    "Trace",
    "Agency",
    # errors
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
    # files and folders
    "ClientConfig",
    "ConfigError",
    "Inbox",
    "Outbox",
    "SendOutcome",
    "SyncAgent",
]
