"""The fast response writer (gateway/soap/writer.py) writes exactly what Spyne writes.

The writer was added for the benchmark's targets (a pending list of 100 items cost
25 ms in Spyne's serialiser; a fetched 100 MB package was held three times as base64).
Generated C#/Java clients parse these bytes, so the writer must not change one: every
operation's response, with optional fields present and absent, empty and full lists,
small and streamed packages, is compared with Spyne's own output for the same call on
the same database.
"""

from __future__ import annotations

import base64
import gc
import io
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from spyne.protocol.soap import Soap11

from gateway import edxml
from gateway.core import Agencies, Exchange, Settings
from gateway.soap import create_app
from gateway.soap.service import GatewaySoap11
from gateway.soap.writer import STREAM_MIN, plan_of
from gateway.store.db import Store
from gateway.store.migrate import upgrade

G22, H41, H14 = "000.00.00.G22", "000.00.00.H41", "000.00.00.H14"
TNS = "urn:edxml-gateway:soap:1"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"

Call = Callable[[str, str, str], tuple[str, dict[str, str], bytes]]


def envelope(operation: str, body: str = "") -> bytes:
    return (f'<s:Envelope xmlns:s="{SOAP11}"><s:Body><op:{operation} xmlns:op="{TNS}">'
            f"{body}</op:{operation}></s:Body></s:Envelope>").encode()


def document(code_number: str, data: bytes | None = None) -> bytes:
    files = [("van-ban.pdf", data, "application/pdf")] if data is not None else []
    return edxml.write(edxml.new_document(
        sender=G22, recipients=[H41, H14], code_number=code_number, code_notation="VPCP-TTĐT",
        subject="V/v <thử> & \"kết nối\"", promulgation_place="Hà Nội",
        signer_competence="KT. BỘ TRƯỞNG", signer_position="Thứ trưởng",
        signer_name="Nguyễn Văn A", files=files,
    ))


@pytest.fixture
def call(tmp_path: Path) -> Iterator[Call]:
    """Calls the WSGI app in this process: (operation, caller, body XML) -> response."""
    url = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    upgrade(url)
    store = Store(url)
    directory = Agencies(store)
    secrets = {organ_id: directory.add(organ_id, organ_id) for organ_id in (G22, H41, H14)}
    settings = Settings(db_url=url)
    app = create_app(settings, Exchange(settings, store=store))

    def run(operation: str, caller: str, body: str = "") -> tuple[str, dict[str, str], bytes]:
        data = envelope(operation, body)
        token = base64.b64encode(f"{caller}:{secrets[caller]}".encode()).decode()
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/soap", "QUERY_STRING": "",
                   "CONTENT_TYPE": "text/xml", "CONTENT_LENGTH": str(len(data)),
                   "wsgi.input": io.BytesIO(data), "HTTP_AUTHORIZATION": f"Basic {token}",
                   "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "wsgi.url_scheme": "http"}
        started: list[tuple[str, list[tuple[str, str]]]] = []
        chunks = app(environ, lambda status, headers, exc=None: started.append((status, headers)))
        response = b"".join(chunks)
        status, headers = started[0]
        return status, dict(headers), response

    yield run
    store.dispose()


@pytest.fixture
def spyne_only(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Switch the writer off: Spyne's own serialisation, as before the writer."""

    def switch() -> None:
        monkeypatch.setattr(GatewaySoap11, "to_parent", Soap11.to_parent)
        monkeypatch.setattr(GatewaySoap11, "create_out_string", Soap11.create_out_string)

    return switch


def test_every_response_is_byte_for_byte_what_spyne_writes(
    call: Call, spyne_only: Callable[[], None]
) -> None:
    big = document("7801", b"\x00\xff%PDF" * (STREAM_MIN // 3))
    small = document("7802", b"%PDF-1.4")
    ids = []
    for package in (big, small, document("7803")):
        encoded = base64.b64encode(package).decode()
        _, _, receipt = call("sendDocument", G22, f"<op:package>{encoded}</op:package>")
        ids.append(re.search(rb"messageId>([^<]+)<", receipt).group(1).decode())
    call("updateStatus", H41, "<op:documentId>"
         + edxml.read(small).document_id + "</op:documentId><op:statusCode>03</op:statusCode>"
         "<op:description>Đã tiếp nhận</op:description><op:staff><op:name>Trần B</op:name>"
         "</op:staff>")
    call("confirmReceived", H14, f"<op:messageId>{ids[2]}</op:messageId>")
    requests = [
        ("sendDocument", G22,
         f"<op:package>{base64.b64encode(small).decode()}</op:package>"),  # the duplicate
        ("getPendingDocuments", H41, ""),
        ("getPendingDocuments", G22, ""),  # a status item: no subject, a statusCode
        ("getPendingDocuments", H14, "<op:messageType>status</op:messageType>"),  # empty
        ("getDocument", H41, f"<op:messageId>{ids[0]}</op:messageId>"),  # streamed
        ("getDocument", H41, f"<op:messageId>{ids[1]}</op:messageId>"),  # inline
        ("getTraces", G22, "<op:documentId>" + edxml.read(small).document_id
         + "</op:documentId>"),
        ("getOrganizations", H41, ""),
        ("confirmReceived", H14, f"<op:messageId>{ids[2]}</op:messageId>"),  # again
    ]
    ours = [call(*request) for request in requests]
    spyne_only()
    theirs = [call(*request) for request in requests]

    for request, (status, headers, body), (status_s, _, body_s) in zip(
            requests, ours, theirs, strict=True):
        assert (status, body) == (status_s, body_s), request[:2]
        assert headers["Content-Length"] == str(len(body)), request[:2]
    assert base64.b64decode(re.search(rb"package>([^<]+)<", ours[4][2]).group(1)) == big


def test_the_writer_knows_every_operations_response() -> None:
    """No response falls back to Spyne's slow path unnoticed."""
    from gateway.soap.service import DocumentExchange

    for method in DocumentExchange.public_methods.values():
        assert plan_of(method.out_message) is not None, method.operation_name


def test_a_request_leaves_no_garbage_cycle_holding_its_package(call: Call) -> None:
    """The gateway does not force garbage collections (Spyne's per-second one is off), so a
    package held by a reference cycle (Spyne's contexts are cycles) would stay in memory
    until Python's collector ran: 100 MB per large request, on the sending and on the
    fetching side."""
    package = document("7901", os.urandom(2 * STREAM_MIN))
    encoded = base64.b64encode(package).decode()
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds is kept in gc.garbage
    try:
        _, _, receipt = call("sendDocument", G22, f"<op:package>{encoded}</op:package>")
        message_id = re.search(rb"messageId>([^<]+)<", receipt).group(1).decode()
        status, _, fetched = call("getDocument", H41, f"<op:messageId>{message_id}</op:messageId>")
        assert status.startswith("200") and encoded.encode() in fetched
        gc.collect()
        held = [type(o).__name__ for o in gc.garbage for x in gc.get_referents(o)
                if isinstance(x, bytes | bytearray) and len(x) >= len(package)]
        assert held == []
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
