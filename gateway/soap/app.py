"""The WSGI application: /soap for calls, /soap?wsdl for the contract.

Order of work for a call, each step refusing with a SOAP fault before the next: method
and path, size (by Content-Length before reading, or a capped read), safe XML parse and
envelope check, credentials and authentication, then Spyne deserialises the arguments
and runs the operation. Whatever goes wrong, the caller gets a SOAP 1.1 fault from
``faults.fault_envelope``, never Spyne's plain-text errors or a traceback.
"""

from __future__ import annotations

import io
import logging
import math
import re
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from spyne import const as spyne_const
from spyne.server.wsgi import WsgiApplication

from gateway.core.errors import AuthenticationFailed, GatewayFault, InvalidRequest
from gateway.core.settings import Settings

from .credentials import credentials
from .faults import fault_envelope, to_gateway_fault
from .request import body_chunks, parse_envelope, request_size_cap
from .service import (
    BINARIES_KEY,
    CALL_KEY,
    ENVELOPE_KEY,
    OPERATIONS,
    STREAM_LENGTH_KEY,
    Call,
    build_application,
)
from .wsdl import wsdl_document

if TYPE_CHECKING:
    from gateway.core import Exchange

__all__ = ["GatewayApp", "create_app", "ENDPOINT"]

ENDPOINT = "/soap"
_XML = "text/xml; charset=utf-8"
_REALM = "edxml-gateway"
_FAULT_KEY = "gateway.fault"
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")

log = logging.getLogger("gateway.soap")
StartResponse = Callable[..., Any]

