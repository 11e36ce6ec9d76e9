"""The published WSDL is the committed one and keeps the points that broke real clients."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import requests
from lxml import etree

from .conftest import Gateway, cli
from .packages import G22, H41, TNS, document, envelope

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
XS = "http://www.w3.org/2001/XMLSchema"
COMMITTED = Path(__file__).resolve().parents[2] / "wsdl" / "gateway.wsdl"
PLACEHOLDER = 'location="http://localhost:8080/soap"'

REQUIRED_FIELDS = {
    "Receipt": {"messageId", "messageType", "documentId", "receivedAt", "recipients",
                "alreadyDelivered", "signatureState", "duplicate"},
    "PendingItem": {"messageId", "messageType", "from", "documentId", "receivedAt", "size"},
    "Document": {"messageId", "messageType", "from", "documentId", "receivedAt", "package"},
    "Trace": {"recipient", "state", "deliveredAt", "statuses"},
    "StatusEvent": {"statusCode", "receivedAt"},
    "Organization": {"organId", "name", "active"},
    "Staff": set(),
}
OPTIONAL_FIELDS = {
    "Receipt": {"signerSubject"},
    "PendingItem": {"subject", "statusCode"},
    "Trace": {"fetchedAt", "confirmedAt"},
    "StatusEvent": {"description", "staff", "timestamp"},
    "Organization": {"parentOrganId"},
    "Staff": {"department", "name", "email", "mobile"},
}


@pytest.fixture(scope="module")
def served(shared_gateway: Gateway) -> bytes:
    response = requests.get(shared_gateway.wsdl_url, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    return response.content


def export_wsdl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*cli(), "export-wsdl", *args], capture_output=True, text=True,
                          timeout=60)


def test_export_wsdl_check_passes_on_the_committed_file() -> None:
    done = export_wsdl("--check", "--output", str(COMMITTED))
    assert done.returncode == 0, done.stdout + done.stderr


def test_export_wsdl_check_passes_against_the_running_server(shared_gateway: Gateway) -> None:
    done = export_wsdl("--check", "--output", str(COMMITTED), "--url", shared_gateway.wsdl_url)
    assert done.returncode == 0, done.stdout + done.stderr


def test_export_wsdl_check_fails_with_a_diff_when_the_file_is_stale(tmp_path: Path) -> None:
    stale = tmp_path / "gateway.wsdl"
    stale.write_bytes(COMMITTED.read_bytes().replace(b'name="duplicate"', b'name="dup"'))
    done = export_wsdl("--check", "--output", str(stale))
    assert done.returncode == 1
    assert '-          <xs:element name="dup"' in done.stdout
    assert '+          <xs:element name="duplicate"' in done.stdout


def test_export_wsdl_writes_the_committed_bytes(tmp_path: Path) -> None:
    out = tmp_path / "out" / "gateway.wsdl"
    assert export_wsdl("--output", str(out)).returncode == 0
    assert out.read_bytes() == COMMITTED.read_bytes()


def test_served_wsdl_is_the_committed_one_at_the_real_address(shared_gateway: Gateway,
                                                              served: bytes) -> None:
    address = f'location="{shared_gateway.url}"'.encode()
    assert served.count(address) == 1
    assert served.replace(address, PLACEHOLDER.encode()) == COMMITTED.read_bytes()


def test_the_endpoint_is_document_literal_wrapped_soap11(served: bytes) -> None:
    root = etree.fromstring(served)
    assert root.get("targetNamespace") == TNS
    [service] = root.findall(f"{{{WSDL_NS}}}service")
    assert service.get("name") == "DocumentExchange"
    assert re.search(rb'<soap:binding style="document" transport="http://schemas.xmlsoap.org/'
                     rb'soap/http"/>', served)
    assert set(re.findall(rb'<soap:body use="(\w+)"/>', served)) == {b"literal"}
    operations = {o.get("name") for o in root.iter(f"{{{WSDL_NS}}}operation")}
    assert operations == {"sendDocument", "getPendingDocuments", "getDocument",
                          "confirmReceived", "updateStatus", "getTraces", "getOrganizations"}


def test_every_message_part_is_named_parameters(served: bytes) -> None:
    parts = etree.fromstring(served).iter(f"{{{WSDL_NS}}}part")
    assert {part.get("name") for part in parts} == {"parameters"}
    assert b"parameterOrder" not in served


def test_no_soap12_or_other_stray_namespaces(served: bytes) -> None:
    declared = dict(re.findall(rb'xmlns:(\w+)="([^"]+)"', served))
    assert declared == {b"wsdl": WSDL_NS.encode(),
                        b"soap": b"http://schemas.xmlsoap.org/wsdl/soap/",
                        b"xs": XS.encode(), b"tns": TNS.encode()}
    assert b"soap12" not in served and b"2003/05/soap-envelope" not in served


def test_one_schema_namespace(served: bytes) -> None:
    schemas = etree.fromstring(served).iter(f"{{{XS}}}schema")
    assert [s.get("targetNamespace") for s in schemas] == [TNS]
    assert b"<xs:import" not in served


def _fields(served: bytes) -> dict[str, dict[str, etree._Element]]:
    root = etree.fromstring(served)
    return {
        complex_type.get("name"): {e.get("name"): e for e in complex_type.iter(f"{{{XS}}}element")}
        for complex_type in root.iter(f"{{{XS}}}complexType") if complex_type.get("name")
    }


def test_required_fields_are_required_and_never_nillable(served: bytes) -> None:
    assert b'nillable="true"' not in served
    fields = _fields(served)
    for type_name, required in REQUIRED_FIELDS.items():
        for name, element in fields[type_name].items():
            expected = "1" if name in required else "0"
            assert element.get("minOccurs", "1") == expected, (type_name, name)
            assert element.get("maxOccurs", "1") == "1", (type_name, name)
        assert set(fields[type_name]) == required | OPTIONAL_FIELDS.get(type_name, set())


def test_arrays_are_a_wrapper_with_repeated_items(served: bytes) -> None:
    fields = _fields(served)
    for list_type, item in (("OrganIdList", "organId"), ("PendingItemList", "item"),
                            ("TraceList", "trace"), ("StatusEventList", "status"),
                            ("OrganizationList", "organization")):
        [element] = fields[list_type].values()
        assert element.get("name") == item
        assert (element.get("minOccurs"), element.get("maxOccurs")) == ("0", "unbounded")


def test_wrapper_elements_of_operations(served: bytes) -> None:
    """Wrapped style: the request element is named after the operation."""
    root = etree.fromstring(served)
    schema = next(root.iter(f"{{{XS}}}schema"))
    names = {e.get("name") for e in schema.findall(f"{{{XS}}}element")}
    for operation in ("sendDocument", "getOrganizations", "confirmReceived"):
        assert {operation, operation + "Response"} <= names
    send = schema.find(f"{{{XS}}}element[@name='sendDocument']")
    [package] = send.findall(f".//{{{XS}}}element")
    assert (package.get("name"), package.get("type")) == ("package", "xs:base64Binary")


def test_datetimes_in_responses_are_utc_with_z(gateway: Gateway) -> None:
    receipt = gateway.client(G22).service.sendDocument(package=document(code_number="600"))
    gateway.client(H41).service.updateStatus(documentId=receipt.documentId, statusCode="01")
    for organ_id, body in (
        (G22, f"<op:documentId>{receipt.documentId}</op:documentId>"),
        (H41, ""),
    ):
        operation = "getTraces" if organ_id == G22 else "getPendingDocuments"
        response = gateway.post(envelope(operation, body), organ_id=organ_id)
        assert response.status_code == 200
        stamps = re.findall(rb"<tns:(\w+At|timestamp)>([^<]+)<", response.content)
        assert stamps
        for name, value in stamps:
            assert re.fullmatch(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", value), name


def test_wsdl_address_follows_the_host_the_client_used(shared_gateway: Gateway) -> None:
    response = requests.get(shared_gateway.wsdl_url, timeout=30,
                            headers={"Host": "gateway.example:8443"})
    assert b'location="http://gateway.example:8443/soap"' in response.content
    hostile = requests.get(shared_gateway.wsdl_url, timeout=30,
                           headers={"Host": 'x"/><evil a="'})
    assert b"evil" not in hostile.content
