"""The real packages (another team's software, quirks and all) flow through the core."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gateway import edxml
from gateway.core import Exchange, SignatureInvalid
from gateway.store.db import Store

from .packages import G17, G22, H14, H41, snapshot

STATUS_FILES = [
    "status_inbox__01.edxml",
    "status_rejection_02.edxml",
    "status_acceptance_03.edxml",
    "status_assignment_04.edxml",
    "status_processing_05.edxml",
    "status_finish_06.edxml",
    "status_change-acceptance_15.edxml",
]


def test_the_real_document_and_its_statuses_go_round_trip(
    exchange: Exchange, real_packages: dict[str, bytes]
) -> None:
    package = real_packages["edoc_update.edxml"]
    receipt = exchange.send_document(G22, package)
    assert receipt.recipients == [H41, H14, G17]
    assert receipt.document_id == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
    # Its Signature is broken (no XML-DSig namespace): recorded, not refused.
    assert receipt.signature.state == "invalid" and receipt.signature.reason

    for recipient in (H41, H14, G17):
        [item] = exchange.pending_documents(recipient)
        assert exchange.get_document(recipient, item.message_id).package == package
        exchange.confirm_received(recipient, item.message_id)
        assert exchange.pending_documents(recipient) == []

    sent = []
    for name in STATUS_FILES:
        status = exchange.send_document(H41, real_packages[name])
        assert (status.message_type, status.recipients) == ("status", [G22])
        sent.append((status.message_id, edxml.read(real_packages[name]).status_code))

    pending = exchange.pending_documents(G22, "status")
    assert [(i.message_id, i.status_code) for i in pending] == sent
    for item, name in zip(pending, STATUS_FILES, strict=True):
        assert exchange.get_document(G22, item.message_id).package == real_packages[name]

    traces = {t.recipient: t for t in exchange.traces(G22, receipt.document_id)}
    assert [s.status_code for s in traces[H41].statuses] == [code for _, code in sent]
    assert traces[H41].statuses[0].staff is not None
    assert traces[H41].statuses[0].staff.name == "Nguyen thi ngoc tram"
    assert traces[H14].statuses == [] and traces[H14].state == "confirmed"


def test_a_gateway_requiring_signatures_refuses_the_real_document_and_says_why(
    make_exchange: Callable[..., Exchange], store: Store, real_packages: dict[str, bytes]
) -> None:
    exchange = make_exchange(signature_policy="require")
    before = snapshot(store)
    with pytest.raises(SignatureInvalid) as caught:
        exchange.send_document(G22, real_packages["edoc_update.edxml"])
    assert "namespace" in caught.value.message
    assert snapshot(store) == before
