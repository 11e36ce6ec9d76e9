"""The "Gateway end to end" section of docs/performance.md, from one run's results.

Rerunning ``python -m tools.bench --write docs/performance.md`` replaces this section
and leaves the others (the edXML library's, written by tools/bench_edxml.py) alone.
The prose after the tables (what was changed, what it bought) lives in ``NOTES.md``
next to this file, so that regenerating the numbers keeps the history.
"""

from __future__ import annotations

import datetime as dt
from importlib.metadata import version
from pathlib import Path

from .document import describe_machine
from .document import write_section as write_document_section
from .load import Run
from .scenarios import Backend, Results

__all__ = ["SECTION", "machine", "section", "write_section"]

SECTION = "Gateway end to end"
NOTES = Path(__file__).with_name("NOTES.md")
TARGET_RATE = 400
TARGET_RATIO = 2.0
TARGET_MEMORY = 2.5
TARGET_PENDING_MS = 20
TARGET_SCALING = 1.6


def machine() -> str:
    return describe_machine(
        f"waitress {version('waitress')}", f"SQLAlchemy {version('SQLAlchemy')}",
        f"SQLite {_sqlite_version()}", f"PostgreSQL {_pg_version()}")


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def _pg_version() -> str:
    try:
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres",
                                      connect_timeout=5)
    except Exception:  # noqa: BLE001 - only a label
        return "n/a"
    try:
        return str(connection.server_version // 10000)
    finally:
        connection.close()


def _ms(seconds: float) -> str:
    if seconds < 0.001:
        return f"{seconds * 1000:.2f} ms"
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def _rate(run: Run) -> str:
    value = run.throughput
    return f"{value:.0f}" if value >= 10 else f"{value:.2f}"


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs"


def _sends_table(backend: Backend) -> list[str]:
    lines = [
        "| package | bytes | clients | sendDocument/s | p50 | p99 | 1 client: p50 | p99 |"
        " getDocument/s | p50 | p99 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in backend.sends:
        load, solo, fetch = row.load, row.solo, row.fetch
        lines.append(
            f"| {row.label} | {row.size} | {load.clients} | {_rate(load)} |"
            f" {_ms(load.percentile(50))} | {_ms(load.percentile(99))} |"
            f" {_ms(solo.percentile(50))} | {_ms(solo.percentile(99))} | {_rate(fetch)} |"
            f" {_ms(fetch.percentile(50))} | {_ms(fetch.percentile(99))} |")
    return lines


def _sqlite_workers(backend: Backend) -> list[str]:
    lines = []
    run = backend.workers.get(2)
    if run is not None:
        lines += [
            "`edxml-gateway serve --workers 2` on the same SQLite file (gunicorn, two processes"
            " of 4 threads; SQLite queues their writes):", "",
            "| package | clients | sendDocument/s | p50 | p99 | server CPU per package |",
            "|---|---:|---:|---:|---:|---:|",
            f"| 2 KB | {run.clients} | {_rate(run)} | {_ms(run.percentile(50))} |"
            f" {_ms(run.percentile(99))} | {_ms(run.server_cpu / run.count)} |", ""]
    if backend.commits:
        full, normal = backend.commits["FULL"], backend.commits["NORMAL"]
        lines += [
            f"Durability: one INSERT + COMMIT of a 2 KB package on SQLite (WAL) takes"
            f" {_ms(full)} with `synchronous=FULL` (what the gateway uses: a receipt survives"
            f" a power cut) and {_ms(normal)} with `NORMAL` (the last commits may be lost in a"
            " power cut). The gateway keeps FULL.", ""]
    return lines


def _floor_table(results: Results) -> list[str]:
    lines = [
        "| database | package | floor: parse + validate + read + verify + store |"
        " floor | end to end, wall (1/throughput) | server CPU | wall / floor |"
        " CPU / floor CPU |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for backend in results.backends:
        runs = [(row.label, row.floor, row.load) for row in backend.sends]
        floor_2kb = backend.floor_2kb or (backend.sends[0].floor if backend.sends else None)
        if floor_2kb is not None:
            runs += [(f"2 KB, --workers {n}", floor_2kb, run)
                     for n, run in backend.workers.items()]
        for label, floor, run in runs:
            steps = " + ".join(_ms(v) for v in floor.steps.values())
            wall = 1 / run.throughput
            cpu = run.server_cpu / run.count
            lines.append(
                f"| {backend.name} | {label} | {steps} | {_ms(floor.wall)} | {_ms(wall)} |"
                f" {_ms(cpu)} | {wall / floor.wall:.1f}x | {cpu / floor.cpu:.1f}x |")
    return lines


def _pending_table(results: Results) -> list[str]:
    lines = ["| database | deliveries stored | calls | p50 | p99 | max |",
             "|---|---:|---:|---:|---:|---:|"]
    for backend in results.backends:
        for total, run in backend.pending.items():
            lines.append(f"| {backend.name} | {total:,} | {run.count} |"
                         f" {_ms(run.percentile(50))} | {_ms(run.percentile(99))} |"
                         f" {_ms(max(run.latencies))} |")
    return lines


def _other_tables(results: Results) -> list[str]:
    lines: list[str] = []
    sqlite = results.backends[0]
    if sqlite.fanout is not None and sqlite.fanout_fetch is not None:
        out, fetch = sqlite.fanout, sqlite.fanout_fetch
        lines += [
            "Fan-out (SQLite): one client sends 2 KB packages each addressed to 60 agencies;"
            " then the 60 fetch one of them (6 clients):", "",
            "| packages | sendDocument/s | deliveries/s | p50 | p99 | 60 getDocument/s |"
            " p50 | p99 |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {out.count} | {_rate(out)} | {out.throughput * 60:.0f} |"
            f" {_ms(out.percentile(50))} | {_ms(out.percentile(99))} | {_rate(fetch)} |"
            f" {_ms(fetch.percentile(50))} | {_ms(fetch.percentile(99))} |", ""]
    memory = results.memory
    if memory is not None:
        size = memory.size / 2**20
        lines += [
            "Memory (SQLite, a fresh server warmed up with one 2 KB send and fetch): one"
            " client sends one package, then fetches it. Peak = the server process's VmHWM"
            " (kernel high-water mark of its resident set, reset after the warm-up and again"
            " between the send and the fetch):", "",
            "| package | idle RSS | peak accepting | peak serving | peak / package |"
            " (peak - idle) / package | sendDocument | getDocument |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {size:.1f} MiB | {memory.idle_kib / 1024:.0f} MiB |"
            f" {memory.send_peak_kib / 1024:.0f} MiB | {memory.get_peak_kib / 1024:.0f} MiB |"
            f" {memory.peak_kib / 1024 / size:.2f}x |"
            f" {(memory.peak_kib - memory.idle_kib) / 1024 / size:.2f}x |"
            f" {_ms(memory.send_seconds)} | {_ms(memory.get_seconds)} |", ""]
    pg = next((b for b in results.backends if b.name == "PostgreSQL" and b.workers), None)
    if pg is not None:
        clients = next(iter(pg.workers.values())).clients
        lines += [f"PostgreSQL ({pg.server}), 2 KB sendDocument, {clients} clients, by gateway"
                  " worker processes:", "",
                  "| workers | sendDocument/s | p50 | p99 | gateway CPU per package |"
                  " PostgreSQL CPU per package | clients' CPU per package | all, per second |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for count, run in pg.workers.items():
            total = (run.server_cpu + run.database_cpu + run.client_cpu) / run.wall
            lines.append(f"| {count} | {_rate(run)} | {_ms(run.percentile(50))} |"
                         f" {_ms(run.percentile(99))} | {_ms(run.server_cpu / run.count)} |"
                         f" {_ms(run.database_cpu / run.count)} |"
                         f" {_ms(run.client_cpu / run.count)} | {total:.2f} cores |")
        lines += ["", "PostgreSQL's CPU is that of all its processes on this machine during"
                  " the run (other jobs' queries included, if any).", ""]
    return lines


def _generator_table(results: Results) -> list[str]:
    """Client CPU per request against server CPU per request, and the null server."""
    lines = ["| run | requests | requests/s | client CPU per request | server CPU per request |"
             " client CPU / wall |", "|---|---:|---:|---:|---:|---:|"]
    runs: list[tuple[str, Run]] = []
    for backend in results.backends:
        runs += [(f"{backend.name} sendDocument {row.label}", row.load) for row in backend.sends]
        runs += [(f"{backend.name} --workers {n}", run) for n, run in backend.workers.items()]
    if results.null is not None:
        runs.append(("null server (answers at once), 2 KB bodies", results.null))
    for name, run in runs:
        lines.append(f"| {name} | {run.count} | {_rate(run)} | {_us(run.client_cpu / run.count)} |"
                     f" {_us(run.server_cpu / run.count) if run.server_cpu else '-'} |"
                     f" {run.client_cpu / run.wall:.2f} cores |")
    return lines


def _targets(results: Results) -> list[str]:
    lines = ["| target | measured | met |", "|---|---|---|"]
    sqlite = results.backends[0]
    two = next((row for row in sqlite.sends if row.label == "2 KB"), None)
    if two is not None:
        best = max([two.load, *sqlite.workers.values()], key=lambda run: run.throughput)
        rate = best.throughput
        shown = f"{two.load.throughput:.0f}/s one process" + "".join(
            f", {run.throughput:.0f}/s --workers {n}" for n, run in sqlite.workers.items())
        lines.append(f"| >= {TARGET_RATE} signed 2 KB packages/s on SQLite | {shown} |"
                     f" {'yes' if rate >= TARGET_RATE else 'no'} |")
        ratio = (best.server_cpu / best.count) / two.floor.cpu
        wall = (1 / rate) / two.floor.wall
        lines.append(f"| per-package cost <= {TARGET_RATIO:g}x the floor (2 KB, SQLite) |"
                     f" {ratio:.1f}x CPU, {wall:.1f}x wall |"
                     f" {'yes' if ratio <= TARGET_RATIO else 'no'} |")
    if results.memory is not None:
        memory = results.memory
        peak = memory.peak_kib * 1024 / memory.size
        growth = (memory.peak_kib - memory.idle_kib) * 1024 / memory.size
        lines.append(f"| peak memory <= {TARGET_MEMORY:g}x a {memory.size / 2**20:.0f} MiB"
                     f" package | {peak:.2f}x (growth over idle {growth:.2f}x) |"
                     f" {'yes' if peak <= TARGET_MEMORY else 'no'} |")
    pg = next((b for b in results.backends if b.name == "PostgreSQL"), None)
    if pg is not None and pg.pending:
        total = max(pg.pending)
        p99 = pg.pending[total].percentile(99) * 1000
        lines.append(f"| getPendingDocuments p99 < {TARGET_PENDING_MS} ms at {total:,}"
                     f" deliveries (PostgreSQL) | {p99:.1f} ms |"
                     f" {'yes' if p99 < TARGET_PENDING_MS else 'no'} |")
    if pg is not None and len(pg.workers) == 2:
        scale = pg.workers[2].throughput / pg.workers[1].throughput
        lines.append(f"| 2 workers >= {TARGET_SCALING:g}x 1 worker (PostgreSQL) |"
                     f" {scale:.2f}x | {'yes' if scale >= TARGET_SCALING else 'no'} |")
    return lines


def section(results: Results, command: str, about: str) -> str:
    plan = results.plan
    sqlite = results.backends[0]
    lines = [
        f"## {SECTION}",
        "",
        f"Measured {dt.date.today().isoformat()} on {about}, with `{command}`"
        f" ({results.seconds / 60:.1f} minutes).",
        "The gateway runs as users run it (`edxml-gateway serve`, on a fresh database per"
        " measurement); separate client processes send prebuilt raw SOAP requests over"
        " keep-alive HTTP connections. Every package is a different document signed with"
        " RSA-2048/SHA-256 by a sender whose certificate is registered, so each send is"
        " parsed, validated, verified, pinned and committed (SQLite: WAL,"
        " synchronous=FULL). Latency is from the first byte sent to the last byte read;"
        " p50/p99 under load include queueing, the 1-client columns do not.",
        "",
        f"### sendDocument and getDocument ({sqlite.name}, {sqlite.server})",
        "",
        *_sends_table(sqlite),
        "",
        *_sqlite_workers(sqlite),
        "### Cost per package against the floor",
        "",
        "Floor: in this process, the median per package of `edxml.parse`, `edxml.validate`,"
        " `edxml.read`, `Verifier.verify` (pinned certificate) and one INSERT + COMMIT of the"
        " bytes on the same database and durability. End to end: the wall time per package"
        " of the loaded run (1/throughput, server free to use both cores), and the server"
        " processes' CPU time per package (/proc).",
        "",
        *_floor_table(results),
        "",
        "### Pending list, fan-out, memory, workers",
        "",
        "getPendingDocuments (default limit 100, one client, calls in a row) as one of 60"
        " agencies; the deliveries table is bulk-loaded with SQL: each message to 10"
        " agencies, 1 delivery in 10 still waiting. PostgreSQL is ANALYZEd after loading.",
        "",
        *_pending_table(results),
        "",
        *_other_tables(results),
        "### Is the load generator the bottleneck?",
        "",
        f"No, when its CPU per request is far below the server's: the same clients against"
        f" a null server (it reads each request and answers a canned receipt) show what they"
        f" can send. {plan.clients.get('2 KB', 8)} clients on 2 cores:",
        "",
        *_generator_table(results),
        "",
        "### Targets",
        "",
        *_targets(results),
    ]
    if results.notes:
        lines += ["", *[f"Note: {note}." for note in results.notes]]
    if NOTES.exists():
        lines += ["", NOTES.read_text(encoding="utf-8").strip()]
    return "\n".join(lines) + "\n"


def write_section(path: Path, text: str) -> None:
    """Replace (or add) this section; the other sections belong to other tools."""
    write_document_section(path, SECTION, text)
