"""Lost connections are retried with back-off; answers (faults) never are."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from soap.conftest import Gateway, _shut, prepare_gateway
from soap.packages import G22, H41, document

from gateway.client import (
    AuthenticationFailed,
    GatewayClient,
    GatewayUnreachable,
    Receipt,
    RetryPolicy,
)

from .conftest import make_client
from .proxy import Canned, Proxy


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_back_off_grows_with_jitter_up_to_its_ceiling() -> None:
    policy = RetryPolicy(attempts=8, backoff=0.5, max_backoff=4.0)
    for attempt, ceiling in ((1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (7, 4.0)):
        delays = {policy.delay(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jitter: agents do not come back in step
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)


def test_a_client_started_before_the_gateway_gets_through_once_it_is_up(
    registered_db, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    port = _free_port()
    late = prepare_gateway(registered_db, tmp_path, options=("--port", str(port)))
    client = GatewayClient(f"http://127.0.0.1:{port}/soap", G22, late.secrets[G22],
                           retry=RetryPolicy(attempts=12, backoff=0.2, max_backoff=1.0))
    package = document(G22, (H41,))
    outcome: dict[str, object] = {}

    def send() -> None:
        try:
            outcome["receipt"] = client.send(package)
        except Exception as exc:  # reported by the assertion below
            outcome["error"] = exc

    sender = threading.Thread(target=send)
    started = time.monotonic()
    sender.start()
    time.sleep(1.0)  # the client is already retrying: connection refused
    late.start()
    try:
        sender.join(30)
        assert isinstance(outcome.get("receipt"), Receipt), outcome
        assert time.monotonic() - started >= 1.0
        assert any("connection" in r.getMessage().lower() or "refused" in r.getMessage()
                   for r in caplog.records if r.name == "gateway.client")
        with make_client(late, H41) as h41:
            assert [i.message_id for i in h41.pending()] == [outcome["receipt"].message_id]
    finally:
        client.close()
        _shut(late)


def test_a_gateway_that_stays_away_is_reported_after_the_last_attempt() -> None:
    policy = RetryPolicy(attempts=3, backoff=0.05)
    client = GatewayClient(f"http://127.0.0.1:{_free_port()}/soap", G22, "x", retry=policy)
    with client, pytest.raises(GatewayUnreachable) as caught:
        client.organizations()
    assert "after 3 attempts" in caught.value.message
    assert caught.value.code == "Transport.Unreachable"


def test_a_busy_proxy_is_retried(proxy: Proxy, gateway: Gateway) -> None:
    proxy.canned.extend([Canned(503), Canned(502, b"Bad Gateway")])
    with make_client(gateway, G22, url=proxy.url) as client:
        receipt = client.send(document(G22, (H41,)))
    assert proxy.posts() == 3 and not receipt.duplicate


def test_a_send_whose_answer_was_lost_is_a_duplicate_when_retried(
    proxy: Proxy, gateway: Gateway,
) -> None:
    """The first attempt reached the gateway; only its answer was lost (a 504 here)."""
    package = document(G22, (H41,))
    with make_client(gateway, G22) as direct:
        first = direct.send(package)
    proxy.canned.append(Canned(504))
    with make_client(gateway, G22, url=proxy.url) as client:
        again = client.send(package)
    assert again.duplicate and again.message_id == first.message_id
    with make_client(gateway, H41) as h41:
        assert len(h41.pending()) == 1


def test_an_authentication_error_is_never_retried(proxy: Proxy, gateway: Gateway) -> None:
    client = make_client(gateway, G22, url=proxy.url, secret="wrong",
                         retry=RetryPolicy(attempts=5, backoff=0.01))
    with client, pytest.raises(AuthenticationFailed):
        client.organizations()
    assert proxy.posts() == 1
