"""`edxml-gateway agency`: register agencies, list them, disable them, give new secrets.

A new secret is printed once, alone on the last line, so scripts can take it
with ``tail -n 1``; the gateway keeps only its hash.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .db import add_db_option, open_store

if TYPE_CHECKING:
    from gateway.core import Agencies

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    """Add this command to the CLI; the command function returns the exit status."""
    parser = commands.add_parser("agency", help="manage the agencies that may use the gateway")
    actions = parser.add_subparsers(dest="agency_command", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="register an agency and print its new secret")
    add.add_argument("organ_id", metavar="ORGANID", help="agency code, e.g. 000.00.00.G22")
    add.add_argument("--name", required=True, help="the agency's name (OrganName)")
    add.add_argument("--parent", metavar="ORGANID", help="the parent agency's code")
    add.add_argument("--cert", metavar="PEM", type=Path,
                     help="certificate file: the agency's packages must be signed with it")
    _action(add, _add)

    _action(actions.add_parser("list", help="list registered agencies"), _list)
    for name, func, text in (
        ("disable", _disable, "stop an agency from signing in and from receiving"),
        ("enable", _enable, "let a disabled agency sign in and receive again"),
        ("reset-secret", _reset_secret, "make a new secret (the old one stops working)"),
    ):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("organ_id", metavar="ORGANID")
        _action(sub, func)


def _action(parser: argparse.ArgumentParser, func: Callable[..., None]) -> None:
    add_db_option(parser)
    parser.set_defaults(func=lambda args: _run(args, func))


def _run(args: argparse.Namespace, func: Callable[[Agencies, argparse.Namespace], None]) -> int:
    """Run one action; every expected failure is one line on stderr and exit status 1."""
    # Imported here so that other commands do not pay for the database stack.
    from sqlalchemy.exc import SQLAlchemyError

    from gateway.core import Agencies, GatewayFault
    from gateway.store.migrate import DatabaseNotReady

    try:
        store = open_store(args.db)
    except (DatabaseNotReady, SQLAlchemyError) as exc:
        return _fail(args, str(exc))
    try:
        func(Agencies(store), args)
    except (GatewayFault, OSError, SQLAlchemyError) as exc:
        return _fail(args, str(exc))
    finally:
        store.dispose()
    return 0


def _fail(args: argparse.Namespace, message: str) -> int:
    print(f"edxml-gateway agency {args.agency_command}: {message}", file=sys.stderr)
    return 1


def _add(agencies: Agencies, args: argparse.Namespace) -> None:
    cert = args.cert.read_text(encoding="ascii") if args.cert else None
    secret = agencies.add(args.organ_id, args.name, parent=args.parent, cert_pem=cert)
    print(f"registered {args.organ_id} ({args.name})")
    _print_secret(secret)


def _list(agencies: Agencies, args: argparse.Namespace) -> None:
    rows = [("ORGANID", "STATE", "PARENT", "NAME")]
    rows += [
        (a.organ_id, "active" if a.active else "disabled", a.parent_organ_id or "-", a.name)
        for a in agencies.list()
    ]
    width = max(len(r[0]) for r in rows)
    for organ_id, state, parent, name in rows:
        print(f"{organ_id:<{width}}  {state:<8}  {parent:<{width}}  {name}")


def _disable(agencies: Agencies, args: argparse.Namespace) -> None:
    agencies.disable(args.organ_id)
    print(f"disabled {args.organ_id}: it can no longer sign in or receive documents")


def _enable(agencies: Agencies, args: argparse.Namespace) -> None:
    agencies.enable(args.organ_id)
    print(f"enabled {args.organ_id}")


def _reset_secret(agencies: Agencies, args: argparse.Namespace) -> None:
    secret = agencies.reset_secret(args.organ_id)
    print(f"new secret for {args.organ_id}; the old one no longer works")
    _print_secret(secret)


def _print_secret(secret: str) -> None:
    print("its secret follows, shown only this once (the gateway keeps only a hash):")
    print(secret)
