#!/usr/bin/env python3
"""Benchmark the edXML library: read, validate, sign and verify a 2 KB, 400 KB and 20 MB package.

    .venv/bin/python tools/bench_edxml.py                          # print the table
    .venv/bin/python tools/bench_edxml.py --write docs/performance.md

Why: the gateway reads, validates and verifies every package it carries, and real
documents run from a few KB to tens of MB of attachments; these numbers say what one
core can take and how much memory a large package needs. Times are the median of N
runs after one warm-up. Peak memory is the growth of the process's resident set (VmHWM
after resetting it, Linux) while one operation runs on the 20 MB package: it includes
libxml2's memory, which tracemalloc cannot see.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # throwaway test keys: tests/edxml/certs.py
sys.path.insert(0, str(REPO))  # tools.bench: the shared docs/performance.md helpers

from importlib.metadata import version  # noqa: E402

from edxml.certs import make_identity  # noqa: E402

from gateway import edxml  # noqa: E402
from tools.bench.document import describe_machine, write_section  # noqa: E402
from tools.bench.procs import status_kib  # noqa: E402

SECTION = "edXML library"
SIZES = {"2 KB": 2 * 1024, "400 KB": 400 * 1024, "20 MB": 20 * 1024 * 1024}
RUNS = {"2 KB": 100, "400 KB": 20, "20 MB": 9}
# Memory only: 100 MiB is the reader's default limit; 8 KiB less leaves room for the signature.
MEMORY_SIZES = {"20 MB": SIZES["20 MB"], "100 MB": 100 * 1024 * 1024 - 8 * 1024}
# verify-parsed: the gateway's case, the package is parsed (for validation) before verifying.
# intake: all the gateway does with a package (core/intake.py read_submission, then
# core/signatures.py): parse, validate, read and verify, on one ParsedXml.
# read/validate/verify-parsed: each step alone on a package parsed beforehand.
OPERATIONS = ("parse", "read", "validate", "sign", "verify", "read-parsed", "validate-parsed",
              "verify-parsed", "intake")
LABELS = {"read-parsed": "read, parsed", "validate-parsed": "validate, parsed",
          "verify-parsed": "verify, parsed"}
CERT_NAME = "Văn phòng Chính phủ (benchmark)"


def build_package(target: int) -> bytes:
    """A new document (H1's builders) whose one attachment brings it to about ``target`` bytes."""

    def document(data: bytes | None) -> bytes:
        files = [("van-ban.pdf", data, "application/pdf")] if data is not None else []
        return edxml.write(edxml.new_document(
            sender="000.00.00.G22", recipients=["000.00.00.H41"], code_number="7816",
            code_notation="VPCP-TTĐT", subject="V/v kết nối, liên thông phần mềm quản lý văn bản",
            promulgation_place="Hà Nội", signer_competence="TL. BỘ TRƯỞNG",
            signer_position="Cục trưởng", signer_name="Nguyễn Văn A", files=files,
        ))

    overhead = len(document(b""))
    if target <= overhead:
        return document(None)
    return document(random.Random(target).randbytes((target - overhead) * 3 // 4))


def probe_memory(name: str, unsigned: Path, signed: Path) -> None:
    """In a fresh process: print the resident-set growth (MiB) while one operation runs.

    A fresh process because memory freed by earlier runs stays in the allocator and
    would hide the growth; the inputs are loaded before the baseline is taken.
    """
    key_pem, cert_pem = make_identity(CERT_NAME)
    signed_bytes = signed.read_bytes()
    parsed = edxml.parse(signed_bytes) if name.endswith("-parsed") else None
    ops = operations(unsigned.read_bytes(), edxml.Signer(key_pem, cert_pem), edxml.Verifier(),
                     signed_bytes, parsed)
    op = ops[name]
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    except OSError:
        print("n/a")
        return
    if op is None:
        print("n/a")
        return
    before = status_kib(os.getpid(), "VmRSS")
    op()
    print(f"{(status_kib(os.getpid(), 'VmHWM') - before) / 1024:.0f}")


def peak_memory(package: bytes, signed: bytes) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        unsigned_path, signed_path = Path(tmp, "unsigned.edxml"), Path(tmp, "signed.edxml")
        unsigned_path.write_bytes(package)
        signed_path.write_bytes(signed)
        found = {}
        for name in OPERATIONS:
            probe = [sys.executable, __file__, "--probe", name,
                     str(unsigned_path), str(signed_path)]
            result = subprocess.run(probe, capture_output=True, text=True, check=True)
            value = result.stdout.strip()
            found[name] = "n/a" if value == "n/a" else \
                f"{value} MiB ({int(value) * 2**20 / len(package):.1f}x)"
        return found


def median_seconds(operation: Callable[[], object], runs: int) -> float:
    operation()  # warm-up: schemas, imports, caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        operation()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def operations(package: bytes, signer: edxml.Signer, verifier: edxml.Verifier,
               signed: bytes, parsed: edxml.ParsedXml | None,
               ) -> dict[str, Callable[[], object] | None]:
    # Nothing runs here: a memory probe must start from a process that has not yet
    # allocated (and freed) what the operation needs, or the growth it measures is too low.
    def intake() -> None:
        parsed = edxml.parse(signed)
        if edxml.validate(parsed):
            raise SystemExit("benchmark package does not validate")
        edxml.read(parsed)  # the gateway keeps what routing needs, not the model
        if verifier.verify(parsed).state != "valid":
            raise SystemExit("benchmark package does not verify")

    return {
        "parse": lambda: edxml.parse(package),
        "read": lambda: edxml.read(package),
        "validate": lambda: edxml.validate(edxml.parse(package)),
        "sign": lambda: signer.sign(package),
        "verify": lambda: verifier.verify(signed),
        "read-parsed": (lambda: edxml.read(parsed)) if parsed is not None else None,
        "validate-parsed": (lambda: edxml.validate(parsed)) if parsed is not None else None,
        "verify-parsed": (lambda: verifier.verify(parsed)) if parsed is not None else None,
        "intake": intake,
    }


def measure(runs_override: int | None) -> tuple[list[dict[str, object]],
                                                dict[str, dict[str, str]]]:
    key_pem, cert_pem = make_identity(CERT_NAME)
    signer, verifier = edxml.Signer(key_pem, cert_pem), edxml.Verifier()
    rows: list[dict[str, object]] = []
    for label, target in SIZES.items():
        package = build_package(target)
        signed = signer.sign(package)
        report = verifier.verify(signed)
        if report.state != "valid":
            raise SystemExit(f"benchmark package does not verify: {report.reason}")
        ops = operations(package, signer, verifier, signed, edxml.parse(signed))
        runs = runs_override or RUNS[label]
        row: dict[str, object] = {"label": label, "bytes": len(package), "runs": runs}
        for name in OPERATIONS:
            op = ops[name]
            row[name] = median_seconds(op, runs) if op is not None else None
        rows.append(row)
        print(f"measured {label}", file=sys.stderr)
    memory = {}
    for label, target in MEMORY_SIZES.items():
        package = build_package(target)
        memory[label] = peak_memory(package, signer.sign(package))
        print(f"measured the memory of {label}", file=sys.stderr)
    return rows, memory


def _cell(seconds: object, size: int) -> str:
    if not isinstance(seconds, float):
        return "n/a"
    return f"{seconds * 1000:.1f} ms ({size / seconds / 1e6:.0f} MB/s)"


def _machine() -> str:
    return describe_machine(f"lxml {version('lxml')}", f"signxml {version('signxml')}")


def _header() -> str:
    return " | ".join(LABELS.get(name, name) for name in OPERATIONS)


def section(rows: list[dict[str, object]], memory: dict[str, dict[str, str]], command: str,
            machine: str) -> str:
    lines = [
        f"## {SECTION}",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine}, with",
        f"`{command}`. Median of N runs after one warm-up; MB/s is package bytes (10^6) per",
        "second. parse = `edxml.parse`, read = `edxml.read` of the bytes, validate =",
        "`edxml.parse` + `edxml.validate`, sign = `Signer.sign` (RSA-2048, SHA-256, exclusive",
        "c14n), verify = `Verifier.verify` of the bytes (certificate from KeyInfo); read,",
        "validate and verify, parsed = the same of a package `edxml.parse` already read;",
        "intake = what the gateway does with a signed package (gateway/core/intake.py",
        "read_submission, then core/signatures.py): parse, validate, read and verify on one",
        "`ParsedXml`. Packages are built with `edxml.new_document` and one random attachment.",
        "",
        f"| package | bytes | runs | {_header()} |",
        "|---|---:|---:|" + "---:|" * len(OPERATIONS),
    ]
    for row in rows:
        size = int(row["bytes"])  # type: ignore[call-overload]
        cells = " | ".join(_cell(row[name], size) for name in OPERATIONS)
        lines.append(f"| {row['label']} | {size} | {row['runs']} | {cells} |")
    lines += ["", "Peak memory: growth of the resident set during one call, in a fresh process,",
              "with the package bytes already in memory (and, for the \"parsed\" columns, the",
              "parsed package too); in parentheses, per byte of package:",
              ""]
    lines += [f"| package | {_header()} |", "|---|" + "---:|" * len(OPERATIONS)]
    for label, found in memory.items():
        cells = " | ".join(found.get(name, "n/a") for name in OPERATIONS)
        lines.append(f"| {label} | {cells} |")
    lines += ["", *NOTES]
    return "\n".join(lines) + "\n"


NOTES = [
    "Where the time and memory go: a package with large attachments is not parsed whole.",
    "`edxml.parse` builds the tree from a skeleton of the package (each large attachment",
    "text replaced by a marker, a few KB; gateway/edxml/parse.py and reference.py say why",
    "it is the tree the full parse gives, line numbers included) and the library reads",
    "attachment texts from the package bytes: `read` gives `Attachment.encoded` as a",
    "`TextInPackage` (a str only when read; `Attachment.data` decodes from the bytes),",
    "`validate` checks base64 in 1 MiB slices and validates a copy of the small tree,",
    "`verify` hands signxml the skeleton and hashes the attachments in place. So parse is",
    "a scan of the bytes (no libxml2 pass over the base64), and the gateway's intake of a",
    "100 MB package grows by a few MiB: the server holds the package bytes and little",
    "else. `sign` still parses the package whole and makes two copies. The RSA operation",
    "is under 2 ms at every size. The machine is shared with other jobs: differences of",
    "a few tens of percent between runs are noise.",
    "",
    "Before the skeleton parse (the previous code with this benchmark, 2026-12-04, same",
    "machine, just before the run above): growth of parse 38 MiB (1.9x) on 20 MB and",
    "100 MiB (1.0x) on 100 MB (the tree held the base64), of read 40 MiB (2.0x) and",
    "200 MiB (2.0x), of read, parsed 20 MiB (1.0x) and 100 MiB (1.0x) (`encoded` as a str),",
    "of intake 41 MiB (2.0x) and 201 MiB (2.0x). Times (2 KB / 400 KB / 20 MB): parse",
    "0.0 / 3.4 / 181.4 ms (150 ms of it a DOCTYPE pattern backtracking through the",
    "package: it now runs only on packages containing \"<!DOCTYPE\"), intake 1.1 / 6.4 /",
    "257.8 ms. Before the memory work on verify and validate (same day): verify 501 MiB",
    "(5.0x) and validate 400 MiB (4.0x) on 100 MB.",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, help="runs per operation (default: 100/20/9 by size)")
    parser.add_argument("--write", type=Path, metavar="FILE",
                        help=f"replace the '{SECTION}' section of FILE (e.g. docs/performance.md)")
    parser.add_argument("--probe", nargs=3, metavar=("OPERATION", "UNSIGNED", "SIGNED"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        probe_memory(args.probe[0], Path(args.probe[1]), Path(args.probe[2]))
        return 0
    command = " ".join([".venv/bin/python", "tools/bench_edxml.py", *sys.argv[1:]])
    machine = _machine()  # before the benchmark itself loads the machine
    rows, memory = measure(args.runs)
    text = section(rows, memory, command, machine)
    print(text)
    if args.write:
        write_section(args.write, SECTION, text)
        print(f"wrote the '{SECTION}' section of {args.write}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
