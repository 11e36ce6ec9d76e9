"""Authentication and authorization: who may do what, and what the others learn (nothing)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from store.databases import table_rows

from gateway.core import Agencies, AuthenticationFailed, Exchange, InvalidRequest, NotFound
from gateway.store.db import Store

from .packages import G17, G22, H14, H41, document

UNKNOWN_ID = "0f0f0f0f-0000-4000-8000-000000000000"


def test_the_right_secret_authenticates(exchange: Exchange, secrets: dict[str, str]) -> None:
    assert exchange.authenticate(H41, secrets[H41]) == H41


def test_every_failed_sign_in_looks_the_same(
    exchange: Exchange, store: Store, secrets: dict[str, str]
) -> None:
    Agencies(store).disable(H14)
    attempts = [
        (H41, secrets[G22]),  # someone else's secret
        (H41, secrets[H41][:-1]),  # nearly right
        (H41, ""),
        (H41, None),
        ("000.00.00.H99", secrets[H41]),  # unknown agency
        (None, secrets[H41]),
        ("", ""),
        (H14, secrets[H14]),  # disabled, right secret
        (H41, secrets[H41].encode()),  # not text at all
    ]
    messages = set()
    for organ_id, secret in attempts:
        with pytest.raises(AuthenticationFailed) as caught:
            exchange.authenticate(organ_id, secret)
        messages.add((caught.value.code, caught.value.message))
    assert len(messages) == 1


def test_a_reset_secret_replaces_the_old_one(exchange: Exchange, store: Store,
                                             secrets: dict[str, str]) -> None:
    new = Agencies(store).reset_secret(H41)
    assert new != secrets[H41]
    assert exchange.authenticate(H41, new) == H41
    with pytest.raises(AuthenticationFailed):
        exchange.authenticate(H41, secrets[H41])


def test_secrets_are_long_random_and_stored_only_as_hashes(
    store: Store, secrets: dict[str, str], db_url: str
) -> None:
    assert len(set(secrets.values())) == len(secrets)
    for secret in secrets.values():
        assert re.fullmatch(r"[A-Za-z0-9_-]{32,}", secret)  # >= 192 bits, URL-safe
    store.dispose()  # checkpoint the WAL so the file holds everything
    if db_url.startswith("sqlite:///"):
        raw = Path(db_url.removeprefix("sqlite:///")).read_bytes()
    else:  # a server's files are not ours to read: every value of every row instead
        raw = repr(table_rows(db_url)).encode()
    for secret in secrets.values():
        assert secret.encode() not in raw


@pytest.mark.parametrize("organ_id, name, parent, message", [
    ("000.00.00.g22", "x", None, "not an agency identifier"),
    ("000.00.00.G22 ", "x", None, "not an agency identifier"),
    ("", "x", None, "empty"),
    ("0" * 36, "x", None, "not an agency identifier"),
    ("000.00.00.H77", "", None, "name"),
    ("000.00.00.H77", "x" * 201, None, "name"),
    ("000.00.00.H77", "x", "bad parent", "parent"),
])
def test_the_directory_refuses_bad_registrations(
    store: Store, organ_id: str, name: str, parent: str | None, message: str
) -> None:
    with pytest.raises(InvalidRequest, match=message):
        Agencies(store).add(organ_id, name, parent=parent)
    assert Agencies(store).list() == []


def test_registering_an_agency_twice_is_an_error_that_says_so(
    store: Store, secrets: dict[str, str]
) -> None:
    with pytest.raises(InvalidRequest, match="already registered"):
        Agencies(store).add(H41, "Another name")
    [h41] = [a for a in Agencies(store).list() if a.organ_id == H41]
    assert h41.name == "UBND tỉnh Nghệ An"


def test_a_certificate_must_be_pem(store: Store) -> None:
    with pytest.raises(InvalidRequest, match="PEM"):
        Agencies(store).add("000.00.00.H77", "x", cert_pem="not a certificate")


@pytest.mark.parametrize("action", ["disable", "enable", "reset_secret"])
def test_directory_actions_on_an_unknown_agency_are_not_found(store: Store, action: str) -> None:
    with pytest.raises(NotFound):
        getattr(Agencies(store), action)("000.00.00.H99")


def _without(message: str, *ids: str) -> str:
    for value in ids:
        message = message.replace(value, "ID")
    return message


@pytest.mark.parametrize("operation", ["get_document", "confirm_received"])
def test_another_agencys_message_is_indistinguishable_from_a_missing_one(
    exchange: Exchange, operation: str
) -> None:
    receipt = exchange.send_document(G22, document(G22, (H41,)))
    for stranger in (H14, G17, G22):  # the sender too: it does not read what it sent
        with pytest.raises(NotFound) as theirs:
            getattr(exchange, operation)(stranger, receipt.message_id)
        with pytest.raises(NotFound) as missing:
            getattr(exchange, operation)(stranger, UNKNOWN_ID)
        assert _without(theirs.value.message, receipt.message_id) == _without(
            missing.value.message, UNKNOWN_ID
        )
    # ... and nothing the strangers did touched the recipient's delivery.
    [trace] = exchange.traces(G22, receipt.document_id)
    assert (trace.state, trace.fetched_at) == ("pending", None)
    assert [i.message_id for i in exchange.pending_documents(H41)] == [receipt.message_id]


def test_an_agency_sees_only_its_own_pending_items(exchange: Exchange) -> None:
    exchange.send_document(G22, document(G22, (H41,)))
    assert exchange.pending_documents(H14) == []
    assert exchange.pending_documents(G22) == []
    assert len(exchange.pending_documents(H41)) == 1
