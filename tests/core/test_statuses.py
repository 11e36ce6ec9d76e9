"""Statuses travel to the party the standard names, and build up the sender's traces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from gateway import edxml
from gateway.core import (
    Exchange,
    InvalidPackage,
    InvalidRequest,
    NotAuthorized,
    NotFound,
    Staff,
    UnknownRecipient,
)
from gateway.store.db import Store

from .packages import G17, G22, H14, H41, H53, NAMES, document, snapshot, status_package

RECIPIENT_CODES = ["01", "02", "03", "04", "05", "06", "15", "16"]


@pytest.fixture
def sent(exchange: Exchange) -> str:
    """A document from G22 to H41 and H14; its DocumentId."""
    return exchange.send_document(G22, document(G22, (H41, H14))).document_id


@pytest.mark.parametrize("code", RECIPIENT_CODES)
def test_a_recipients_status_goes_to_the_documents_sender(
    exchange: Exchange, sent: str, code: str
) -> None:
    when = datetime(2024, 5, 18, 2, 30, 15, tzinfo=UTC)
    staff = Staff("Văn thư", "Nguyễn Thị B", "b@nghean.gov.vn", "0912000001")
    receipt = exchange.update_status(H41, sent, code, description="Đã vào sổ", staff=staff,
                                     timestamp=when)

    assert (receipt.message_type, receipt.recipients, receipt.document_id) == (
        "status", [G22], sent
    )
    [item] = exchange.pending_documents(G22)
    assert (item.message_id, item.status_code, item.from_organ_id) == (
        receipt.message_id, code, H41
    )
    message = edxml.read(exchange.get_document(G22, receipt.message_id).package)
    assert isinstance(message, edxml.StatusMessage)
    assert message.status_code == code
    assert (message.from_.organ_id, message.from_.organ_name) == (H41, NAMES[H41])
    assert message.response_for == edxml.ResponseFor(G22, "7816/VPCP-TTĐT", "2024/05/17", sent)
    assert message.timestamp == "2024/05/18 09:30:15"  # UTC+7, as the standard writes it
    assert message.description == "Đã vào sổ"
    assert message.staff_info == edxml.StaffInfo("Văn thư", "Nguyễn Thị B", "b@nghean.gov.vn",
                                                 "0912000001")
    assert exchange.pending_documents(H41) == exchange.pending_documents(H14)  # their own doc
    assert [i.status_code for i in exchange.pending_documents(H14)] == [None]


def test_a_take_back_goes_to_every_recipient_as_one_message_each(
    exchange: Exchange, sent: str
) -> None:
    receipt = exchange.update_status(G22, sent, "13", description="Lấy lại để sửa")
    assert receipt.recipients == [H41, H14]
    ids = set()
    for recipient in (H41, H14):
        [item] = exchange.pending_documents(recipient, "status")
        assert (item.status_code, item.from_organ_id, item.document_id) == ("13", G22, sent)
        message = edxml.read(exchange.get_document(recipient, item.message_id).package)
        assert message.response_for.organ_id == recipient
        ids.add(item.message_id)
    assert receipt.message_id in ids and len(ids) == 2
    assert exchange.pending_documents(G22) == []


def test_a_take_back_reaches_recipients_added_by_a_resend(exchange: Exchange, sent: str) -> None:
    exchange.send_document(G22, document(G22, (H41, G17)))
    assert exchange.update_status(G22, sent, "13").recipients == [H41, H14, G17]


def test_recipients_do_not_request_take_back(exchange: Exchange, store: Store, sent: str) -> None:
    before = snapshot(store)
    with pytest.raises(NotAuthorized, match="13"):
        exchange.update_status(H41, sent, "13")
    with pytest.raises(NotAuthorized, match="13"):
        exchange.send_document(H41, status_package("13", H41, G22, sent))
    assert snapshot(store) == before


@pytest.mark.parametrize("code", ["03", "15"])
def test_the_sender_does_not_report_a_recipients_status(
    exchange: Exchange, store: Store, sent: str, code: str
) -> None:
    before = snapshot(store)
    with pytest.raises(NotAuthorized):
        exchange.update_status(G22, sent, code)
    with pytest.raises(NotAuthorized):
        exchange.send_document(G22, status_package(code, G22, H41, sent))
    assert snapshot(store) == before


@pytest.mark.parametrize("code", ["03", "13"])
def test_an_agency_unrelated_to_the_document_learns_nothing(
    exchange: Exchange, sent: str, code: str
) -> None:
    with pytest.raises(NotFound) as theirs:
        exchange.update_status(G17, sent, code)
    with pytest.raises(NotFound) as nothing:
        exchange.update_status(G17, "000.00.00.G17,2024/05/17,1/XX", code)
    assert theirs.value.message.replace(sent, "ID") == nothing.value.message.replace(
        "000.00.00.G17,2024/05/17,1/XX", "ID"
    )


def test_a_status_package_naming_the_wrong_sender_is_not_found(
    exchange: Exchange, sent: str
) -> None:
    with pytest.raises(NotFound):
        exchange.send_document(H41, status_package("03", H41, H14, sent))


def test_a_take_back_package_for_a_non_recipient_is_not_found(
    exchange: Exchange, sent: str
) -> None:
    with pytest.raises(NotFound):
        exchange.send_document(G22, status_package("13", G22, G17, sent))


def test_a_status_for_an_unregistered_agency_is_an_unknown_recipient(
    exchange: Exchange, sent: str
) -> None:
    with pytest.raises(UnknownRecipient, match="000.00.00.H99"):
        exchange.send_document(H41, status_package("03", H41, "000.00.00.H99", sent))


@pytest.mark.parametrize("code", ["07", "12", "14", "00", "1", "", "03 "])
def test_unknown_status_codes_are_invalid_requests(
    exchange: Exchange, sent: str, code: str
) -> None:
    with pytest.raises(InvalidRequest):
        exchange.update_status(H41, sent, code)


def test_an_unknown_status_code_in_a_package_is_invalid(exchange: Exchange, sent: str) -> None:
    package = status_package("03", H41, G22, sent).replace(
        b"<edXML:StatusCode>03<", b"<edXML:StatusCode>07<"
    )
    assert b">07<" in package
    with pytest.raises(InvalidPackage):
        exchange.send_document(H41, package)


def test_a_status_package_is_routed_like_update_status(exchange: Exchange, sent: str) -> None:
    package = status_package("02", H14, G22, sent, description="Sai thẩm quyền")
    receipt = exchange.send_document(H14, package)
    assert (receipt.message_type, receipt.recipients) == ("status", [G22])
    assert exchange.get_document(G22, receipt.message_id).package == package
    [trace] = [t for t in exchange.traces(G22, sent) if t.recipient == H14]
    assert [(s.status_code, s.description) for s in trace.statuses] == [("02", "Sai thẩm quyền")]


def test_traces_show_each_recipients_delivery_and_status_history(
    exchange: Exchange, sent: str
) -> None:
    start = datetime(2024, 5, 18, 1, 0, tzinfo=UTC)
    [doc] = exchange.pending_documents(H41)
    exchange.get_document(H41, doc.message_id)
    exchange.confirm_received(H41, doc.message_id)
    # Reported out of order: the trace orders by the statuses' own time.
    exchange.update_status(H41, sent, "05", timestamp=start + timedelta(hours=2))
    exchange.update_status(H41, sent, "03", timestamp=start, staff=Staff(name="Trâm"))
    exchange.update_status(H41, sent, "06", timestamp=start + timedelta(hours=3),
                           description="Xong")
    exchange.update_status(H14, sent, "02", description="Không đúng thẩm quyền")

    traces = {t.recipient: t for t in exchange.traces(G22, sent)}
    assert list(traces) == [H41, H14]
    h41, h14 = traces[H41], traces[H14]
    assert h41.state == "confirmed"
    assert h41.delivered_at <= h41.fetched_at <= h41.confirmed_at
    assert [s.status_code for s in h41.statuses] == ["03", "05", "06"]
    assert h41.statuses[0].timestamp == start
    assert h41.statuses[0].staff == Staff(None, "Trâm", None, None)
    assert h41.statuses[2].description == "Xong"
    assert all(s.received_at.tzinfo is not None for s in h41.statuses)
    assert (h14.state, h14.fetched_at, h14.confirmed_at) == ("pending", None, None)
    assert [(s.status_code, s.description) for s in h14.statuses] == [
        ("02", "Không đúng thẩm quyền")
    ]


def test_a_naive_timestamp_is_taken_as_utc(exchange: Exchange, sent: str) -> None:
    exchange.update_status(H41, sent, "01", timestamp=datetime(2024, 5, 18, 2, 0))
    [status] = exchange.traces(G22, sent)[0].statuses
    assert status.timestamp == datetime(2024, 5, 18, 9, 0, tzinfo=timezone(timedelta(hours=7)))


def test_only_the_sender_reads_traces(exchange: Exchange, sent: str) -> None:
    for agency in (H41, H14, G17, H53):
        with pytest.raises(NotFound) as theirs:
            exchange.traces(agency, sent)
        with pytest.raises(NotFound) as nothing:
            exchange.traces(agency, "no such document")
        assert theirs.value.message.replace(sent, "X") == nothing.value.message.replace(
            "no such document", "X"
        )
