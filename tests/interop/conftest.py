"""Fixtures for the interop suite: the real gateway of tests/soap, and each client built once.

Clients are generated from a gateway started for the session (its live ``/soap?wsdl``) and
compiled once per session in a temporary folder; each test then runs its client against a
fresh gateway of its own, so the flows of different stacks never meet.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from soap.conftest import Gateway, gateway, registered_db, shared_gateway  # noqa: F401
from soap.packages import G22, H41, document

from .builds import BUILDS

UNREGISTERED = "000.00.00.G99"
"""An agency the test gateways do not know: a package to it is refused."""


@dataclass(frozen=True)
class FlowFiles:
    """The packages a client program sends, as files (the program reads them itself)."""

    package: Path
    refused: Path


@dataclass(frozen=True)
class BuiltClient:
    """A client program ready to run, and what making it cost."""

    command: list[str]
    build_seconds: float


@pytest.fixture(scope="session")
def wsdl_gateway(registered_db, tmp_path_factory) -> Iterator[Gateway]:  # noqa: F811
    """The running gateway whose live WSDL every generator reads."""
    template, secrets = registered_db
    path = tmp_path_factory.mktemp("interop-wsdl") / "gateway.sqlite3"
    path.write_bytes(template.read_bytes())
    running = Gateway(db_path=path, secrets=dict(secrets))
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def flow_files(tmp_path_factory) -> FlowFiles:
    """A document from G22 to H41 with a binary attachment, and one to an unknown agency."""
    folder = tmp_path_factory.mktemp("interop-packages")
    attachment = bytes(range(256)) * 64
    package = folder / "document.edxml"
    package.write_bytes(document(G22, (H41,), code_number="2024",
                                 files=[("to-trinh.pdf", attachment)]))
    refused = folder / "refused.edxml"
    refused.write_bytes(document(G22, (H41, UNREGISTERED), code_number="2025"))
    return FlowFiles(package, refused)


@pytest.fixture(scope="session")
def build_client(wsdl_gateway, tmp_path_factory) -> Callable[[str], BuiltClient]:
    """``build_client(stack)``: that stack's client, generated and compiled on first use."""
    built: dict[str, BuiltClient] = {}

    def build(stack: str) -> BuiltClient:
        if stack not in built:
            started = time.monotonic()
            work = tmp_path_factory.mktemp(f"interop-{stack}")
            command = BUILDS[stack](wsdl_gateway.wsdl_url, work)
            built[stack] = BuiltClient(command, time.monotonic() - started)
        return built[stack]

    return build
