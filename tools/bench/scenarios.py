"""What the benchmark measures, in the order it runs; each step returns plain numbers.

Every measurement gets its own gateway process on its own copy of a registered
database (SQLite file copy, PostgreSQL ``CREATE DATABASE ... TEMPLATE``), so no step
inherits another's rows or warmed-up memory.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import procs
from .floor import Floor, commit_times, measure_floor
from .gateway import Databases, Server, register, serve_supports
from .load import NullServer, Request, Run, drive, split
from .packages import (
    AGENCIES,
    FANOUT,
    RECIPIENT,
    SENDER,
    auth_header,
    build_packages,
    get_body,
    identity,
    pending_body,
    send_body,
)
from .seed import grow

__all__ = ["Plan", "FULL", "QUICK", "Results", "run_all"]

_MESSAGE_ID = rb"<(?:\w+:)?messageId>([^<]+)</"
_ACCEPTED = b"duplicate>false</"
_SIGNED = b"signatureState>valid</"


@dataclass(frozen=True)
class Plan:
    sizes: dict[str, int]
    solo: dict[str, int]  # requests sent by one client (latency without queueing)
    load: dict[str, int]  # requests sent by `clients` clients (throughput)
    clients: dict[str, int]
    fanout: int  # packages to 60 recipients
    sqlite_pending: tuple[int, ...]
    pg_pending: tuple[int, ...]
    pending_calls: int
    pg_load: int  # 2 KB packages per PostgreSQL throughput run
    big: int  # bytes of the memory-test package
    null_requests: int


FULL = Plan(
    sizes={"2 KB": 2 * 1024, "400 KB": 400 * 1024, "20 MB": 20 * 1024 * 1024},
    solo={"2 KB": 200, "400 KB": 40, "20 MB": 3},
    load={"2 KB": 3000, "400 KB": 240, "20 MB": 8},
    clients={"2 KB": 8, "400 KB": 4, "20 MB": 2},
    fanout=60, sqlite_pending=(10_000, 100_000), pg_pending=(10_000, 100_000, 1_000_000),
    pending_calls=300, pg_load=3000, big=100 * 1024 * 1024 - 64 * 1024, null_requests=4000,
)
QUICK = Plan(
    sizes={"2 KB": 2 * 1024, "20 KB": 20 * 1024},
    solo={"2 KB": 10, "20 KB": 5},
    load={"2 KB": 40, "20 KB": 10},
    clients={"2 KB": 4, "20 KB": 2},
    fanout=2, sqlite_pending=(1_000,), pg_pending=(1_000,), pending_calls=20, pg_load=40,
    big=1024 * 1024, null_requests=200,
)


@dataclass
class SendResult:
    label: str
    size: int
    solo: Run
    load: Run
    fetch: Run
    floor: Floor


@dataclass
class Memory:
    size: int
    idle_kib: int
    peak_kib: int
    send_seconds: float
    get_seconds: float
    send_peak_kib: int = 0  # while accepting it (sendDocument)
    get_peak_kib: int = 0  # while serving it (getDocument), peak reset in between


@dataclass
class Backend:
    """The results on one database."""

    name: str  # "SQLite" | "PostgreSQL"
    server: str  # how the gateway ran, in words
    sends: list[SendResult] = field(default_factory=list)
    fanout: Run | None = None
    fanout_fetch: Run | None = None
    pending: dict[int, Run] = field(default_factory=dict)
    workers: dict[int, Run] = field(default_factory=dict)  # 2 KB by serve --workers N (> 1 on
    # SQLite; 1 and 2 on PostgreSQL)
    commits: dict[str, float] = field(default_factory=dict)  # SQLite synchronous= -> seconds
    floor_2kb: Floor | None = None


@dataclass
class Results:
    plan: Plan
    backends: list[Backend] = field(default_factory=list)
    memory: Memory | None = None
    null: Run | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Bench:
    """One run: the databases, the secrets, the packages, and where logs go."""

    def __init__(self, plan: Plan, root: Path, pg_admin_url: str | None) -> None:
        self.plan = plan
        self.root = root
        self.databases = Databases(root, pg_admin_url)
        self.secrets: dict[str, str] = {}
        self.packages: dict[str, list[bytes]] = {}
        self.started = 0
        self.warm: list[bytes] = []

    def auth(self, organ_id: str) -> str:
        return auth_header(organ_id, self.secrets[organ_id])

    def template(self, backend: str) -> str:
        url = self.databases.create(backend, "template")
        self.secrets = register(url, AGENCIES, {SENDER: identity()[1]})
        return url

    @contextmanager
    def server(self, template: str, options: tuple[str, ...] = ()) -> Iterator[Server]:
        with self.servers_on_one_database(template, 1, options) as servers:
            yield servers[0]

    @contextmanager
    def servers_on_one_database(self, template: str, count: int,
                                options: tuple[str, ...] = ()) -> Iterator[list[Server]]:
        """``count`` gateways on one fresh copy of ``template``, each warmed up: one send,
        one fetch and one pending list (imports, schemas, pooled connections) before timing."""
        self.started += 1
        url = self.databases.copy(template, f"run{self.started}")
        with ExitStack() as stack:
            servers = [stack.enter_context(
                Server(url, self.root / f"server{self.started}-{n}.log", options))
                for n in range(count)]
            for server in servers:
                self._warm_up(server)
            yield servers

    def _warm_up(self, server: Server) -> None:
        if not self.warm:
            self.warm = build_packages(2 * 1024, 16, "warm-")
        address, pids = (server.host, server.port), server.pids()
        sent = checked(drive(address, [self.sends([self.warm.pop()])], pids, _MESSAGE_ID),
                       "warm-up send")
        checked(drive(address, [self.fetches(sent.extracted)], pids), "warm-up fetch")
        pending = Request(self.auth(RECIPIENT), pending_body(), b"messageId>")
        checked(drive(address, [[pending]], pids), "warm-up pending list")

    def sends(self, packages: list[bytes]) -> list[Request]:
        auth = self.auth(SENDER)
        return [Request(auth, send_body(p), _ACCEPTED) for p in packages]

    def fetches(self, message_ids: list[str], organ_id: str = RECIPIENT) -> list[Request]:
        auth = self.auth(organ_id)
        return [Request(auth, get_body(m), f">{m}</".encode()) for m in message_ids]


def checked(run: Run, what: str) -> Run:
    if run.errors:
        raise RuntimeError(f"{what}: {len(run.errors)} of {run.count} requests failed;"
                           f" first: {run.errors[0]}")
    return run


def _send_and_fetch(bench: Bench, server: Server, label: str) -> tuple[Run, Run, Run]:
    plan, address = bench.plan, (server.host, server.port)
    packages = bench.packages[label]
    solo_n = plan.solo[label]
    solo = checked(drive(address, [bench.sends(packages[:solo_n])], server.pids(),
                         _MESSAGE_ID), f"sendDocument {label}, 1 client")
    load = checked(drive(address, split(bench.sends(packages[solo_n:]), plan.clients[label]),
                         server.pids(), _MESSAGE_ID), f"sendDocument {label}")
    ids = solo.extracted + load.extracted
    if len(ids) != len(packages) or b"" in packages:
        raise RuntimeError(f"sendDocument {label}: {len(ids)} receipts for {len(packages)}")
    fetch = checked(drive(address, split(bench.fetches(ids), plan.clients[label]),
                          server.pids()), f"getDocument {label}")
    return solo, load, fetch


def sqlite_sends(bench: Bench, template: str, backend: Backend) -> None:
    floor_url = bench.databases.create("sqlite", "floor")
    cert = identity()[1]
    with bench.server(template) as server:
        for label, size in bench.plan.sizes.items():
            count = bench.plan.solo[label] + bench.plan.load[label]
            say(f"building {count} signed {label} packages")
            bench.packages[label] = build_packages(size, count, f"{label.replace(' ', '')}-")
            floor = measure_floor(bench.packages[label][:max(3, bench.plan.solo[label])],
                                  floor_url, cert)
            say(f"{label}: floor {floor.wall * 1000:.2f} ms; sending")
            solo, load, fetch = _send_and_fetch(bench, server, label)
            backend.sends.append(SendResult(label, size, solo, load, fetch, floor))
            if not backend.commits:
                backend.commits = commit_times(bench.databases.create("sqlite", "commits"),
                                               bench.packages[label][0])
            say(f"{label}: {load.throughput:.1f} packages/s, {fetch.throughput:.1f} fetches/s")
        fanout(bench, server, backend)


def sqlite_workers(bench: Bench, template: str, backend: Backend) -> None:
    """``serve --workers 2`` on SQLite: two processes (gunicorn) on one file, so that
    Python runs on both cores; SQLite queues their writes (WAL, BEGIN IMMEDIATE)."""
    label = "2 KB"
    packages = bench.packages[label][bench.plan.solo[label]:]
    say(f"SQLite, serve --workers 2: {len(packages)} {label} packages")
    with bench.server(template, ("--workers", "2")) as server:
        backend.workers[2] = checked(
            drive((server.host, server.port), split(bench.sends(packages),
                                                    bench.plan.clients[label]),
                  server.pids(), _MESSAGE_ID), "SQLite --workers 2")
    say(f"--workers 2: {backend.workers[2].throughput:.1f} packages/s")


def fanout(bench: Bench, server: Server, backend: Backend) -> None:
    say(f"fan-out: {bench.plan.fanout} packages to {len(FANOUT)} recipients")
    packages = build_packages(2 * 1024, bench.plan.fanout, "fanout-", FANOUT)
    address = (server.host, server.port)
    backend.fanout = run = checked(drive(address, [bench.sends(packages)], server.pids(),
                                         _MESSAGE_ID), "sendDocument to 60 recipients")
    first = run.extracted[0]
    requests = [r for organ_id in FANOUT for r in bench.fetches([first], organ_id)]
    backend.fanout_fetch = checked(drive(address, split(requests, 6), server.pids()),
                                   "getDocument by 60 recipients")


def pending(bench: Bench, template: str, totals: tuple[int, ...], backend: Backend,
            options: tuple[str, ...] = ()) -> None:
    caller = FANOUT[0]
    requests = [Request(bench.auth(caller), pending_body(), b"messageId>")] \
        * bench.plan.pending_calls
    with bench.server(template, options) as server:
        for total in totals:
            say(f"{backend.name}: seeding {total} deliveries")
            have = grow(server.db_url, total)
            run = checked(drive((server.host, server.port), [requests], server.pids()),
                          f"getPendingDocuments at {have} deliveries")
            backend.pending[have] = run
            say(f"{have} deliveries: p99 {run.percentile(99) * 1000:.1f} ms")


def memory(bench: Bench, template: str) -> Memory:
    size = bench.plan.big
    say(f"memory: building a signed {size / 2**20:.0f} MiB package")
    big = build_packages(size, 1, "big-")[0]
    with bench.server(template) as server:
        address, pids = (server.host, server.port), server.pids()
        idle = procs.rss_kib(pids)
        procs.reset_peak(pids)
        sent = checked(drive(address, [bench.sends([big])], pids, _MESSAGE_ID),
                       "sendDocument of the big package")
        send_peak = procs.peak_kib(pids)
        procs.reset_peak(pids)
        got = checked(drive(address, [bench.fetches(sent.extracted)], pids),
                      "getDocument of the big package")
        get_peak = procs.peak_kib(pids)
    peak = max(send_peak, get_peak)
    say(f"memory: idle {idle / 1024:.0f} MiB, peak {send_peak / 1024:.0f} MiB accepting,"
        f" {get_peak / 1024:.0f} MiB serving")
    return Memory(len(big), idle, peak, sent.latencies[0], got.latencies[0], send_peak,
                  get_peak)


def null_server(bench: Bench) -> Run:
    """The load generator against a server that costs nothing (2 KB sendDocument bodies)."""
    packages = bench.packages[next(iter(bench.plan.sizes))]
    bodies = bench.sends(packages)
    requests = [bodies[n % len(bodies)] for n in range(bench.plan.null_requests)]
    with NullServer() as null:
        return checked(drive(null.address, split(requests, bench.plan.clients["2 KB"]), []),
                       "null server")


def postgres(bench: Bench, results: Results) -> None:
    template = bench.template("postgresql")
    workers = serve_supports("--workers")
    counts = (1, 2) if workers else (1,)
    backend = Backend("PostgreSQL", "edxml-gateway serve --workers N" if workers else
                      "edxml-gateway serve (single process: this checkout has no --workers)")
    results.backends.append(backend)
    if not workers:
        results.notes.append("serve has no --workers in this checkout: PostgreSQL ran one"
                             " process")
    packages = bench.packages["2 KB"][:bench.plan.pg_load]
    backend.floor_2kb = measure_floor(packages[:bench.plan.solo["2 KB"]],
                                      bench.databases.create("postgresql", "floor"), identity()[1])
    for count in counts:
        options = ("--workers", str(count)) if workers else ()
        with bench.server(template, options) as server:
            say(f"PostgreSQL, {count} worker(s): sending {len(packages)} 2 KB packages")
            run = checked(drive((server.host, server.port),
                                split(bench.sends(packages), bench.plan.clients["2 KB"]),
                                server.pids(), _MESSAGE_ID), f"PostgreSQL --workers {count}")
            backend.workers[count] = run
            say(f"{count} worker(s): {run.throughput:.1f} packages/s")
    pending(bench, template, bench.plan.pg_pending, backend,
            ("--workers", "1") if workers else ())


def run_all(plan: Plan, root: Path, pg_admin_url: str | None) -> Results:
    started = time.monotonic()
    results = Results(plan)
    bench = Bench(plan, root, pg_admin_url)
    steps: list[tuple[str, Callable[[], None]]] = []
    try:
        template = bench.template("sqlite")
        sqlite = Backend("SQLite", "edxml-gateway serve (waitress, one process, 4 threads)")
        results.backends.append(sqlite)
        steps = [
            ("sends", lambda: sqlite_sends(bench, template, sqlite)),
            ("workers", lambda: sqlite_workers(bench, template, sqlite)),
            ("pending", lambda: pending(bench, template, plan.sqlite_pending, sqlite)),
            ("memory", lambda: setattr(results, "memory", memory(bench, template))),
            ("null", lambda: setattr(results, "null", null_server(bench))),
        ]
        if pg_admin_url:
            steps.append(("postgresql", lambda: postgres(bench, results)))
        for _name, step in steps:
            step()
    finally:
        bench.databases.close()
    results.seconds = time.monotonic() - started
    return results
