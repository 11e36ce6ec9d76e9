"""Every error a SOAP caller can see becomes one SOAP 1.1 fault, built here and only here.

``to_gateway_fault`` turns anything raised (a core ``GatewayFault``, a Spyne fault about the
request's arguments, or an unexpected exception) into a ``GatewayFault`` with a stable code.
Unexpected exceptions are logged with their traceback under a correlation id; the caller
gets only that id. ``fault_envelope`` writes the fault: ``faultcode`` is the code qualified
by the SOAP envelope prefix (``soap:Client.Authentication``, the SOAP 1.1 convention, so
.NET sees ``Client.Authentication`` as the code's name and zeep/suds the prefixed text);
``detail`` repeats the bare code and adds the broken edXML rule ids or the correlation id.
"""

from __future__ import annotations

import logging
import re
import uuid

from lxml import etree
from spyne import Fault

from gateway.core.errors import GatewayFault, InternalError, InvalidRequest

from .types import TNS

__all__ = ["CarriedFault", "to_gateway_fault", "fault_envelope", "SOAP11_ENV"]

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
_MESSAGE_LIMIT = 300

log = logging.getLogger("gateway.soap")


class CarriedFault(Fault):
    """Carries a ``GatewayFault`` through Spyne, which only lets its own ``Fault`` pass."""

    def __init__(self, fault: GatewayFault) -> None:
        super().__init__(faultcode=fault.code, faultstring=fault.message)
        self.gateway_fault = fault


def to_gateway_fault(error: BaseException) -> GatewayFault:
    """The fault the caller sees for ``error``; logs the unexpected ones with a traceback."""
    if isinstance(error, CarriedFault):
        return error.gateway_fault
    if isinstance(error, GatewayFault):
        return error
    if isinstance(error, Fault) and _is_client_code(error.faultcode):
        return InvalidRequest(_request_message(error))
    return _internal(error)


def _is_client_code(code: object) -> bool:
    return isinstance(code, str) and (code == "Client" or code.startswith("Client."))


_SPYNE_WORDS = (
    (re.compile(r"^'(\w+)' member does not respect frequency constraints"),
     r"argument '\1' is missing or given more than once"),
    (re.compile(r"^The value None could not be validated"),
     "an argument is nil or empty where a value is required"),
)


def _request_message(error: Fault) -> str:
    """Spyne's words for a bad argument, clearer where we can, and cut short: they may
    quote a huge value."""
    detail = str(error.faultstring or error.faultcode)
    for pattern, words in _SPYNE_WORDS:
        if pattern.match(detail):
            detail = pattern.sub(words, detail).rstrip(".")
            break
    if len(detail) > _MESSAGE_LIMIT:
        detail = detail[:_MESSAGE_LIMIT] + "..."
    return (f"the request does not match the WSDL ({detail}); check the operation's required"
            " arguments and their types in the WSDL at /soap?wsdl")


def _internal(error: BaseException) -> InternalError:
    correlation_id = uuid.uuid4().hex
    log.error("internal error %s: %r", correlation_id, error, exc_info=error)
    fault = InternalError(
        f"the gateway failed to process the request; report correlation id {correlation_id}"
        " to the gateway's operator"
    )
    fault.correlation_id = correlation_id  # type: ignore[attr-defined]
    return fault


def fault_envelope(fault: GatewayFault) -> bytes:
    """A SOAP 1.1 envelope carrying ``fault``."""
    soap = f"{{{SOAP11_ENV}}}"
    envelope = etree.Element(soap + "Envelope", nsmap={"soap": SOAP11_ENV})
    body = etree.SubElement(envelope, soap + "Body")
    element = etree.SubElement(body, soap + "Fault")
    etree.SubElement(element, "faultcode").text = f"soap:{fault.code}"
    etree.SubElement(element, "faultstring").text = fault.message
    _detail(etree.SubElement(element, "detail"), fault)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def _detail(parent: etree._Element, fault: GatewayFault) -> None:
    tns = f"{{{TNS}}}"
    detail = etree.SubElement(parent, tns + "fault", nsmap={"gw": TNS})
    etree.SubElement(detail, tns + "code").text = fault.code
    if fault.rule_ids:
        rule_ids = etree.SubElement(detail, tns + "ruleIds")
        for rule_id in fault.rule_ids:
            etree.SubElement(rule_ids, tns + "ruleId").text = rule_id
    correlation_id = getattr(fault, "correlation_id", None)
    if correlation_id:
        etree.SubElement(detail, tns + "correlationId").text = correlation_id