# Spyne logs every fault it passes on (with a traceback, even for a caller's mistake);
# the gateway logs each request once itself, and internal errors with their traceback.
for _name in ("spyne.application", "spyne.server._base", "spyne.server.wsgi"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

# Spyne runs a full gc.collect() after a request whenever a second has passed since the
# last one, to close the temporary files of multipart uploads promptly. The gateway takes
# no multipart uploads, and a full collection of its heap cost a quarter of the server's
# CPU under load (docs/performance.md); Python's own collector still runs as usual.
spyne_const.MIN_GC_INTERVAL = math.inf


class _SpyneWsgi(WsgiApplication):
    """Spyne's WSGI server with every error written by ``fault_envelope``."""

    def handle_error(self, p_ctx, others, error, start_response):
        fault = to_gateway_fault(error)
        p_ctx.transport.req_env[_FAULT_KEY] = fault
        p_ctx.close()
        return _fault_response(start_response, fault)


def _fault_response(start_response: StartResponse, fault: GatewayFault,
                    status: str = "500 Internal Server Error",
                    headers: Iterable[tuple[str, str]] = ()) -> list[bytes]:
    """SOAP 1.1 says faults travel with HTTP 500; only the transport errors differ."""
    body = fault_envelope(fault)
    start_response(status, [("Content-Type", _XML), ("Content-Length", str(len(body))),
                            *headers])
    return [body]


class GatewayApp:
    """The WSGI callable serving the DocumentExchange endpoint."""

    def __init__(self, settings: Settings, exchange: Exchange) -> None:
        self.exchange = exchange
        self.size_cap = request_size_cap(settings.max_package_size)
        self.spyne = _SpyneWsgi(build_application(), max_content_length=self.size_cap)
        self.wsdl = wsdl_document()

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        started = time.monotonic()
        status: list[str] = []

        def recording_start_response(code: str, headers: list, exc_info=None):
            status.append(code)
            return start_response(code, headers, exc_info)

        try:
            return self._respond(environ, recording_start_response)
        except Exception as exc:  # the last line of defence: still a SOAP fault
            fault = to_gateway_fault(exc)
            environ[_FAULT_KEY] = fault
            return _fault_response(recording_start_response, fault)
        finally:
            _log_request(environ, status, started)

    def _respond(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if environ.get("PATH_INFO", "") not in (ENDPOINT, ENDPOINT + "/"):
            return self._fault(environ, start_response, InvalidRequest(
                f"no service at {environ.get('PATH_INFO')!r}; the SOAP endpoint is"
                f" {ENDPOINT} and its WSDL {ENDPOINT}?wsdl"), "404 Not Found")
        if method in ("GET", "HEAD") and _asks_for_wsdl(environ):
            return self._wsdl(environ, start_response, method)
        if method != "POST":
            return self._fault(environ, start_response, InvalidRequest(
                f"HTTP {method} is not a SOAP call; POST a SOAP 1.1 envelope to {ENDPOINT},"
                f" or GET {ENDPOINT}?wsdl for the WSDL"), "405 Method Not Allowed",
                [("Allow", "GET, POST")])
        try:
            return self._call(environ, start_response)
        except AuthenticationFailed as fault:
            if environ.get("gateway.credentials") != (None, None):
                return self._fault(environ, start_response, fault)
            # No credentials at all: challenge, as HTTP clients that send Basic only
            # after a 401 expect (.NET Credentials, WCF, Java's Authenticator).
            return self._fault(environ, start_response, fault, "401 Unauthorized",
                               [("WWW-Authenticate", f'Basic realm="{_REALM}"')])
        except GatewayFault as fault:
            return self._fault(environ, start_response, fault)

    def _call(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        request = parse_envelope(body_chunks(environ, self.size_cap), OPERATIONS)
        environ["gateway.operation"] = request.operation
        organ_id, secret = environ["gateway.credentials"] = credentials(environ, request.header)
        caller = self.exchange.authenticate(organ_id, secret)
        environ["gateway.caller"] = caller
        spyne_environ = dict(environ)
        spyne_environ.update({
            "wsgi.input": io.BytesIO(b""),
            "CONTENT_LENGTH": "0",
            "CONTENT_TYPE": "text/xml",
            "QUERY_STRING": "",
            ENVELOPE_KEY: request.envelope,
            BINARIES_KEY: request.binaries,
            CALL_KEY: Call(self.exchange, caller),
        })
        response = self.spyne(spyne_environ, _with_streamed_length(spyne_environ, start_response))
        if _FAULT_KEY in spyne_environ:
            environ[_FAULT_KEY] = spyne_environ[_FAULT_KEY]
        return response

    def _fault(self, environ: dict, start_response: StartResponse, fault: GatewayFault,
               status: str = "500 Internal Server Error",
               headers: Iterable[tuple[str, str]] = ()) -> list[bytes]:
        environ[_FAULT_KEY] = fault
        return _fault_response(start_response, fault, status, headers)

    def _wsdl(self, environ: dict, start_response: StartResponse, method: str) -> list[bytes]:
        body = wsdl_document(_address(environ))
        start_response("200 OK", [("Content-Type", _XML), ("Content-Length", str(len(body)))])
        return [] if method == "HEAD" else [body]


def _with_streamed_length(environ: dict, start_response: StartResponse) -> StartResponse:
    """Spyne gives no Content-Length to a response sent in parts (a fetched package, see
    ``writer``); the writer knows it, and clients should not need chunked encoding."""

    def start(status: str, headers: list, exc_info=None):
        length = environ.get(STREAM_LENGTH_KEY)
        if length is not None:
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(length)))
        return start_response(status, headers, exc_info)

    return start


def _asks_for_wsdl(environ: dict) -> bool:
    query = environ.get("QUERY_STRING", "")
    return query.split("=", 1)[0].split("&", 1)[0].lower() == "wsdl"


def _address(environ: dict) -> str:
    """The endpoint address as the client reached it (Host header), for soap:address."""
    host = environ.get("HTTP_HOST", "")
    if not _HOST.match(host):
        host = f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}{ENDPOINT}"


def _log_request(environ: dict, status: list[str], started: float) -> None:
    fault = environ.get(_FAULT_KEY)
    log.info(
        "%s %s %s caller=%s -> %s%s (%.0f ms)",
        environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"),
        environ.get("gateway.operation", "-"), environ.get("gateway.caller", "-"),
        status[0].split(" ", 1)[0] if status else "-",
        f" {fault.code}: {fault.message[:200]}" if fault is not None else "",
        (time.monotonic() - started) * 1000,
    )


def create_app(settings: Settings, exchange: Exchange | None = None) -> GatewayApp:
    """The WSGI application for ``settings`` (builds the core's ``Exchange`` unless given)."""
    if exchange is None:
        from gateway.core import Exchange

        exchange = Exchange(settings)
    return GatewayApp(settings, exchange)
