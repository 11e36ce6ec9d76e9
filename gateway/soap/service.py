"""The DocumentExchange service: each SOAP operation calls one core use case, nothing more.

Requests reach these methods already parsed, checked and authenticated (see ``app``); the
methods convert arguments in and results out. Every exception they raise is turned into a
SOAP fault in one place, ``GatewayApplication.call_wrapper``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lxml import etree
from spyne import Application, ByteArray, DateTime, ServiceBase, Unicode, rpc
from spyne.const.xml import DEFAULT_NS
from spyne.protocol.soap import Soap11

from gateway.core import results
from gateway.core.errors import InvalidRequest

from .binary import decode_base64
from .faults import CarriedFault, to_gateway_fault
from .writer import Streamed, plan_of, stream_parts, write_members

if TYPE_CHECKING:
    from gateway.core import Exchange
from .types import (
    TNS,
    Document,
    Limit,
    Optional,
    OrganizationList,
    PendingItemList,
    Receipt,
    Required,
    Staff,
    TraceList,
    to_document,
    to_organization,
    to_pending_item,
    to_receipt,
    to_trace,
)

__all__ = ["DocumentExchange", "GatewayApplication", "GatewaySoap11", "Call", "CALL_KEY",
           "ENVELOPE_KEY", "BINARIES_KEY", "STREAM_LENGTH_KEY", "OPERATIONS", "build_application",
           "format_datetime"]

CALL_KEY = "gateway.call"
"""WSGI environ key holding the authenticated ``Call`` for the Spyne method."""
ENVELOPE_KEY = "gateway.envelope"
"""WSGI environ key holding the already parsed request envelope."""
BINARIES_KEY = "gateway.binaries"
"""WSGI environ key: base64Binary arguments decoded while parsing, by element."""
STREAM_KEY = "gateway.streamed"
"""WSGI environ key of a large base64Binary value sent after the envelope's head."""
STREAM_LENGTH_KEY = "gateway.streamed_length"
"""WSGI environ key of the Content-Length of a response sent in parts (see ``writer``)."""


@dataclass(frozen=True)
class Call:
    """An authenticated request: the use cases and the agency calling them."""

    exchange: Exchange
    caller: str


def _call(ctx) -> Call:
    return ctx.transport.req_env[CALL_KEY]


def _operation(name: str, *args, returns=None, result: str | None = None, arg_names=None):
    """``@rpc`` for a camelCase SOAP operation implemented by a snake_case method."""
    options: dict[str, Any] = {
        "_operation_name": name,
        "_out_message_name": f"{name}Response",
        "_in_arg_names": arg_names or {},
    }
    if returns is not None:
        options.update(_returns=returns, _out_variable_name=result)
    return rpc(*args, **options)


def _aware(value: datetime | None, argument: str) -> datetime | None:
    """A timestamp the caller sent must say its zone: a bare local time is ambiguous."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRequest(f"{argument} has no time zone; send it with one, e.g."
                             " 2024-05-01T09:30:00+07:00 or 2024-05-01T02:30:00Z")
    return value.astimezone(UTC)


def _staff(staff: Staff | None) -> results.Staff | None:
    if staff is None:
        return None
    return results.Staff(department=staff.department, name=staff.name, email=staff.email,
                         mobile=staff.mobile)


class DocumentExchange(ServiceBase):
    """Exchange of edXML packages between agencies."""

    @_operation("sendDocument", Required(ByteArray), returns=Required(Receipt), result="receipt")
    def send_document(ctx, package):
        """Send an .edxml package (a document or a status message) to its recipients."""
        call = _call(ctx)
        data = b"".join(package)
        return to_receipt(call.exchange.send_document(call.caller, data))

    @_operation("getPendingDocuments", Optional(Unicode), Limit, returns=PendingItemList,
                result="items", arg_names={"message_type": "messageType"})
    def get_pending_documents(ctx, message_type, limit):
        """What is waiting for the caller, oldest first (messageType: edoc or status)."""
        call = _call(ctx)
        items = call.exchange.pending_documents(call.caller, message_type, limit)
        return [to_pending_item(item) for item in items]

    @_operation("getDocument", Required(Unicode), returns=Required(Document), result="document",
                arg_names={"message_id": "messageId"})
    def get_document(ctx, message_id):
        """Fetch a pending message; it stays pending until confirmReceived."""
        call = _call(ctx)
        return to_document(call.exchange.get_document(call.caller, message_id))

    @_operation("confirmReceived", Required(Unicode), arg_names={"message_id": "messageId"})
    def confirm_received(ctx, message_id):
        """Acknowledge a fetched message: it leaves the pending list (twice is harmless)."""
        call = _call(ctx)
        call.exchange.confirm_received(call.caller, message_id)

    @_operation("updateStatus", Required(Unicode), Required(Unicode), Optional(Unicode),
                Optional(Staff), Optional(DateTime), returns=Required(Receipt), result="receipt",
                arg_names={"document_id": "documentId", "status_code": "statusCode"})
    def update_status(ctx, document_id, status_code, description, staff, timestamp):
        """Report a status (01-06, 13, 15, 16) on a document; it travels back to its sender."""
        call = _call(ctx)
        receipt = call.exchange.update_status(
            call.caller, document_id, status_code, description=description,
            staff=_staff(staff), timestamp=_aware(timestamp, "timestamp"),
        )
        return to_receipt(receipt)

    @_operation("getTraces", Required(Unicode), returns=TraceList, result="traces",
                arg_names={"document_id": "documentId"})
    def get_traces(ctx, document_id):
        """For a document the caller sent: per recipient, delivery state and statuses."""
        call = _call(ctx)
        return [to_trace(trace) for trace in call.exchange.traces(call.caller, document_id)]

    @_operation("getOrganizations", returns=OrganizationList, result="organizations")
    def get_organizations(ctx):
        """The directory of registered agencies."""
        return [to_organization(agency) for agency in _call(ctx).exchange.organizations()]


OPERATIONS = frozenset(
    descriptor.operation_name
    for descriptor in DocumentExchange.public_methods.values()
)


def format_datetime(value: datetime) -> str:
    """UTC with a 'Z', the form every client parses; a naive value is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text + "Z"


