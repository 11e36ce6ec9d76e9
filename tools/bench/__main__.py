"""``python -m tools.bench``: run the end-to-end benchmark, print (and write) its section."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from .report import machine, section, write_section
from .scenarios import FULL, QUICK, run_all, say

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench",
        description="Benchmark the gateway end to end (HTTP, real server) against the floor.")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes and counts: proves the benchmark runs (seconds)")
    parser.add_argument("--write", type=Path, metavar="FILE",
                        help="replace the gateway section of FILE (docs/performance.md)")
    parser.add_argument("--pg-url", default=DEFAULT_PG, metavar="URL",
                        help="PostgreSQL administrator connection used to create and drop the"
                        f" benchmark's own databases (default {DEFAULT_PG})")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="work in DIR and keep it (server logs, SQLite files)")
    args = parser.parse_args(argv)
    command = " ".join([".venv/bin/python -m tools.bench", *(argv or sys.argv[1:])])
    about = machine()  # before the benchmark loads the machine
    plan = QUICK if args.quick else FULL
    pg_url = None if args.no_pg else args.pg_url
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        results = run_all(plan, args.keep, pg_url)
    else:
        with tempfile.TemporaryDirectory(prefix="edxml-bench-") as tmp:
            results = run_all(plan, Path(tmp), pg_url)
    text = section(results, command, about)
    print(text)
    if args.write:
        write_section(args.write, text)
        say(f"wrote the gateway section of {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
