"""The load generator: client processes sending prebuilt requests on keep-alive connections.

Each client process owns one ``http.client`` connection (opened before the clock starts)
and a list of requests already serialised to bytes, sends them one after another and
times each from the first byte sent to the last byte read. All clients start together
(an Event) so the run's wall time is the span from the first start to the last end.
Every response is checked (HTTP 200 and an expected fragment, e.g. ``duplicate>false``):
a fault counted as throughput would make the numbers worthless.

That the clients are not the bottleneck is measured, not assumed: each run reports the
clients' CPU time, and ``null_server`` answers any request with a canned receipt so that
the same clients can show how fast they go when the server costs nothing.
"""

from __future__ import annotations

import asyncio
import http.client
import re
import statistics
import time
from dataclasses import dataclass, field
from multiprocessing import get_context
from multiprocessing.process import BaseProcess

from . import procs

__all__ = ["Request", "Run", "drive", "NullServer"]

_CTX = get_context("fork")  # the children inherit the prebuilt requests without copying
TIMEOUT = 600


@dataclass(frozen=True)
class Request:
    authorization: str
    body: bytes
    expect: bytes  # a fragment every good response to this request contains


@dataclass
class Run:
    """One load run: per-request latencies (seconds) and what it cost each side."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    extracted: list[str] = field(default_factory=list)
    wall: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    server_cpu_each: list[float] = field(default_factory=list)  # by server process
    database_cpu: float = 0.0  # PostgreSQL's processes (all of them: the machine's server)
    clients: int = 0

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.count / self.wall if self.wall else 0.0

    def percentile(self, q: float) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(q) - 1]


def _client(address: tuple[str, int], requests: list[Request], extract: bytes | None,
            ready, go, results) -> None:  # type: ignore[no-untyped-def]
    connection = http.client.HTTPConnection(*address, timeout=TIMEOUT)
    connection.connect()
    pattern = re.compile(extract) if extract else None
    latencies, errors, extracted = [], [], []
    ready.release()
    go.wait()
    cpu, start = time.process_time(), time.monotonic()
    for request in requests:
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""',
                   "Authorization": request.authorization}
        sent = time.perf_counter()
        connection.request("POST", "/soap", request.body, headers)
        response = connection.getresponse()
        data = response.read()
        latencies.append(time.perf_counter() - sent)
        if response.status != 200 or request.expect not in data:
            errors.append(f"HTTP {response.status}: {data[:600]!r}")
        elif pattern is not None and (match := pattern.search(data)):
            extracted.append(match.group(1).decode())
    end, used = time.monotonic(), time.process_time()
    connection.close()
    results.put((latencies, errors, extracted, start, end, used - cpu))


def drive(address: tuple[str, int] | list[tuple[str, int]], lanes: list[list[Request]],
          server_pids: list[int], extract: bytes | None = None) -> Run:
    """Run one client process per lane; each sends its lane's requests in order.

    ``address`` may list several servers: lane n then talks to server n modulo their
    number. The CPU time of the database server's processes (PostgreSQL's backends, by
    name) is measured apart from the gateway's.
    """
    addresses = address if isinstance(address, list) else [address]
    ready, go, results = _CTX.Semaphore(0), _CTX.Event(), _CTX.Queue()
    clients: list[BaseProcess] = [
        _CTX.Process(target=_client, args=(addresses[n % len(addresses)], lane, extract, ready,
                                           go, results))
        for n, lane in enumerate(lane for lane in lanes if lane)
    ]
    for client in clients:
        client.start()
    for _ in clients:
        if not ready.acquire(timeout=60):
            raise RuntimeError("a client process could not connect to the gateway")
    before, before_db = procs.cpu_each(server_pids), procs.cpu_each(procs.named("postgres"))
    go.set()
    run, spans = Run(clients=len(clients)), []
    for _ in clients:
        latencies, errors, extracted, start, end, cpu = results.get(timeout=TIMEOUT)
        run.latencies += latencies
        run.errors += errors
        run.extracted += extracted
        run.client_cpu += cpu
        spans.append((start, end))
    after = procs.cpu_each(server_pids)
    run.server_cpu_each = [after[pid] - before.get(pid, 0.0) for pid in server_pids if pid in after]
    run.server_cpu = sum(run.server_cpu_each)
    run.database_cpu = sum(cpu - before_db.get(pid, 0.0)
                           for pid, cpu in procs.cpu_each(procs.named("postgres")).items())
    for client in clients:
        client.join(TIMEOUT)
    run.wall = max(end for _, end in spans) - min(start for start, _ in spans)
    return run


def split(requests: list[Request], lanes: int) -> list[list[Request]]:
    """Deal ``requests`` round-robin to ``lanes`` clients."""
    return [requests[n::lanes] for n in range(lanes)]


class NullServer:
    """An HTTP/1.1 keep-alive server that reads each request and answers a canned SOAP
    receipt at once: the cost of the load generator itself, with the same clients."""

    RESPONSE = (b'<?xml version="1.0" encoding="UTF-8"?><soap11env:Envelope xmlns:soap11env='
                b'"http://schemas.xmlsoap.org/soap/envelope/"><soap11env:Body><tns:receipt>'
                b"<tns:duplicate>false</tns:duplicate></tns:receipt></soap11env:Body>"
                b"</soap11env:Envelope>")

    def __init__(self) -> None:
        self.process: BaseProcess | None = None
        self.address = ("127.0.0.1", 0)

    def __enter__(self) -> NullServer:
        port = _CTX.Queue()
        self.process = _CTX.Process(target=_null_main, args=(port,), daemon=True)
        self.process.start()
        self.address = ("127.0.0.1", port.get(timeout=30))
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.join(30)


def _null_main(port) -> None:  # type: ignore[no-untyped-def]
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: "
            + str(len(NullServer.RESPONSE)).encode() + b"\r\n\r\n")

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                headers = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            length = re.search(rb"(?i)content-length:\s*(\d+)", headers)
            await reader.readexactly(int(length.group(1)) if length else 0)
            writer.write(head + NullServer.RESPONSE)
        writer.close()

    async def main() -> None:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())
