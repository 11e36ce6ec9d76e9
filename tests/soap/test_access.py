"""For every operation: no credentials, a wrong secret or another agency get the right
fault and learn nothing (the answer is the one for something that does not exist)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import zeep

from gateway import edxml

from .conftest import Gateway
from .packages import G17, G22, H14, H41, document
from .test_exchange_flow import listed, pending

OPERATIONS: dict[str, Callable[[Any, dict[str, str]], Any]] = {
    "sendDocument": lambda s, f: s.sendDocument(package=f["package"]),
    "getPendingDocuments": lambda s, f: s.getPendingDocuments(),
    "getDocument": lambda s, f: s.getDocument(messageId=f["message_id"]),
    "confirmReceived": lambda s, f: s.confirmReceived(messageId=f["message_id"]),
    "updateStatus": lambda s, f: s.updateStatus(documentId=f["document_id"], statusCode="03"),
    "getTraces": lambda s, f: s.getTraces(documentId=f["document_id"]),
    "getOrganizations": lambda s, f: s.getOrganizations(),
}


@pytest.fixture(scope="module")
def sent(shared_gateway: Gateway) -> dict[str, str]:
    """G22 has sent a document to H41 and H14; G17 is registered but not involved."""
    package = document(code_number="700")
    receipt = shared_gateway.client(G22).service.sendDocument(package=package)
    return {"package": package, "message_id": receipt.messageId,
            "document_id": receipt.documentId}


def fault_of(call: Callable[[], Any]) -> zeep.exceptions.Fault:
    with pytest.raises(zeep.exceptions.Fault) as caught:
        call()
    return caught.value


def assert_code(fault: zeep.exceptions.Fault, code: str) -> None:
    assert fault.code.partition(":")[2] == code, (fault.code, fault.message)


CALLERS = {
    "no credentials": {"organ_id": None},
    "a wrong secret": {"organ_id": G22, "secret": "wrong-secret-of-the-right-length-"},
    "an unknown agency": {"organ_id": "000.00.00.Z99", "secret": "anything"},
    "an empty secret": {"organ_id": G22, "secret": ""},
}


@pytest.mark.parametrize("auth", ["basic", "wsse"])
@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_without_valid_credentials_every_operation_is_refused_alike(
    shared_gateway: Gateway, sent: dict[str, str], operation: str, who: str, auth: str,
) -> None:
    before = shared_gateway.snapshot()
    service = shared_gateway.client(**CALLERS[who], auth=auth).service
    fault = fault_of(lambda: OPERATIONS[operation](service, sent))
    assert_code(fault, "Client.Authentication")
    reference = fault_of(lambda: shared_gateway.client(None).service.getOrganizations())
    assert fault.message == reference.message  # nothing says which part was wrong
    assert shared_gateway.snapshot() == before


def test_a_disabled_agency_is_refused_like_a_wrong_secret(gateway: Gateway) -> None:
    from .conftest import run_cli

    run_cli("agency", "disable", H14, db_url=gateway.db_url)
    disabled = fault_of(lambda: gateway.client(H14).service.getPendingDocuments())
    wrong = fault_of(lambda: gateway.client(H41, secret="x").service.getPendingDocuments())
    assert_code(disabled, "Client.Authentication")
    assert disabled.message == wrong.message


def _same_answer(fault: zeep.exceptions.Fault, other: zeep.exceptions.Fault, real: str,
                 fake: str) -> None:
    assert fault.code == other.code
    assert fault.message.replace(real, "ID") == other.message.replace(fake, "ID")


def test_send_document_only_as_itself(shared_gateway: Gateway, sent: dict[str, str]) -> None:
    before = shared_gateway.snapshot()
    forged = document(code_number="701")  # From G22
    fault = fault_of(lambda: shared_gateway.client(H41).service.sendDocument(package=forged))
    assert_code(fault, "Client.SenderMismatch")
    assert shared_gateway.snapshot() == before


def test_pending_documents_only_its_own(shared_gateway: Gateway, sent: dict[str, str]) -> None:
    assert sent["message_id"] not in [i.messageId for i in pending(shared_gateway, G17)]
    assert sent["message_id"] not in [i.messageId for i in pending(shared_gateway, G22)]


def test_get_document_of_another_agency_is_not_found(shared_gateway: Gateway,
                                                     sent: dict[str, str]) -> None:
    service = shared_gateway.client(G17).service
    theirs = fault_of(lambda: service.getDocument(messageId=sent["message_id"]))
    missing = fault_of(lambda: service.getDocument(messageId="no-such-message"))
    assert_code(theirs, "Client.NotFound")
    _same_answer(theirs, missing, sent["message_id"], "no-such-message")
    sender = fault_of(lambda: shared_gateway.client(G22).service.getDocument(
        messageId=sent["message_id"]))
    assert_code(sender, "Client.NotFound")


def test_confirm_received_of_another_agency_changes_nothing(shared_gateway: Gateway,
                                                            sent: dict[str, str]) -> None:
    before = shared_gateway.snapshot()
    service = shared_gateway.client(G17).service
    theirs = fault_of(lambda: service.confirmReceived(messageId=sent["message_id"]))
    missing = fault_of(lambda: service.confirmReceived(messageId="no-such-message"))
    assert_code(theirs, "Client.NotFound")
    _same_answer(theirs, missing, sent["message_id"], "no-such-message")
    assert shared_gateway.snapshot() == before
    assert sent["message_id"] in [i.messageId for i in pending(shared_gateway, H41)]


def test_update_status_only_on_documents_received(shared_gateway: Gateway,
                                                  sent: dict[str, str]) -> None:
    before = shared_gateway.snapshot()
    fake = "000.00.00.G22,2024/05/17,999/VPCP-TTĐT"
    service = shared_gateway.client(G17).service
    theirs = fault_of(lambda: service.updateStatus(documentId=sent["document_id"],
                                                   statusCode="03"))
    missing = fault_of(lambda: service.updateStatus(documentId=fake, statusCode="03"))
    assert_code(theirs, "Client.NotFound")
    _same_answer(theirs, missing, sent["document_id"], fake)
    own = fault_of(lambda: shared_gateway.client(G22).service.updateStatus(
        documentId=sent["document_id"], statusCode="03"))
    assert_code(own, "Client.NotAuthorized")  # the sender knows its document exists
    assert shared_gateway.snapshot() == before


def test_traces_only_of_documents_sent(shared_gateway: Gateway, sent: dict[str, str]) -> None:
    fake = "000.00.00.G22,2024/05/17,998/VPCP-TTĐT"
    for organ_id in (H41, G17):  # a recipient and a stranger
        service = shared_gateway.client(organ_id).service
        theirs = fault_of(lambda s=service: s.getTraces(documentId=sent["document_id"]))
        missing = fault_of(lambda s=service: s.getTraces(documentId=fake))
        assert_code(theirs, "Client.NotFound")
        _same_answer(theirs, missing, sent["document_id"], fake)


def test_the_directory_is_for_signed_in_agencies(shared_gateway: Gateway) -> None:
    organizations = listed(shared_gateway.client(H41, auth="wsse").service.getOrganizations())
    assert {o.organId for o in organizations} >= {G22, H41, H14, G17}
    assert all(o.active for o in organizations)


@pytest.mark.parametrize("auth", ["basic", "wsse"])
def test_each_sign_in_method_works_for_every_operation(gateway: Gateway, auth: str) -> None:
    package = document(code_number="702", recipients=(H41,))
    receipt = gateway.client(G22, auth=auth).service.sendDocument(package=package)
    h41 = gateway.client(H41, auth=auth).service
    [item] = listed(h41.getPendingDocuments(messageType="edoc", limit=10))
    assert h41.getDocument(messageId=item.messageId).package == package
    h41.confirmReceived(messageId=item.messageId)
    h41.updateStatus(documentId=receipt.documentId, statusCode="01")
    [trace] = listed(gateway.client(G22, auth=auth).service.getTraces(
        documentId=edxml.read(package).document_id))
    assert [s.statusCode for s in listed(trace.statuses, "status")] == ["01"]
    assert listed(gateway.client(G22, auth=auth).service.getOrganizations())
