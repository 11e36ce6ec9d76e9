"""What stock HTTP and SOAP stacks do that the gateway must accept (found by tests/interop)."""

from __future__ import annotations

from lxml import etree

from .conftest import Gateway
from .packages import G22, SOAP11, TNS, envelope

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
