"""End to end over real HTTP with zeep: send, fetch, confirm, report status, trace.

G22 sends one package to H41 and H14; both find it pending, fetch identical bytes and
confirm; H41 reports 03, 05, 06 and H14 reports 02; G22 finds those statuses pending
and in its traces. The same again with the real packages from other teams' software.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from gateway import edxml

from .conftest import Gateway
from .packages import G17, G22, H14, H41, document

REAL_STATUSES = (
    "status_inbox__01.edxml",
    "status_acceptance_03.edxml",
    "status_assignment_04.edxml",
    "status_processing_05.edxml",
    "status_finish_06.edxml",
    "status_rejection_02.edxml",
    "status_change-acceptance_15.edxml",
)


def listed(value: Any, item: str | None = None) -> list[Any]:
    """zeep gives None for an empty wrapper; otherwise the items (under ``item`` if named)."""
    if value is None:
        return []
    if item is not None:
        value = getattr(value, item)
    return list(value or [])


def pending(gateway: Gateway, organ_id: str, message_type: str | None = None,
            **client: str) -> list[Any]:
    service = gateway.client(organ_id, **client).service
    return listed(service.getPendingDocuments(messageType=message_type))


def fetch_and_confirm(gateway: Gateway, organ_id: str, message_id: str, **client: str) -> bytes:
    service = gateway.client(organ_id, **client).service
    fetched = service.getDocument(messageId=message_id)
    assert fetched.messageId == message_id
    service.confirmReceived(messageId=message_id)
    return fetched.package


def test_two_recipients_fetch_identical_bytes_and_their_statuses_reach_the_sender(
    gateway: Gateway,
) -> None:
    package = document(files=[("cong-van.pdf", b"%PDF-1.4 test\x00\xff" * 50)])
    receipt = gateway.client(G22).service.sendDocument(package=package)
    document_id = edxml.read(package).document_id
    assert (receipt.messageType, receipt.documentId, receipt.duplicate) == (
        "edoc", document_id, False)
    assert listed(receipt.recipients, "organId") == [H41, H14]
    assert receipt.signatureState == "absent" and receipt.signerSubject is None
    assert receipt.receivedAt.utcoffset() == timedelta(0)

    fetched = {}
    for organ_id, auth in ((H41, "wsse"), (H14, "basic")):
        [item] = pending(gateway, organ_id, auth=auth)
        assert (item.messageId, item["from"], item.documentId, item.size) == (
            receipt.messageId, G22, document_id, len(package))
        assert item.messageType == "edoc" and item.subject == "V/v kết nối liên thông văn bản"
        fetched[organ_id] = fetch_and_confirm(gateway, organ_id, item.messageId, auth=auth)
        gateway.client(organ_id, auth=auth).service.confirmReceived(messageId=item.messageId)
        assert pending(gateway, organ_id, auth=auth) == []
    assert fetched[H41] == fetched[H14] == package

    vn = timezone(timedelta(hours=7))
    h41 = gateway.client(H41, auth="wsse").service
    for code, hour in (("03", 9), ("05", 10), ("06", 11)):
        status = h41.updateStatus(
            documentId=document_id, statusCode=code, description=f"bước {code}",
            staff={"department": "Văn thư", "name": "Nguyễn Thị Trâm",
                   "email": "tram@nghean.gov.vn", "mobile": "0912000001"},
            timestamp=datetime(2024, 5, 18, hour, 0, tzinfo=vn),
        )
        assert (status.messageType, status.documentId) == ("status", document_id)
        assert listed(status.recipients, "organId") == [G22]
    gateway.client(H14).service.updateStatus(documentId=document_id, statusCode="02",
                                             description="Sai địa chỉ nhận")

    statuses = pending(gateway, G22, "status")
    assert [(s["from"], s.statusCode) for s in statuses] == [
        (H41, "03"), (H41, "05"), (H41, "06"), (H14, "02")]
    assert pending(gateway, G22, "edoc") == []
    for item in statuses:
        status = edxml.read(fetch_and_confirm(gateway, G22, item.messageId))
        assert (status.status_code, status.sender) == (item.statusCode, item["from"])
    assert pending(gateway, G22) == []

    traces = {t.recipient: t for t in listed(gateway.client(G22).service.getTraces(
        documentId=document_id))}
    assert set(traces) == {H41, H14}
    assert [s.statusCode for s in listed(traces[H41].statuses, "status")] == ["03", "05", "06"]
    assert [s.statusCode for s in listed(traces[H14].statuses, "status")] == ["02"]
    first = listed(traces[H41].statuses, "status")[0]
    assert first.staff.name == "Nguyễn Thị Trâm" and first.description == "bước 03"
    assert first.timestamp == datetime(2024, 5, 18, 2, 0, tzinfo=UTC)
    for trace in traces.values():
        assert trace.state == "confirmed"
        assert trace.deliveredAt <= trace.fetchedAt <= trace.confirmedAt


def test_real_packages_travel_as_they_are(gateway: Gateway, real_packages: dict[str, bytes]
                                         ) -> None:
    """Real files keep their quirks: an unverifiable signature is recorded, not refused."""
    package = real_packages["edoc_update.edxml"]
    receipt = gateway.client(G22).service.sendDocument(package=package)
    assert listed(receipt.recipients, "organId") == [H41, H14, G17]
    assert receipt.signatureState == "invalid"
    for organ_id in (H41, H14, G17):
        [item] = pending(gateway, organ_id)
        assert fetch_and_confirm(gateway, organ_id, item.messageId) == package

    h41 = gateway.client(H41, auth="wsse").service
    for name in REAL_STATUSES:
        status = h41.sendDocument(package=real_packages[name])
        assert status.messageType == "status" and listed(status.recipients, "organId") == [G22]

    codes = [item.statusCode for item in pending(gateway, G22, "status")]
    assert codes == ["01", "03", "04", "05", "06", "02", "15"]
    [trace] = [t for t in listed(gateway.client(G22).service.getTraces(
        documentId=receipt.documentId)) if t.recipient == H41]
    assert [s.statusCode for s in listed(trace.statuses, "status")] == codes
    for item in pending(gateway, G22, "status"):
        assert fetch_and_confirm(gateway, G22, item.messageId) == real_packages[
            REAL_STATUSES[codes.index(item.statusCode)]]


def test_a_resent_package_is_a_duplicate_and_delivered_once(gateway: Gateway) -> None:
    package = document()
    first = gateway.client(G22).service.sendDocument(package=package)
    again = gateway.client(G22, auth="wsse").service.sendDocument(package=package)
    assert again.duplicate is True and again.messageId == first.messageId
    assert [i.messageId for i in pending(gateway, H41)] == [first.messageId]
