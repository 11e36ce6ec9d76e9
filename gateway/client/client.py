"""``GatewayClient``: the gateway's SOAP operations as typed Python methods.

The WSDL is the copy shipped inside this package, pointed at the gateway's URL: starting
a client never downloads anything, so it works where ``?wsdl`` is closed to agencies and
cannot be fooled by a WSDL served from elsewhere. A test keeps the shipped copy equal to
the one the gateway publishes.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

import requests
import zeep
from zeep.exceptions import Error, Fault, TransportError, ValidationError
from zeep.transports import Transport

from gateway import edxml

from . import wire
from .errors import (
    AuthenticationFailed,
    GatewayError,
    GatewayUnreachable,
    TooLarge,
    UnexpectedResponse,
)
from .results import Agency, FetchedMessage, PendingItem, Receipt, Staff, Trace
from .retry import Retryable, RetryPolicy, call_with_retry

__all__ = ["GatewayClient", "PackageSource", "shipped_wsdl", "BINDING"]

BINDING = f"{{{wire.TNS}}}DocumentExchange"
_TRANSIENT_STATUS = frozenset({502, 503, 504})

PackageSource = bytes | str | os.PathLike | edxml.Package | edxml.StatusMessage
"""What ``send`` takes: the .edxml bytes, a path to the file, or a built package."""

T = TypeVar("T")
log = logging.getLogger("gateway.client")


def shipped_wsdl() -> bytes:
    """The WSDL shipped with this package (``gateway/wsdl/gateway.wsdl``)."""
    return (files("gateway") / "wsdl" / "gateway.wsdl").read_bytes()


class GatewayClient:
    """A connection to the gateway for one agency.

    ``url`` is the SOAP endpoint (``https://gateway.example/soap``), ``organ_id`` and
    ``secret`` the agency's credentials (sent as HTTP Basic). ``timeout`` bounds each
    HTTP request in seconds; ``verify`` is passed to requests (``True``, ``False`` or a CA
    bundle path). ``signer`` (a ``gateway.edxml.Signer``, which loads the key once) signs
    every package ``send`` sends. ``retry`` says how connection failures are retried.

    Every method raises a ``GatewayError`` subclass for a fault (see ``errors``), and
    ``GatewayUnreachable`` when the gateway did not answer after all retries. Connection
    failures are retried for every operation, ``send`` included: resending the identical
    package is recognised by the gateway as a duplicate, so a send whose answer was lost
    is never delivered twice. Faults, authentication errors first, are never retried.

    One client per thread: it keeps one HTTP session (connections are reused).
    """

    def __init__(self, url: str, organ_id: str, secret: str, *, timeout: float = 60.0,
                 verify: bool | str = True, signer: edxml.Signer | None = None,
                 retry: RetryPolicy | None = None) -> None:
        self.url = url
        self.organ_id = organ_id
        self.signer = signer
        self.retry = retry or RetryPolicy()
        self._session = requests.Session()
        self._session.auth = (organ_id, secret)
        self._session.verify = verify
        self._session.hooks["response"].append(_refuse_non_soap)
        transport = Transport(session=self._session, timeout=timeout, operation_timeout=timeout)
        self._zeep = zeep.Client(io.BytesIO(shipped_wsdl()), transport=transport)
        self._service = self._zeep.create_service(BINDING, url)

    def __repr__(self) -> str:
        return f"GatewayClient({self.url!r}, {self.organ_id!r})"

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections."""
        self._session.close()

    # -- operations -------------------------------------------------------------------

    def send(self, package: PackageSource) -> Receipt:
        """Send a document or status package; the gateway's receipt.

        ``receipt.duplicate`` is true when this exact package had been accepted before:
        the original receipt comes back and nothing is delivered again, so sending again
        after any failure is always safe. With a ``signer`` the package is signed first.
        """
        data = self._package_bytes(package)
        return wire.receipt(self._call("sendDocument", package=data))

    def pending(self, message_type: str | None = None, limit: int | None = None
                ) -> list[PendingItem]:
        """What waits for this agency, oldest first; ``message_type`` "edoc" or "status"."""
        value = self._call("getPendingDocuments", messageType=message_type, limit=limit)
        return [wire.pending_item(item) for item in wire.items(wire.plain(value), "item")]

    def fetch(self, message_id: str) -> FetchedMessage:
        """A pending message: the package bytes as sent, and ``.model`` parsed from them.

        The message stays pending until ``confirm``: store it first, then confirm.
        """
        return wire.fetched_message(self._call("getDocument", messageId=message_id))

    def confirm(self, message_id: str) -> None:
        """Acknowledge a fetched message: it leaves the pending list. Twice is harmless."""
        self._call("confirmReceived", messageId=message_id)

    def update_status(self, document_id: str, code: str, *, description: str | None = None,
                      staff: Staff | dict[str, str | None] | None = None,
                      timestamp: datetime | None = None) -> Receipt:
        """Report status ``code`` (01-06, 13, 15, 16) on a document; it goes to the other party.

        ``staff`` is a ``Staff`` or a dict of department, name, email, mobile;
        ``timestamp`` (with a time zone) defaults to the gateway's clock.
        """
        value = self._call("updateStatus", documentId=document_id, statusCode=code,
                           description=description, staff=wire.staff_argument(staff),
                           timestamp=timestamp)
        return wire.receipt(value)

    def traces(self, document_id: str) -> list[Trace]:
        """For a document this agency sent: per recipient, delivery state and statuses."""
        value = self._call("getTraces", documentId=document_id)
        return [wire.trace(item) for item in wire.items(wire.plain(value), "trace")]

    def organizations(self) -> list[Agency]:
        """The directory of agencies registered at the gateway."""
        value = self._call("getOrganizations")
        return [wire.agency(item) for item in wire.items(wire.plain(value), "organization")]

    # -- plumbing ---------------------------------------------------------------------

    def _package_bytes(self, package: PackageSource) -> bytes:
        if isinstance(package, edxml.Package | edxml.StatusMessage):
            data = edxml.write(package)
        elif isinstance(package, bytes | bytearray | memoryview):
            data = bytes(package)
        elif isinstance(package, str | os.PathLike):
            data = Path(package).read_bytes()
        else:
            raise TypeError(f"cannot send a {type(package).__name__}: give bytes, a path or"
                            " a gateway.edxml Package or StatusMessage")
        return self.signer.sign(data) if self.signer is not None else data

    def _call(self, operation: str, **arguments: Any) -> Any:
        method: Callable[..., Any] = getattr(self._service, operation)
        try:
            return call_with_retry(lambda: _attempt(method, arguments), self.retry,
                                   f"{operation} to {self.url}")
        except Retryable as failure:
            raise GatewayUnreachable(
                f"no answer from {self.url} after {self.retry.attempts} attempts"
                f" ({failure.cause}); check the address and that the gateway is running"
            ) from None


def _attempt(method: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    """One request; a ``GatewayError`` for any answer but success, ``Retryable`` for none."""
    try:
        return method(**arguments)
    except Fault as fault:
        raise wire.error_from_fault(fault) from None
    except NotSoap as answer:
        raise _status_error(answer.status) from None
    except TransportError as error:
        raise _status_error(error.status_code) from None
    except ValidationError as error:
        raise ValueError(f"invalid argument for the gateway: {error}") from None
    except Error as error:
        raise UnexpectedResponse(f"the answer is not the gateway's ({error}); check that the"
                                 " URL is the gateway's /soap endpoint") from None
    except requests.exceptions.SSLError as error:
        raise GatewayUnreachable(f"TLS failed ({error}); check the certificate or the"
                                 " CA bundle given as verify") from None
    except (requests.ConnectionError, requests.Timeout,
            requests.exceptions.ChunkedEncodingError) as error:
        raise Retryable(_short(error)) from None


class NotSoap(Exception):
    """An HTTP error answer without a SOAP envelope (from a proxy, or the web server)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def _refuse_non_soap(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """A requests hook: an error status without a SOAP envelope is not the gateway's answer.

    zeep would report such a page as an "Unknown fault", hiding its HTTP status, which is
    what tells a lost connection (503) from a refused one (401, 413).
    """
    if response.status_code < 400:
        return
    content_type = response.headers.get("Content-Type", "")
    if "xml" not in content_type or b"Envelope" not in response.content[:4096]:
        raise NotSoap(response.status_code)


def _status_error(status: int) -> GatewayError | Retryable:
    """An HTTP answer that is not SOAP: a proxy, or waitress refusing a huge body."""
    if status in _TRANSIENT_STATUS:
        return Retryable(f"HTTP {status}")
    if status == 413:
        return TooLarge("the gateway refused the request as too large (HTTP 413); send a"
                        " smaller package or ask the gateway's operator to raise the limit")
    if status in (401, 403):
        return AuthenticationFailed(f"HTTP {status} before reaching the gateway; check the"
                                    " OrganId and secret, and any proxy in between")
    return UnexpectedResponse(f"HTTP {status} without a SOAP answer; check that the URL is"
                              " the gateway's /soap endpoint")


def _short(error: Exception) -> str:
    text = str(error)
    return text if len(text) <= 200 else text[:200] + "..."
