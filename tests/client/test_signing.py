"""A client with a signer signs every package it sends; the recipient can verify it."""

from __future__ import annotations

from pathlib import Path

from soap.conftest import Gateway
from soap.packages import G22, H41, document

from gateway import edxml

from .cli import run_client
from .conftest import ClientFactory, make_client


def test_every_kind_of_package_is_signed_before_it_is_sent(
    client_of: ClientFactory, signer: edxml.Signer, identity: tuple[bytes, bytes],
    tmp_path: Path,
) -> None:
    client = client_of(G22, signer=signer)
    path = tmp_path / "cv.edxml"
    path.write_bytes(document(G22, (H41,), code_number="1"))
    sources = (document(G22, (H41,), code_number="2"), path,
               edxml.read(document(G22, (H41,), code_number="3")))
    receipts = [client.send(source) for source in sources]
    assert {r.signature.state for r in receipts} == {"valid"}
    assert all("Văn phòng Chính phủ" in (r.signature.signer_subject or "") for r in receipts)

    h41 = client_of(H41)
    verifier = edxml.Verifier(expected_certs=[identity[1]])
    for item in h41.pending():
        fetched = h41.fetch(item.message_id)
        assert fetched.model.signature_xml is not None
        assert verifier.verify(fetched.package).state == "valid"


def test_a_signed_resend_is_still_a_duplicate(client_of: ClientFactory,
                                              signer: edxml.Signer) -> None:
    """Signing is deterministic, so a retry or a restarted agent resends identical bytes."""
    client = client_of(G22, signer=signer)
    package = document(G22, (H41,), code_number="4")
    first, again = client.send(package), client.send(package)
    assert again.duplicate and again.message_id == first.message_id


def test_the_agent_signs_with_the_key_from_its_config_file(
    gateway: Gateway, identity: tuple[bytes, bytes], tmp_path: Path,
) -> None:
    key_pem, cert_pem = identity
    (tmp_path / "key.pem").write_bytes(key_pem)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    config = tmp_path / "agent.toml"
    config.write_text('[gateway]\nsigning_key = "key.pem"\nsigning_cert = "cert.pem"\n')
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    (outbox / "cv.edxml").write_bytes(document(G22, (H41,), code_number="5"))

    done = run_client(gateway, G22, "sync", "--config", config, "--outbox", outbox,
                      "--inbox", tmp_path / "inbox", "--once", "--settle", "0")
    assert done.returncode == 0, done.stderr
    with make_client(gateway, H41) as h41:
        [item] = h41.pending()
        package = h41.fetch(item.message_id).package
    assert edxml.Verifier(expected_certs=[cert_pem]).verify(package).state == "valid"
