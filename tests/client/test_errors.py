"""Every fault the gateway sends becomes its own exception, with code, message and rule ids."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from soap.conftest import SMALL_LIMIT, Gateway
from soap.packages import G22, H14, H41, document

from gateway import client as gc
from gateway.core import errors as core_errors
from gateway.soap.faults import fault_envelope

from .conftest import make_client
from .proxy import Canned, Proxy

SENT = document(G22, (H41,), code_number="600")


def test_every_gateway_fault_code_has_a_class_of_the_same_name() -> None:
    assert set(gc.ERRORS) == set(core_errors.FAULT_CLASSES)
    for code, cls in gc.ERRORS.items():
        assert cls.code == code and issubclass(cls, gc.GatewayError)
        assert cls.__name__ == core_errors.FAULT_CLASSES[code].__name__
        assert cls.__name__ in gc.__all__


def test_an_unknown_code_from_a_newer_gateway_is_still_a_gateway_error() -> None:
    error = gc.error_for("Client.QuotaExceeded", "too many today")
    assert type(error) is gc.GatewayError
    assert (error.code, error.message) == ("Client.QuotaExceeded", "too many today")


@pytest.fixture(scope="module")
def prepared(shared_gateway: Gateway) -> Gateway:
    """The shared gateway with one document G22 sent to H41 (for statuses and resends)."""
    with make_client(shared_gateway, G22) as g22:
        g22.send(SENT)
    return shared_gateway


@pytest.fixture(scope="module")
def document_id() -> str:
    from gateway import edxml

    return edxml.read(SENT).document_id


def _edited(package: bytes, old: bytes, new: bytes) -> bytes:
    assert old in package
    return package.replace(old, new, 1)


Call = Callable[[gc.GatewayClient, str], object]
CASES: dict[str, tuple[str, Call, type[gc.GatewayError]]] = {
    "wrong secret": ("wrong", lambda c, d: c.organizations(), gc.AuthenticationFailed),
    "status on a document one sent": (
        G22, lambda c, d: c.update_status(d, "03"), gc.NotAuthorized),
    "not XML": (G22, lambda c, d: c.send(b"PK\x03\x04 a zip file"), gc.MalformedPackage),
    "breaks edXML rules": (G22, lambda c, d: c.send(_edited(
        document(G22, (H41,), code_number="601"), b"<edXML:Subject>",
        b"<edXML:Sujet>x</edXML:Sujet><edXML:Subject>")), gc.InvalidPackage),
    "unknown recipient": (G22, lambda c, d: c.send(document(
        G22, ("000.00.00.Z99",), code_number="602")), gc.UnknownRecipient),
    "forged sender": (H41, lambda c, d: c.send(document(G22, (H14,), code_number="603")),
                      gc.SenderMismatch),
    "same documentId, other content": (G22, lambda c, d: c.send(
        _edited(SENT, b"V/v k", b"V/v (bis) k")), gc.DuplicateDocumentId),
    "unknown message": (H41, lambda c, d: c.fetch("no-such-message"), gc.NotFound),
    "traces of a document one did not send": (H41, lambda c, d: c.traces(d), gc.NotFound),
    "package over the limit": (G22, lambda c, d: c.send(document(
        G22, (H41,), code_number="604", files=[("big.bin", bytes(SMALL_LIMIT))])),
        gc.TooLarge),
    "body far over the limit (waitress's plain 413)": (G22, lambda c, d: c.send(document(
        G22, (H41,), code_number="605", files=[("huge.bin", bytes(SMALL_LIMIT * 3))])),
        gc.TooLarge),
    "unknown message type": (H41, lambda c, d: c.pending("fax"), gc.InvalidRequest),
    "status code not in the standard": (
        H41, lambda c, d: c.update_status(d, "07"), gc.InvalidRequest),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_fault_from_the_gateway_raises_its_class(prepared: Gateway, document_id: str,
                                                   case: str) -> None:
    who, call, expected = CASES[case]
    organ_id, secret = (G22, "not-the-secret") if who == "wrong" else (who, None)
    before = prepared.snapshot()
    with make_client(prepared, organ_id, secret=secret) as client, \
            pytest.raises(expected) as caught:
        call(client, document_id)
    error = caught.value
    assert error.code == expected.code and error.message
    assert str(error).startswith(expected.code)
    assert prepared.snapshot() == before


def test_an_invalid_package_names_the_broken_rules(prepared: Gateway) -> None:
    with make_client(prepared, G22) as client, pytest.raises(gc.InvalidPackage) as caught:
        client.send(_edited(document(G22, (H41,), code_number="606"), b"<edXML:Subject>",
                            b"<edXML:Sujet>x</edXML:Sujet><edXML:Subject>"))
    assert caught.value.rule_ids and all(r.startswith("EDX-") for r in caught.value.rule_ids)
    assert all(rule in str(caught.value) for rule in caught.value.rule_ids)


@pytest.fixture(scope="module")
def strict_gateway(registered_db, tmp_path_factory) -> Iterator[Gateway]:
    from soap.conftest import _launch, _shut

    running = _launch(registered_db, tmp_path_factory.mktemp("strict"),
                      ("--signature-policy", "require"))
    yield running
    _shut(running)


def test_unsigned_and_badly_signed_packages_raise_signature_errors(
    strict_gateway: Gateway, signer,
) -> None:
    package = document(G22, (H41,), code_number="610")
    with make_client(strict_gateway, G22) as client:
        with pytest.raises(gc.SignatureRequired):
            client.send(package)
        forged = _edited(signer.sign(package), "V/v kết nối".encode(),
                         "V/v ngắt kết nối".encode())
        with pytest.raises(gc.SignatureInvalid) as caught:
            client.send(forged)
        assert caught.value.rule_ids
    with make_client(strict_gateway, G22, signer=signer) as signing:
        assert signing.send(package).signature.state == "valid"


@pytest.fixture(scope="module")
def module_proxy(shared_gateway: Gateway) -> Iterator[Proxy]:
    with Proxy(shared_gateway.url).running() as running:
        yield running


@pytest.fixture
def proxy(module_proxy: Proxy) -> Proxy:
    """The module's proxy in front of the shared gateway, with nothing recorded yet."""
    module_proxy.requests.clear()
    module_proxy.canned.clear()
    return module_proxy


def test_an_internal_error_carries_its_correlation_id(proxy: Proxy,
                                                      shared_gateway: Gateway) -> None:
    fault = core_errors.InternalError("the gateway failed; report correlation id 1234abcd")
    fault.correlation_id = "1234abcd"  # as gateway.soap.faults sets it
    proxy.canned.append(Canned(500, fault_envelope(fault), "text/xml; charset=utf-8"))
    with make_client(shared_gateway, H41, url=proxy.url) as client:
        with pytest.raises(gc.InternalError) as caught:
            client.organizations()
        assert caught.value.correlation_id == "1234abcd"
        assert proxy.posts() == 1  # a fault is an answer: not retried
        assert client.organizations()


@pytest.mark.parametrize(("status", "expected"), [
    (401, gc.AuthenticationFailed), (403, gc.AuthenticationFailed), (413, gc.TooLarge),
    (404, gc.UnexpectedResponse), (200, gc.UnexpectedResponse),
])
def test_a_proxy_answer_that_is_not_soap_is_explained(proxy: Proxy, shared_gateway: Gateway,
                                                      status: int, expected) -> None:
    proxy.canned.append(Canned(status, b"<html><body>Access denied</body></html>", "text/html"))
    with make_client(shared_gateway, H41, url=proxy.url) as client, pytest.raises(expected):
        client.organizations()
    assert proxy.posts() == 1
