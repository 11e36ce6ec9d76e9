"""Two gateway nodes on one database, eight client processes racing (see ``exchange``).

Node A is `serve --workers 2` (gunicorn), node B a plain `serve`: three processes
serving, as several nodes behind a load balancer would, on PostgreSQL or on one SQLite
file (whose write lock they then queue on). 2,000 sendDocument calls: 150 exact resends
racing their original, 150 same-DocumentId conflicts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from soap.conftest import Gateway
from store.databases import Databases

from .exchange import build_workload, exchange_and_check, register_agencies

pytestmark = pytest.mark.stress

CALLS = 2_000
RESENDS = 150
CONFLICTS = 150  # half naming the same recipients, half adding one
CLIENT_PROCESSES = 8
DEADLINE = 270  # seconds for the exchange; with setup and checks the test stays under 5 minutes


@pytest.fixture
def hub(test_databases: Databases, tmp_path: Path) -> Iterator[tuple[list[Gateway], str]]:
    url = test_databases.create("stress")
    secrets = register_agencies(url)
    nodes = [Gateway(db_url=url, secrets=secrets, workdir=tmp_path / name, options=options)
             for name, options in (("node-a", ("--workers", "2", "--threads", "4")),
                                   ("node-b", ("--threads", "4")))]
    try:
        for node in nodes:
            node.workdir.mkdir()
            node.start()
        yield nodes, url
    finally:
        for node in nodes:
            if node.process is not None and node.process.poll() is None:
                node.stop()


def test_two_gateways_eight_clients_2000_packages(hub, tmp_path: Path) -> None:
    nodes, url = hub
    built = time.monotonic()
    workload = build_workload(CALLS, RESENDS, CONFLICTS)
    assert len(workload.sends) == CALLS
    ran = time.monotonic()
    report = exchange_and_check(workload, nodes, url, tmp_path, CLIENT_PROCESSES, DEADLINE)
    print(f"\nstress: built in {ran - built:.1f}s; {report} on 3 server processes")
