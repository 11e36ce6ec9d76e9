"""Client tests run against a real gateway (the SOAP tests' harness) over loopback HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from edxml.certs import make_identity
from soap.conftest import Gateway, gateway, registered_db, shared_gateway  # noqa: F401

from gateway import edxml
from gateway.client import GatewayClient, RetryPolicy

from .proxy import Proxy

FAST_RETRY = RetryPolicy(attempts=3, backoff=0.05, max_backoff=0.2)
"""Short waits, so a test of a failure does not idle for the default back-off."""

ClientFactory = Callable[..., GatewayClient]


def make_client(gw: Gateway, organ_id: str, *, url: str | None = None,
                secret: str | None = None, **options) -> GatewayClient:
    options.setdefault("retry", FAST_RETRY)
    return GatewayClient(url or gw.url, organ_id,
                         gw.secrets[organ_id] if secret is None else secret, **options)


@pytest.fixture
def client_of(gateway: Gateway) -> Iterator[ClientFactory]:  # noqa: F811
    """Clients of the fresh gateway, closed after the test."""
    made: list[GatewayClient] = []

    def factory(organ_id: str, **options) -> GatewayClient:
        made.append(make_client(gateway, organ_id, **options))
        return made[-1]

    yield factory
    for client in made:
        client.close()


@pytest.fixture
def proxy(gateway: Gateway) -> Iterator[Proxy]:  # noqa: F811
    """A recording proxy in front of the fresh gateway, with ?wsdl closed."""
    with Proxy(gateway.url).running() as running:
        yield running


@pytest.fixture(scope="session")
def identity() -> tuple[bytes, bytes]:
    """A throwaway key and self-signed certificate for Văn phòng Chính phủ (PEM)."""
    return make_identity("Văn phòng Chính phủ")


@pytest.fixture(scope="session")
def signer(identity: tuple[bytes, bytes]) -> edxml.Signer:
    return edxml.Signer(*identity)
