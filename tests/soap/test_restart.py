"""SIGKILL the gateway at every step of the flow: after a restart nothing is lost and
nothing is delivered twice."""

from __future__ import annotations

import base64
import socket
import time
from urllib.parse import urlsplit

from gateway import edxml

from .conftest import Gateway
from .packages import G22, H14, H41, document, send_envelope
from .test_exchange_flow import fetch_and_confirm, listed, pending


def test_killing_the_gateway_between_every_step_loses_nothing(gateway: Gateway) -> None:
    package = document(code_number="801")
    document_id = edxml.read(package).document_id
    receipt = gateway.client(G22).service.sendDocument(package=package)
    gateway.restart_after_kill()

    # The sender never saw the receipt (it crashed too) and sends again: a duplicate.
    again = gateway.client(G22).service.sendDocument(package=package)
    assert again.duplicate is True and again.messageId == receipt.messageId
    for organ_id in (H41, H14):
        assert [i.messageId for i in pending(gateway, organ_id)] == [receipt.messageId]

    fetched = gateway.client(H41).service.getDocument(messageId=receipt.messageId)
    gateway.restart_after_kill()
    # Fetched but not confirmed: still pending, the same bytes again.
    [item] = pending(gateway, H41)
    assert fetch_and_confirm(gateway, H41, item.messageId) == fetched.package == package
    gateway.restart_after_kill()
    assert pending(gateway, H41) == []
    assert [i.messageId for i in pending(gateway, H14)] == [receipt.messageId]

    gateway.client(H41).service.updateStatus(documentId=document_id, statusCode="03")
    gateway.restart_after_kill()
    gateway.client(H41).service.updateStatus(documentId=document_id, statusCode="06")
    assert fetch_and_confirm(gateway, H14, receipt.messageId) == package
    gateway.client(H14).service.updateStatus(documentId=document_id, statusCode="02")
    gateway.restart_after_kill()

    assert [s.statusCode for s in pending(gateway, G22, "status")] == ["03", "06", "02"]
    traces = {t.recipient: t for t in listed(
        gateway.client(G22).service.getTraces(documentId=document_id))}
    assert {r: t.state for r, t in traces.items()} == {H41: "confirmed", H14: "confirmed"}
    assert [s.statusCode for s in listed(traces[H41].statuses, "status")] == ["03", "06"]


def test_a_request_cut_off_by_a_kill_stores_nothing(gateway: Gateway) -> None:
    """Half a body on the wire when the process dies: no half-stored message."""
    package = document(code_number="802", files=[("phu-luc.bin", bytes(range(256)) * 400)])
    body = send_envelope(package)
    before = gateway.snapshot()
    host, port = urlsplit(gateway.url).hostname, urlsplit(gateway.url).port
    token = base64.b64encode(f"{G22}:{gateway.secrets[G22]}".encode()).decode()
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall(
            b"POST /soap HTTP/1.1\r\nHost: " + f"{host}:{port}".encode()
            + b"\r\nContent-Type: text/xml\r\nAuthorization: Basic " + token.encode()
            + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
            + body[: len(body) // 2]
        )
        time.sleep(0.3)
        gateway.restart_after_kill()
    assert gateway.snapshot() == before
    receipt = gateway.client(G22).service.sendDocument(package=package)
    assert receipt.duplicate is False
    assert [i.messageId for i in pending(gateway, H41)] == [receipt.messageId]
