"""The ``edxml-gateway`` command line: one sub-command module per job."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import agency, check, client, db, serve, wsdl

__all__ = ["main"]

_COMMANDS = (check, serve, agency, db, wsdl, client)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edxml-gateway",
        description="edXML document exchange gateway: check packages, run the hub,"
        " manage agencies, exchange as an agency.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _COMMANDS:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; returns its exit status (2 for usage errors, as argparse does)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
