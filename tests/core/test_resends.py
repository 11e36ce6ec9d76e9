"""Resends: the identical package, the same document to more recipients, revoke/update/replace."""

from __future__ import annotations

import pytest

from gateway import edxml
from gateway.core import DuplicateDocumentId, Exchange
from gateway.store.db import Store

from .packages import G17, G22, H14, H41, document, document_id_of, snapshot, status_package


def test_the_identical_package_again_returns_the_original_receipt_and_delivers_nothing(
    exchange: Exchange, store: Store
) -> None:
    package = document(G22, (H41, H14))
    first = exchange.send_document(G22, package)
    before = snapshot(store)

    again = exchange.send_document(G22, package)

    assert again.duplicate is True
    assert (again.message_id, again.received_at, again.recipients, again.document_id) == (
        first.message_id, first.received_at, first.recipients, first.document_id
    )
    assert again.signature == first.signature
    assert snapshot(store) == before
    assert len(exchange.pending_documents(H41)) == 1


def test_a_duplicate_is_recognised_even_after_it_was_confirmed(exchange: Exchange) -> None:
    package = document(G22, (H41,))
    first = exchange.send_document(G22, package)
    exchange.confirm_received(H41, first.message_id)
    assert exchange.send_document(G22, package).duplicate
    assert exchange.pending_documents(H41) == []


def test_the_same_document_with_added_recipients_goes_only_to_the_new_ones(
    exchange: Exchange,
) -> None:
    first = exchange.send_document(G22, document(G22, (H41,)))
    second = exchange.send_document(G22, document(G22, (H41, H14, G17)))

    assert second.document_id == first.document_id
    assert second.message_id != first.message_id and not second.duplicate
    assert second.recipients == [H14, G17]
    assert second.already_delivered == [H41]
    assert len(exchange.pending_documents(H41)) == 1
    assert [i.message_id for i in exchange.pending_documents(H14)] == [second.message_id]
    # The receipt of such a resend is itself repeatable.
    again = exchange.send_document(G22, document(G22, (H41, H14, G17)))
    assert again.duplicate and again.already_delivered == [H41] and again.recipients == [H14, G17]


def test_the_same_document_to_nobody_new_is_refused(exchange: Exchange, store: Store) -> None:
    exchange.send_document(G22, document(G22, (H41, H14)))
    before = snapshot(store)
    with pytest.raises(DuplicateDocumentId) as caught:
        exchange.send_document(G22, document(G22, (H14,), subject="Sửa trích yếu"))
    assert H14 in caught.value.message
    assert snapshot(store) == before


def test_another_sender_may_use_the_same_document_id(exchange: Exchange) -> None:
    first = exchange.send_document(G22, document(G22, (H41,)))
    package = document(H14, (H41,), document_id=first.document_id)
    assert exchange.send_document(H14, package).recipients == [H41]


@pytest.mark.parametrize("builder, extra", [
    (edxml.revoke_document, {"reason": "Ban hành nhầm"}),
    (edxml.update_document, {"reason": "Sửa nội dung"}),
    (edxml.replace_document, {"reason": "Thay thế"}),
])
def test_revoke_update_and_replace_are_events_of_their_own(
    exchange: Exchange, builder, extra
) -> None:
    original = exchange.send_document(G22, document(G22, (H41, H14)))
    fields = {"builder": builder, "previous_document_id": original.document_id, **extra}
    package = document(G22, (H41, H14), code_number="7817", **fields)
    change = exchange.send_document(G22, package)
    assert change.recipients == [H41, H14] and change.already_delivered == []

    # The same kind of change again, different bytes, to the same recipients: refused.
    resent = document(G22, (H41, H14), code_number="7817", subject="khác", **fields)
    with pytest.raises(DuplicateDocumentId):
        exchange.send_document(G22, resent)


def test_an_update_with_the_same_document_id_is_delivered_again(exchange: Exchange) -> None:
    """The document itself (type 0) and its update (type 2) are separate events."""
    original = document(G22, (H41,))
    doc_id = document_id_of(original)
    exchange.send_document(G22, original)
    update = document(
        G22, (H41,), builder=edxml.update_document, document_id=doc_id,
        previous_document_id=doc_id, reason="Sửa nội dung",
    )
    receipt = exchange.send_document(G22, update)
    assert receipt.document_id == doc_id and receipt.recipients == [H41]
    assert len(exchange.pending_documents(H41)) == 2


def test_the_same_status_package_twice_is_a_duplicate(exchange: Exchange) -> None:
    doc = exchange.send_document(G22, document(G22, (H41,)))
    status = status_package("03", H41, G22, doc.document_id)
    first = exchange.send_document(H41, status)
    again = exchange.send_document(H41, status)
    assert again.duplicate and again.message_id == first.message_id
    assert len(exchange.pending_documents(G22)) == 1
    assert len(exchange.traces(G22, doc.document_id)[0].statuses) == 1
