"""Bad requests over real HTTP: each gets a SOAP 1.1 fault with its stable code and the
database is exactly as before (compared as a full SQL dump of the SQLite file)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from lxml import etree

from .conftest import SMALL_LIMIT, Gateway
from .packages import G22, H41, SOAP11, TNS, document, envelope, send_envelope

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
DIGEST = ("http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
          "#PasswordDigest")
SENT = document(code_number="900")
"""Sent once before the cases run, so resends and statuses have something to refer to."""


@dataclass(frozen=True)
class Case:
    body: bytes | Callable[[], Any]
    code: str
    status: int = 500
    organ_id: str | None = G22
    secret: str | None = None
    method: str = "POST"
    path: str = "/soap"
    headers: dict[str, str] | None = None


def _bomb() -> bytes:
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
    return (f'<?xml version="1.0"?><!DOCTYPE s:Envelope [{entities}]>'
            + envelope("getDocument", "<op:messageId>&j;</op:messageId>").decode()
            .split("?>", 1)[1]).encode()


def _external_entity() -> bytes:
    return (b'<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY x SYSTEM'
            b' "file:///etc/passwd">]>'
            + envelope("getDocument", "<op:messageId>&x;</op:messageId>").split(b"?>", 1)[1])


def _with_package(package: bytes) -> bytes:
    return send_envelope(package)


def _edited(package: bytes, old: bytes, new: bytes) -> bytes:
    assert old in package
    return package.replace(old, new, 1)


def _chunks(size: int) -> Iterator[bytes]:
    head = envelope("sendDocument", "<op:package>").split(b"</op:package>")[0]
    yield head
    for _ in range(size // 65536):
        yield b"QUFB" * 16384


def _token_header(password: str, password_type: str | None = None) -> str:
    kind = f' Type="{password_type}"' if password_type else ""
    return (f'<wsse:Security xmlns:wsse="{WSSE}"><wsse:UsernameToken>'
            f"<wsse:Username>{G22}</wsse:Username><wsse:Password{kind}>{password}"
            "</wsse:Password></wsse:UsernameToken></wsse:Security>")


ORGS = envelope("getOrganizations")
INVALID = "Client.InvalidRequest"
CASES: dict[str, Case] = {
    # Not a SOAP request at all.
    "not XML": Case(b"hello, gateway", INVALID),
    "empty body": Case(b"", INVALID),
    "only whitespace": Case(b"  \r\n\t ", INVALID),
    "truncated XML": Case(ORGS[:70], INVALID),
    "HTML page": Case(b"<html><body>hi</body></html>", INVALID),
    "bare edXML package": Case(SENT, INVALID),
    "SOAP 1.2 envelope": Case(ORGS.replace(SOAP11.encode(), SOAP12.encode()), INVALID,
                              headers={"Content-Type": "application/soap+xml"}),
    "envelope without Body": Case(f'<s:Envelope xmlns:s="{SOAP11}"><s:Header/>'
                                  "</s:Envelope>".encode(), INVALID),
    "empty Body": Case(f'<s:Envelope xmlns:s="{SOAP11}"><s:Body/></s:Envelope>'.encode(),
                       INVALID),
    "two operations": Case(ORGS.replace(b"</s:Body>", ORGS.split(b"<s:Body>")[1]
                                        .split(b"</s:Body>")[0] + b"</s:Body>"), INVALID),
    "wrong namespace": Case(envelope("getOrganizations", namespace="http://tempuri.org/"),
                            INVALID),
    "no namespace": Case(f'<s:Envelope xmlns:s="{SOAP11}"><s:Body><getOrganizations/>'
                         "</s:Body></s:Envelope>".encode(), INVALID),
    "unknown operation": Case(envelope("deleteEverything"), INVALID),
    "a Fault as the request": Case(
        f'<s:Envelope xmlns:s="{SOAP11}"><s:Body><s:Fault><faultcode>s:Client</faultcode>'
        "<faultstring>x</faultstring></s:Fault></s:Body></s:Envelope>".encode(), INVALID),
    # Hostile XML.
    "XML bomb": Case(_bomb, INVALID),
    "external entity": Case(_external_entity, INVALID),
    "DOCTYPE": Case(b'<?xml version="1.0"?><!DOCTYPE s:Envelope>' + ORGS.split(b"?>", 1)[1],
                    INVALID),
    # Arguments that do not match the WSDL.
    "sendDocument without package": Case(envelope("sendDocument"), INVALID),
    "getDocument without messageId": Case(envelope("getDocument"), INVALID),
    "nil messageId": Case(envelope(
        "getDocument", '<op:messageId xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xsi:nil="true"/>'), INVALID),
    "package not base64": Case(envelope("sendDocument", "<op:package>no base64 here!"
                                        "</op:package>"), INVALID),
    "base64 badly padded": Case(envelope("sendDocument", "<op:package>QUJDRA=</op:package>"),
                                INVALID),
    "base64 with data after its padding": Case(
        envelope("sendDocument", "<op:package>QUJDRA==QUJD</op:package>"), INVALID),
    "base64 with a non-ASCII letter": Case(
        envelope("sendDocument", "<op:package>QUJDRé==</op:package>"), INVALID),
    "limit not a number": Case(envelope("getPendingDocuments", "<op:limit>ten</op:limit>"),
                               INVALID),
    "limit zero": Case(envelope("getPendingDocuments", "<op:limit>0</op:limit>"), INVALID),
    "unknown messageType": Case(envelope("getPendingDocuments",
                                         "<op:messageType>fax</op:messageType>"), INVALID),
    "timestamp without zone": Case(envelope(
        "updateStatus", "<op:documentId>x</op:documentId><op:statusCode>03</op:statusCode>"
        "<op:timestamp>2024-05-18T09:00:00</op:timestamp>"), INVALID, organ_id=H41),
    "timestamp not a date": Case(envelope(
        "updateStatus", "<op:documentId>x</op:documentId><op:statusCode>03</op:statusCode>"
        "<op:timestamp>yesterday</op:timestamp>"), INVALID, organ_id=H41),
    "status code 07": Case(envelope(
        "updateStatus", "<op:documentId>x</op:documentId><op:statusCode>07</op:statusCode>"),
        INVALID, organ_id=H41),
    # HTTP that is not a SOAP call.
    "PUT": Case(ORGS, INVALID, 405, method="PUT"),
    "GET without ?wsdl": Case(b"", INVALID, 405, method="GET"),
    "DELETE": Case(b"", INVALID, 405, method="DELETE"),
    "wrong path": Case(ORGS, INVALID, 404, path="/api/soap"),
    # Size.
    "body larger than the limit": Case(
        envelope("sendDocument", "<op:package>" + "QUFB" * (SMALL_LIMIT // 2)
                 + "</op:package>"), "Client.TooLarge"),
    "chunked body larger than the limit": Case(lambda: _chunks(SMALL_LIMIT * 2),
                                               "Client.TooLarge"),
    "package larger than the limit": Case(
        _with_package(document(code_number="901",
                               files=[("big.bin", bytes(SMALL_LIMIT * 3 // 4))])),
        "Client.TooLarge"),
    # Packages the core refuses.
    "package not XML": Case(_with_package(b"PK\x03\x04 a zip file"), "Client.MalformedPackage"),
    "package with an XML bomb": Case(_with_package(_bomb()), "Client.MalformedPackage"),
    "package breaking edXML rules": Case(
        _with_package(_edited(document(code_number="902"), b"<edXML:Subject>",
                              b"<edXML:Sujet>x</edXML:Sujet><edXML:Subject>")),
        "Client.InvalidPackage"),
    "unknown recipient": Case(_with_package(document(code_number="903",
                                                     recipients=("000.00.00.Z99",))),
                              "Client.UnknownRecipient"),
    "forged sender": Case(_with_package(document(code_number="904")),
                          "Client.SenderMismatch", organ_id=H41),
    "same documentId, same recipients": Case(
        _with_package(_edited(SENT, b"V/v k", b"V/v (bis) k")), "Client.DuplicateDocumentId"),
    "unknown messageId": Case(envelope("getDocument", "<op:messageId>nope</op:messageId>"),
                              "Client.NotFound"),
    "status on an unknown document": Case(envelope(
        "updateStatus", "<op:documentId>000.00.00.G22,2024/01/01,1/X</op:documentId>"
        "<op:statusCode>03</op:statusCode>"), "Client.NotFound", organ_id=H41),
    # Credentials.
    "no credentials": Case(ORGS, "Client.Authentication", status=401, organ_id=None),
    "wrong secret": Case(ORGS, "Client.Authentication", secret="not-the-secret"),
    "PasswordDigest token": Case(lambda: envelope("getOrganizations", header=_token_header(
        "aGFzaA==", DIGEST)), "Client.Authentication", organ_id=None),
    "wrong PasswordText token": Case(lambda: envelope("getOrganizations", header=_token_header(
        "guess")), "Client.Authentication", organ_id=None),
}


@pytest.fixture(scope="module")
def prepared(shared_gateway: Gateway) -> Gateway:
    receipt = shared_gateway.client(G22).service.sendDocument(package=SENT)
    assert receipt.duplicate is False
    return shared_gateway


def test_there_are_at_least_30_bad_requests() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_request_gets_its_fault_and_changes_nothing(prepared: Gateway, case: Case) -> None:
    before = prepared.snapshot()
    assert before["messages"] and before["deliveries"]  # a real comparison
    body = case.body() if callable(case.body) else case.body
    response = prepared.post(body, organ_id=case.organ_id, secret=case.secret,
                             method=case.method, path=case.path, headers=case.headers)
    assert_fault(response, case.code, case.status)
    assert prepared.snapshot() == before


def assert_fault(response: Any, code: str, status: int = 500) -> etree._Element:
    """A SOAP 1.1 fault with ``code`` in faultcode and detail, and nothing internal."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    fault = root.find(f"{{{SOAP11}}}Body/{{{SOAP11}}}Fault")
    assert fault is not None, response.text[:500]
    faultcode = fault.findtext("faultcode")
    prefix, _, name = faultcode.partition(":")
    assert (fault.nsmap.get(prefix) or root.nsmap.get(prefix), name) == (SOAP11, code)
    assert fault.findtext(f"detail/{{{TNS}}}fault/{{{TNS}}}code") == code
    message = fault.findtext("faultstring")
    assert message and "Traceback" not in message and 'File "' not in message
    assert "root:" not in response.text  # no /etc/passwd, whatever else happened
    return fault


def test_an_invalid_package_fault_names_the_broken_rules(prepared: Gateway) -> None:
    response = prepared.post(CASES["package breaking edXML rules"].body, organ_id=G22)
    fault = assert_fault(response, "Client.InvalidPackage")
    rule_ids = fault.findall(f"detail/{{{TNS}}}fault/{{{TNS}}}ruleIds/{{{TNS}}}ruleId")
    assert rule_ids and all(r.text for r in rule_ids)


def test_a_request_made_of_hostile_xml_is_refused_quickly(prepared: Gateway) -> None:
    response = prepared.post(_bomb(), organ_id=G22)
    assert_fault(response, INVALID)
    assert response.elapsed.total_seconds() < 2


def test_a_bad_request_is_answered_without_echoing_a_huge_value(prepared: Gateway) -> None:
    junk = "!" * 100_000
    response = prepared.post(envelope("sendDocument", f"<op:package>{junk}</op:package>"),
                             organ_id=G22)
    assert_fault(response, INVALID)
    assert len(response.content) < 5_000


def test_the_gateway_still_works_after_the_bad_requests(prepared: Gateway) -> None:
    names = [o.organId for o in prepared.client(G22).service.getOrganizations()]
    assert G22 in names and H41 in names
