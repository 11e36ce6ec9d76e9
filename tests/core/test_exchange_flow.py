"""Send, list pending, fetch, confirm: the recipient's side of the exchange."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gateway.core import (
    Exchange,
    InvalidPackage,
    InvalidRequest,
    MalformedPackage,
    NotFound,
    SenderMismatch,
    TooLarge,
    UnknownRecipient,
)
from gateway.core.agencies import Agencies
from gateway.store.db import Store

from .packages import G17, G22, H14, H41, H53, document, snapshot


def test_a_sent_document_waits_for_each_recipient_and_comes_back_byte_for_byte(
    exchange: Exchange,
) -> None:
    package = document(G22, (H41, H14))
    receipt = exchange.send_document(G22, package)

    assert receipt.message_type == "edoc"
    assert receipt.recipients == [H41, H14]
    assert receipt.received_at.utcoffset() == timedelta(0)
    assert not receipt.duplicate and receipt.already_delivered == []
    for recipient in (H41, H14):
        [item] = exchange.pending_documents(recipient)
        assert (item.message_id, item.from_organ_id, item.message_type) == (
            receipt.message_id, G22, "edoc"
        )
        assert item.document_id == receipt.document_id
        assert item.subject == "V/v kết nối, liên thông phần mềm quản lý văn bản"
        assert item.size == len(package)
        fetched = exchange.get_document(recipient, receipt.message_id)
        assert fetched.package == package
        assert fetched.received_at == receipt.received_at
    assert exchange.pending_documents(G17) == []
    assert exchange.pending_documents(G22) == []


def test_an_item_stays_pending_after_fetching_until_it_is_confirmed(exchange: Exchange) -> None:
    receipt = exchange.send_document(G22, document(G22, (H41,)))
    exchange.get_document(H41, receipt.message_id)
    assert [i.message_id for i in exchange.pending_documents(H41)] == [receipt.message_id]

    exchange.confirm_received(H41, receipt.message_id)
    assert exchange.pending_documents(H41) == []
    # A confirmed document can still be fetched again (a client that lost its copy).
    assert exchange.get_document(H41, receipt.message_id).message_id == receipt.message_id


def test_confirming_twice_is_harmless_and_keeps_the_first_confirmation_time(
    exchange: Exchange,
) -> None:
    receipt = exchange.send_document(G22, document(G22, (H41,)))
    exchange.confirm_received(H41, receipt.message_id)
    first = exchange.traces(G22, receipt.document_id)[0].confirmed_at
    exchange.confirm_received(H41, receipt.message_id)
    [trace] = exchange.traces(G22, receipt.document_id)
    assert trace.state == "confirmed" and trace.confirmed_at == first


def test_pending_items_come_oldest_first_and_filter_by_type_and_limit(exchange: Exchange) -> None:
    ids = [
        exchange.send_document(G22, document(G22, (H41,), code_number=str(n))).message_id
        for n in range(1, 5)
    ]
    doc_id = exchange.pending_documents(H41)[0].document_id
    status = exchange.update_status(H41, doc_id, "01")

    assert [i.message_id for i in exchange.pending_documents(H41)] == ids
    assert [i.message_id for i in exchange.pending_documents(H41, limit=2)] == ids[:2]
    assert [i.message_id for i in exchange.pending_documents(H41, "edoc", 3)] == ids[:3]
    assert exchange.pending_documents(H41, "status") == []
    [item] = exchange.pending_documents(G22, "status")
    assert (item.message_id, item.status_code, item.subject) == (status.message_id, "01", None)
    assert exchange.pending_documents(G22, "edoc") == []


@pytest.mark.parametrize("message_type, limit", [
    ("document", None), ("", None), (None, 0), (None, -1), (None, 1001), (None, True), (None, "5"),
])
def test_bad_pending_queries_are_invalid_requests(
    exchange: Exchange, message_type: str | None, limit: object
) -> None:
    with pytest.raises(InvalidRequest):
        exchange.pending_documents(H41, message_type, limit)  # type: ignore[arg-type]


def test_limit_of_1000_is_allowed(exchange: Exchange) -> None:
    assert exchange.pending_documents(H41, None, 1000) == []


def test_an_oversized_package_is_refused_before_it_is_parsed(
    make_exchange, store: Store
) -> None:
    exchange = make_exchange(max_package_size=1000)
    before = snapshot(store)
    with pytest.raises(TooLarge, match="1001 bytes"):
        exchange.send_document(G22, b"<" * 1001)  # not XML at all: size comes first
    assert snapshot(store) == before


@pytest.mark.parametrize("package, rule_id", [
    (b"", "EDX-XML-001"),
    (b"this is not xml", "EDX-XML-001"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"/>',
     "EDX-XML-002"),
    (b"<edXML/>", "EDX-XML-004"),
])
def test_unreadable_packages_are_malformed_with_the_rule_broken(
    exchange: Exchange, store: Store, package: bytes, rule_id: str
) -> None:
    before = snapshot(store)
    with pytest.raises(MalformedPackage) as caught:
        exchange.send_document(G22, package)
    assert rule_id in caught.value.rule_ids
    assert snapshot(store) == before


def test_a_package_must_be_bytes(exchange: Exchange) -> None:
    with pytest.raises(InvalidRequest, match="bytes"):
        exchange.send_document(G22, document(G22, (H41,)).decode())  # type: ignore[arg-type]


def test_a_package_breaking_the_schema_is_invalid_with_rule_ids_and_lines(
    exchange: Exchange, store: Store
) -> None:
    package = document(G22, (H41,)).replace(b"<edXML:Subject>", b"<edXML:Subjekt>").replace(
        b"</edXML:Subject>", b"</edXML:Subjekt>"
    )
    before = snapshot(store)
    with pytest.raises(InvalidPackage) as caught:
        exchange.send_document(G22, package)
    assert caught.value.rule_ids
    assert "line " in caught.value.message
    assert snapshot(store) == before


def test_an_agency_sends_only_as_itself(exchange: Exchange, store: Store) -> None:
    before = snapshot(store)
    with pytest.raises(SenderMismatch, match=G22):
        exchange.send_document(H41, document(G22, (H14,)))
    assert snapshot(store) == before


def test_one_unknown_recipient_refuses_the_whole_package(exchange: Exchange, store: Store) -> None:
    before = snapshot(store)
    with pytest.raises(UnknownRecipient) as caught:
        exchange.send_document(G22, document(G22, (H41, "000.00.00.H99", H14)))
    assert "000.00.00.H99" in caught.value.message
    assert H41 not in caught.value.message
    assert snapshot(store) == before
    assert exchange.pending_documents(H41) == []


def test_a_disabled_agency_cannot_be_sent_to(exchange: Exchange, store: Store) -> None:
    Agencies(store).disable(H53)
    with pytest.raises(UnknownRecipient, match=H53):
        exchange.send_document(G22, document(G22, (H41, H53)))
    Agencies(store).enable(H53)
    assert exchange.send_document(G22, document(G22, (H41, H53))).recipients == [H41, H53]


@pytest.mark.parametrize("operation", ["get_document", "confirm_received"])
def test_an_unknown_message_id_is_not_found(exchange: Exchange, operation: str) -> None:
    with pytest.raises(NotFound):
        getattr(exchange, operation)(H41, "00000000-0000-0000-0000-000000000000")


def test_the_directory_lists_every_agency_with_its_state(exchange: Exchange, store: Store) -> None:
    Agencies(store).disable(H14)
    agencies = {a.organ_id: a for a in exchange.organizations()}
    assert set(agencies) == {G22, H41, H14, G17, H53}
    assert agencies[H14].active is False and agencies[H41].active is True
    assert agencies[G22].name == "Văn phòng Chính phủ"
