"""The signature policy (off, record, require) and agencies with a registered certificate."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from edxml.certs import make_identity

from gateway import edxml
from gateway.core import Agencies, Exchange, SignatureInvalid, SignatureRequired
from gateway.store.db import Store

from .packages import G22, H41, document, snapshot

H77 = "000.00.00.H77"


def signed(package: bytes, who: str = "Văn phòng Chính phủ") -> bytes:
    key_pem, cert_pem = make_identity(who)
    return edxml.Signer(key_pem, cert_pem).sign(package)


def tampered(package: bytes) -> bytes:
    """The signed package with its subject changed afterwards."""
    changed = package.replace("V/v kết nối".encode(), "V/v ngắt kết nối".encode(), 1)
    assert changed != package
    return changed


def test_off_does_not_look_at_signatures(make_exchange: Callable[..., Exchange]) -> None:
    exchange = make_exchange(signature_policy="off")
    receipt = exchange.send_document(G22, tampered(signed(document(G22, (H41,)))))
    assert receipt.signature.state == "absent"


def test_record_accepts_unsigned_packages(make_exchange: Callable[..., Exchange]) -> None:
    receipt = make_exchange(signature_policy="record").send_document(G22, document(G22, (H41,)))
    assert receipt.signature.state == "absent"


def test_record_reports_a_valid_signature_with_its_signer(
    make_exchange: Callable[..., Exchange],
) -> None:
    receipt = make_exchange().send_document(G22, signed(document(G22, (H41,))))
    assert receipt.signature.state == "valid"
    assert "Văn phòng Chính phủ" in (receipt.signature.signer_subject or "")


def test_record_accepts_and_records_an_invalid_signature(
    make_exchange: Callable[..., Exchange],
) -> None:
    exchange = make_exchange(signature_policy="record")
    package = tampered(signed(document(G22, (H41,))))
    receipt = exchange.send_document(G22, package)
    assert receipt.signature.state == "invalid" and receipt.signature.reason
    assert exchange.get_document(H41, receipt.message_id).package == package
    # The duplicate's receipt keeps the recorded state.
    assert exchange.send_document(G22, package).signature == receipt.signature


def test_require_refuses_unsigned_and_invalid_packages(
    make_exchange: Callable[..., Exchange], store: Store
) -> None:
    exchange = make_exchange(signature_policy="require")
    before = snapshot(store)
    with pytest.raises(SignatureRequired):
        exchange.send_document(G22, document(G22, (H41,)))
    with pytest.raises(SignatureInvalid) as caught:
        exchange.send_document(G22, tampered(signed(document(G22, (H41,)))))
    assert caught.value.rule_ids and caught.value.message
    assert snapshot(store) == before
    assert exchange.send_document(G22, signed(document(G22, (H41,)))).signature.state == "valid"


@pytest.mark.parametrize("policy", ["record", "require"])
def test_an_agency_with_a_registered_certificate_must_sign_with_it(
    make_exchange: Callable[..., Exchange], store: Store, policy: str
) -> None:
    key_pem, cert_pem = make_identity("UBND tỉnh H77")
    Agencies(store).add(H77, "UBND tỉnh H77", cert_pem=cert_pem)
    exchange = make_exchange(signature_policy=policy)
    before = snapshot(store)
    with pytest.raises(SignatureRequired, match="registered certificate"):
        exchange.send_document(H77, document(H77, (H41,)))
    with pytest.raises(SignatureInvalid):
        exchange.send_document(H77, signed(document(H77, (H41,)), who="Someone else"))
    assert snapshot(store) == before

    package = edxml.Signer(key_pem, cert_pem).sign(document(H77, (H41,)))
    assert exchange.send_document(H77, package).signature.state == "valid"


def test_off_ignores_a_registered_certificate(
    make_exchange: Callable[..., Exchange], store: Store
) -> None:
    _, cert_pem = make_identity("UBND tỉnh H77")
    Agencies(store).add(H77, "UBND tỉnh H77", cert_pem=cert_pem)
    receipt = make_exchange(signature_policy="off").send_document(H77, document(H77, (H41,)))
    assert receipt.signature.state == "absent"


def test_a_status_written_by_the_gateway_is_accepted_under_require(
    make_exchange: Callable[..., Exchange],
) -> None:
    """updateStatus carries typed fields, not a package: there is nothing for the caller to
    sign, and the caller was authenticated; the gateway's message is recorded as unsigned."""
    exchange = make_exchange(signature_policy="require")
    sent = exchange.send_document(G22, signed(document(G22, (H41,))))
    receipt = exchange.update_status(H41, sent.document_id, "01")
    assert receipt.signature.state == "absent"
