"""Every GatewayClient method against a real gateway: typed results, exact bytes, statuses."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from soap.packages import G22, H14, H41, NAMES, document, organization

from gateway import edxml
from gateway.client import (
    Agency,
    FetchedMessage,
    GatewayClient,
    PendingItem,
    Receipt,
    Staff,
    StatusEvent,
    Trace,
)

from .conftest import ClientFactory


def test_send_returns_a_receipt_and_the_recipients_fetch_identical_bytes(
    client_of: ClientFactory,
) -> None:
    package = document(G22, (H41, H14), files=[("cong-van.pdf", b"%PDF-1.4\x00\xff" * 40)])
    receipt = client_of(G22).send(package)
    assert isinstance(receipt, Receipt) and dataclasses.is_dataclass(receipt)
    assert (receipt.message_type, receipt.recipients, receipt.duplicate) == (
        "edoc", [H41, H14], False)
    assert receipt.document_id == edxml.read(package).document_id
    assert receipt.already_delivered == [] and receipt.signature.state == "absent"
    assert receipt.received_at.tzinfo is UTC

    for organ_id in (H41, H14):
        client = client_of(organ_id)
        [item] = client.pending()
        assert isinstance(item, PendingItem)
        assert (item.message_id, item.from_organ_id, item.size, item.subject) == (
            receipt.message_id, G22, len(package), "V/v kết nối liên thông văn bản")
        fetched = client.fetch(item.message_id)
        assert isinstance(fetched, FetchedMessage)
        assert fetched.package == package
        assert isinstance(fetched.model, edxml.Package)
        assert fetched.model.document_id == receipt.document_id
        [attached] = fetched.model.files()
        assert attached.attachment.data == b"%PDF-1.4\x00\xff" * 40
        assert client.pending() == [item]  # fetched, not yet confirmed: still pending
        client.confirm(item.message_id)
        client.confirm(item.message_id)  # twice is harmless
        assert client.pending() == []


def test_send_takes_bytes_a_path_or_a_built_package(client_of: ClientFactory,
                                                    tmp_path: Path) -> None:
    client = client_of(G22)
    path = tmp_path / "cong-van.edxml"
    path.write_bytes(document(G22, (H41,), code_number="11"))
    built = edxml.read(document(G22, (H41,), code_number="12"))
    assert not client.send(path).duplicate
    assert client.send(str(path)).duplicate  # same file again: recognised
    assert client.send(built).document_id == built.document_id
    assert client.send(document(G22, (H41,), code_number="13")).recipients == [H41]
    assert [item.document_id for item in client_of(H41).pending()] == [
        edxml.read(document(G22, (H41,), code_number=n)).document_id for n in ("11", "12", "13")
    ]


def test_a_resend_is_a_duplicate_with_the_original_receipt(client_of: ClientFactory) -> None:
    client = client_of(G22)
    package = document(G22, (H41,), code_number="21")
    first, again = client.send(package), client.send(package)
    assert again.duplicate and not first.duplicate
    assert dataclasses.replace(again, duplicate=False) == first
    assert len(client_of(H41).pending()) == 1


def test_a_clerk_adding_a_recipient_reaches_only_the_new_one(client_of: ClientFactory) -> None:
    client = client_of(G22)
    client.send(document(G22, (H41,), code_number="22"))
    receipt = client.send(document(G22, (H41, H14), code_number="22"))
    assert (receipt.recipients, receipt.already_delivered) == ([H14], [H41])


def test_statuses_travel_back_and_show_in_traces(client_of: ClientFactory) -> None:
    sent = client_of(G22).send(document(G22, (H41, H14), code_number="31"))
    h41, h14 = client_of(H41), client_of(H14)
    for client in (h41, h14):
        client.confirm(client.pending()[0].message_id)
    vn = timezone(timedelta(hours=7))
    at = datetime(2024, 5, 18, 9, 30, tzinfo=vn)
    status = h41.update_status(sent.document_id, "03", description="Đã tiếp nhận",
                               staff={"department": "Văn thư", "name": "Nguyễn Thị Trâm"},
                               timestamp=at)
    assert (status.message_type, status.recipients) == ("status", [G22])
    h41.update_status(sent.document_id, "05", staff=Staff(email="tram@nghean.gov.vn"))
    h14.update_status(sent.document_id, "02", description="Không đúng thẩm quyền")

    g22 = client_of(G22)
    statuses = g22.pending("status")
    assert [(i.from_organ_id, i.status_code) for i in statuses] == [
        (H41, "03"), (H41, "05"), (H14, "02")]
    assert g22.pending("edoc") == []
    message = g22.fetch(statuses[0].message_id)
    assert isinstance(message.model, edxml.StatusMessage)
    assert (message.model.status_code, message.model.description) == ("03", "Đã tiếp nhận")

    traces = {trace.recipient: trace for trace in g22.traces(sent.document_id)}
    assert all(isinstance(t, Trace) for t in traces.values())
    assert traces[H41].state == traces[H14].state == "confirmed"
    assert traces[H41].confirmed_at is not None and traces[H41].confirmed_at.tzinfo is UTC
    first, second = traces[H41].statuses
    assert isinstance(first, StatusEvent)
    assert (first.status_code, first.description, first.timestamp) == (
        "03", "Đã tiếp nhận", at.astimezone(UTC))
    assert first.staff == Staff(department="Văn thư", name="Nguyễn Thị Trâm")
    assert second.staff == Staff(email="tram@nghean.gov.vn")
    assert [e.status_code for e in traces[H14].statuses] == ["02"]


def test_a_status_package_goes_through_send(client_of: ClientFactory) -> None:
    sent = client_of(G22).send(document(G22, (H41,), code_number="32"))
    original = edxml.read(document(G22, (H41,), code_number="32"))
    status = edxml.accepted(sender=organization(H41), document=original)
    receipt = client_of(H41).send(status)
    assert (receipt.message_type, receipt.document_id, receipt.recipients) == (
        "status", sent.document_id, [G22])
    [item] = client_of(G22).pending("status")
    assert item.status_code == "03"


def test_organizations_lists_the_directory(client_of: ClientFactory) -> None:
    agencies = client_of(H41).organizations()
    assert all(isinstance(a, Agency) for a in agencies)
    assert {a.organ_id: a.name for a in agencies} == NAMES
    assert all(a.active and a.parent_organ_id is None for a in agencies)


def test_the_client_is_a_context_manager_and_hides_its_secret(gateway) -> None:
    with GatewayClient(gateway.url, G22, gateway.secrets[G22]) as client:
        assert client.organizations()
        assert gateway.secrets[G22] not in repr(client)
