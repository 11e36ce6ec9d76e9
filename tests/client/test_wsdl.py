"""The client runs on the WSDL it ships: equal to the served one, never downloaded."""

from __future__ import annotations

from pathlib import Path

import requests
from soap.conftest import Gateway
from soap.packages import G22, H41, document

from gateway.client import GatewayClient, shipped_wsdl
from gateway.soap.wsdl import with_placeholder_address

from .conftest import make_client
from .proxy import Proxy

REPO = Path(__file__).resolve().parents[2]


def test_the_shipped_wsdl_is_the_committed_file() -> None:
    assert shipped_wsdl() == (REPO / "wsdl" / "gateway.wsdl").read_bytes()


def test_the_shipped_wsdl_equals_the_one_the_gateway_serves(gateway: Gateway) -> None:
    served = requests.get(gateway.wsdl_url, timeout=30)
    assert served.status_code == 200
    assert f'location="{gateway.url}"'.encode() in served.content
    assert with_placeholder_address(served.content) == shipped_wsdl()


def test_the_client_never_asks_for_the_wsdl_and_works_where_it_is_closed(
    proxy: Proxy, gateway: Gateway,
) -> None:
    assert requests.get(proxy.url + "?wsdl", timeout=30).status_code == 404
    proxy.requests.clear()
    with make_client(gateway, G22, url=proxy.url) as g22, \
            make_client(gateway, H41, url=proxy.url) as h41:
        package = document(G22, (H41,))
        receipt = g22.send(package)
        [item] = h41.pending()
        assert h41.fetch(item.message_id).package == package
        h41.confirm(item.message_id)
        h41.update_status(receipt.document_id, "03")
        assert [t.recipient for t in g22.traces(receipt.document_id)] == [H41]
        assert g22.organizations()
    assert proxy.requests == [("POST", "/soap")] * 7
    assert "GET" not in gateway.log()  # the gateway logs each request: no WSDL fetch either


def test_starting_a_client_needs_no_gateway_at_all() -> None:
    client = GatewayClient("http://127.0.0.1:9/soap", G22, "secret")
    assert client.url == "http://127.0.0.1:9/soap"
    client.close()
