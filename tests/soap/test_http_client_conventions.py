"""What stock HTTP and SOAP stacks do that the gateway must accept (found by tests/interop)."""

from __future__ import annotations

import base64
import os

from lxml import etree

from .conftest import Gateway
from .packages import G22, H41, SOAP11, TNS, document, envelope

XSI = "http://www.w3.org/2001/XMLSchema-instance"


def test_a_request_without_credentials_is_challenged_for_http_basic(
        shared_gateway: Gateway) -> None:
    response = shared_gateway.post(envelope("getOrganizations"), organ_id=None)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="edxml-gateway"'
    assert b"Client.Authentication" in response.content


def test_wrong_credentials_are_a_fault_not_a_challenge(shared_gateway: Gateway) -> None:
    response = shared_gateway.post(envelope("getOrganizations"), organ_id=G22, secret="wrong")
    assert response.status_code == 500 and "WWW-Authenticate" not in response.headers


def test_a_nil_optional_argument_counts_as_absent(shared_gateway: Gateway) -> None:
    """WCF sends a null argument as xsi:nil="true" although the WSDL says minOccurs=0."""
    body = (f'<op:messageType xmlns:xsi="{XSI}" xsi:nil="true"/>'
            f'<op:limit xmlns:xsi="{XSI}" xsi:nil="true"/>')
    response = shared_gateway.post(envelope("getPendingDocuments", body), organ_id=G22)
    assert response.status_code == 200, response.text[:500]
    root = etree.fromstring(response.content)
    assert root.find(f"{{{SOAP11}}}Body/{{{TNS}}}getPendingDocumentsResponse") is not None


def test_a_package_base64_wrapped_in_lines_arrives_byte_for_byte(gateway: Gateway) -> None:
    """Java's MIME encoder and .NET's Base64FormattingOptions.InsertLineBreaks wrap the
    base64 at 76 characters with CRLF; the package (over a megabyte, so the body reaches
    the parser in several blocks) must arrive exactly as sent."""
    package = document(files=[("phu-luc.pdf", os.urandom(1_200_000))])
    text = base64.encodebytes(package).decode().replace("\n", "\r\n")
    response = gateway.post(
        envelope("sendDocument", f"<op:package>{text}</op:package>"), organ_id=G22)
    assert response.status_code == 200, response.text[:500]
    message_id = etree.fromstring(response.content).findtext(f".//{{{TNS}}}messageId")
    fetched = gateway.post(
        envelope("getDocument", f"<op:messageId>{message_id}</op:messageId>"), organ_id=H41)
    assert fetched.status_code == 200, fetched.text[:500]
    value = etree.fromstring(fetched.content).findtext(f".//{{{TNS}}}package")
    assert base64.b64decode(value) == package
