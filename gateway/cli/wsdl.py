"""`edxml-gateway export-wsdl [--check] [--output FILE] [--url URL]`: the published WSDL.

Without --check it writes the WSDL the server publishes to FILE (default: the committed
wsdl/gateway.wsdl). With --check it writes nothing and exits 1, printing a diff, when FILE
differs from what the server publishes; 0 when they are equal.

The server puts the address it was reached at into soap:address; the file holds a fixed
placeholder (http://localhost:8080/soap) instead, and comparisons ignore that one
attribute. With --url the published WSDL is fetched from a running server (loopback, a
``/soap?wsdl`` URL); without it, it is generated here by the same function the server uses.
"""

from __future__ import annotations

import argparse
import importlib.resources
import sys
import urllib.request
from pathlib import Path

__all__ = ["register", "default_output"]


def default_output() -> Path:
    """The committed WSDL: package data ``gateway/wsdl`` links to the repository's ``wsdl/``."""
    return Path(str(importlib.resources.files("gateway") / "wsdl" / "gateway.wsdl")).resolve()


def register(commands: argparse._SubParsersAction) -> None:
    """Add this command to the CLI; the command function returns the exit status."""
    parser = commands.add_parser(
        "export-wsdl", help="write the published WSDL to wsdl/gateway.wsdl, or --check it",
        description=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 with a diff if FILE differs from the"
                        " published WSDL")
    parser.add_argument("--output", type=Path, default=None, metavar="FILE",
                        help="the WSDL file (default: the committed wsdl/gateway.wsdl)")
    parser.add_argument("--url", metavar="URL",
                        help="compare with the WSDL a running server publishes, e.g."
                        " http://127.0.0.1:8080/soap?wsdl")
    parser.set_defaults(func=run)


def _published(url: str | None) -> bytes:
    from gateway.soap.wsdl import with_placeholder_address, wsdl_document

    if url is None:
        return wsdl_document()
    with urllib.request.urlopen(url, timeout=30) as response:
        return with_placeholder_address(response.read())


def run(args: argparse.Namespace) -> int:
    output = args.output or default_output()
    try:
        published = _published(args.url)
    except OSError as exc:
        print(f"edxml-gateway export-wsdl: cannot fetch {args.url}: {exc}", file=sys.stderr)
        return 2
    if args.check:
        return _check(output, published)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(published)
    print(f"wrote {output} ({len(published)} bytes)")
    return 0


def _check(path: Path, published: bytes) -> int:
    from gateway.soap.wsdl import wsdl_diff

    try:
        committed = path.read_bytes()
    except OSError as exc:
        print(f"edxml-gateway export-wsdl --check: cannot read {path}: {exc}", file=sys.stderr)
        return 1
    if committed == published:
        print(f"{path} is the published WSDL")
        return 0
    print(f"{path} differs from the published WSDL; run `edxml-gateway export-wsdl` and"
          " commit the result (first differences below)")
    print("\n".join(wsdl_diff(committed, published)))
    return 1