class GatewaySoap11(Soap11):
    """SOAP 1.1 as Spyne does it, minus what the gateway does itself."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._to_unicode_handlers[DateTime] = lambda cls, value: format_datetime(value)

    def create_in_document(self, ctx, charset=None) -> None:
        # The body was read, size-checked and parsed safely before Spyne was called.
        ctx.in_document = (ctx.transport.req_env[ENVELOPE_KEY], {})

    def byte_array_from_element(self, ctx, cls, element):
        # Spyne's decoder drops bad characters silently and crashes on bad padding.
        decoder = ctx.transport.req_env.get(BINARIES_KEY, {}).get(element)
        try:
            if decoder is not None:  # decoded while the request was parsed
                return (decoder.value(),)
            data = decode_base64(element.text)
        except InvalidRequest as fault:
            raise CarriedFault(fault) from None
        element.text = None  # the envelope lives on; its base64 copy need not
        return (data,)

    def to_parent(self, ctx, cls, inst, parent, ns, *args, **kwargs):
        """The response body by ``writer`` (Spyne's output, faster); the rest by Spyne."""
        members = None
        if cls is getattr(ctx.descriptor, "out_message", None) and ctx.out_error is None \
                and not args and not kwargs and isinstance(parent, etree._Element):
            members = plan_of(cls)
        if members is None:
            return super().to_parent(ctx, cls, inst, parent, ns, *args, **kwargs)
        attrs = cls.Attributes
        if attrs.sub_ns not in (None, DEFAULT_NS):
            ns = attrs.sub_ns
        element = etree.SubElement(parent, f"{{{ns}}}{attrs.sub_name or cls.get_type_name()}")

        def stream(target: etree._Element, data: bytes) -> None:
            if STREAM_KEY in ctx.transport.req_env:  # one per response; others inline
                target.text = base64.b64encode(data).decode("ascii")
                return
            streamed = ctx.transport.req_env[STREAM_KEY] = Streamed.new(data)
            target.text = streamed.marker

        write_members(element, members, inst, format_datetime, stream)
        return None

    def create_out_string(self, ctx, charset=None) -> None:
        streamed = ctx.transport.req_env.get(STREAM_KEY)
        if streamed is None:
            return super().create_out_string(ctx, charset)
        document = etree.tostring(ctx.out_document, encoding=charset or self.encoding,
                                  xml_declaration=self.xml_declaration)
        length, ctx.out_string = stream_parts(document, streamed)
        ctx.transport.req_env[STREAM_LENGTH_KEY] = length
        return None


class GatewayApplication(Application):
    """Spyne's application with one exception policy for every operation."""

    def call_wrapper(self, ctx):
        try:
            return super().call_wrapper(ctx)
        except Exception as exc:
            raise CarriedFault(to_gateway_fault(exc)) from exc


def build_application() -> GatewayApplication:
    """The Spyne application behind both the endpoint and the published WSDL."""
    app = GatewayApplication(
        [DocumentExchange],
        tns=TNS,
        name="DocumentExchange",
        in_protocol=GatewaySoap11(validator="soft"),
        out_protocol=GatewaySoap11(),
    )
    app.transport = "http://schemas.xmlsoap.org/soap/http"
    app.event_manager.add_listener("method_context_closed", _release)
    return app


def _release(ctx) -> None:
    """Let go of a request's arguments, result and trees once its response is written.

    Spyne's contexts are reference cycles (the method context and its transport context
    point at each other), freed only by a full garbage collection, which the gateway does
    not force after every request (``app``): without this, a 100 MB package would stay in
    memory after its request, once for sending it and once more for fetching it. Spyne
    closes the context after the response is built and before it is sent; the parts still
    to send are held by the response itself.
    """
    ctx.in_object = ctx.out_object = None
    ctx.in_document = ctx.out_document = ctx.out_string = None
    for key in (ENVELOPE_KEY, BINARIES_KEY, STREAM_KEY):
        ctx.transport.req_env.pop(key, None)
