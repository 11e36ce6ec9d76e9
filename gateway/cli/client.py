"""`edxml-gateway client ...`: an agency's side of the exchange, from the command line.

Every command connects with ``--url`` and ``--organ-id`` (or a ``--config`` file) and the
secret from ``EDXML_GATEWAY_SECRET`` or the config file, never from the command line.
Exit status: 0 done, 1 something was refused or the gateway could not be reached,
2 wrong usage or settings.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

__all__ = ["register"]

log = logging.getLogger("gateway.client.sync")


def register(commands: argparse._SubParsersAction) -> None:
    """Add this command to the CLI; the command function returns the exit status."""
    parser = commands.add_parser(
        "client", help="send and receive packages as an agency (library: gateway.client)",
        description="Talk to a gateway as one agency. The secret comes from"
        " $EDXML_GATEWAY_SECRET or the --config file, never from the command line.",
        parents=[_connection_options()],
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    # The connection options work before or after the action; given after, they win.
    common = _connection_options(argument_default=argparse.SUPPRESS)
    for name, help_text, add_arguments, run in _ACTIONS:
        action = actions.add_parser(name, help=help_text, description=help_text,
                                    parents=[common])
        add_arguments(action)
        action.set_defaults(func=_runner(run))


def _connection_options(argument_default: object = None) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False, argument_default=argument_default)
    group = common.add_argument_group("connection")
    group.add_argument("--url", help="the gateway's SOAP endpoint, e.g. https://host/soap")
    group.add_argument("--organ-id", help="your agency's OrganId")
    group.add_argument("--config", metavar="FILE",
                       help="settings file (TOML if it ends in .toml, else INI) with a"
                       " [gateway] section: url, organ_id, secret, ...")
    group.add_argument("--timeout", type=float, help="seconds per request (default 60)")
    group.add_argument("--attempts", type=int,
                       help="tries per request when the connection fails (default 5)")
    group.add_argument("--backoff", type=float,
                       help="first wait before retrying, doubled each time (default 0.5 s)")
    return common


def _runner(run: Callable[[argparse.Namespace, Any], int]) -> Callable[[argparse.Namespace], int]:
    """Build the client from the options, run the action, turn errors into exit statuses."""

    def command(args: argparse.Namespace) -> int:
        from gateway.client import ClientConfig, ConfigError, GatewayError

        try:
            config = ClientConfig.resolve(
                config_path=args.config, url=args.url, organ_id=args.organ_id,
                timeout=args.timeout, attempts=args.attempts, backoff=args.backoff)
            with config.client() as client:
                return run(args, client)
        except ConfigError as exc:
            print(f"edxml-gateway client: {exc}", file=sys.stderr)
            return 2
        except GatewayError as exc:
            print(f"edxml-gateway client {args.action}: {exc}", file=sys.stderr)
            return 1

    return command


# -- send -------------------------------------------------------------------------------


def _send_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="FILE_OR_DIR",
                        help="packages to send; a directory sends its *.edxml files")


def _package_files(paths: Sequence[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir()
                                if p.is_file() and p.suffix.lower() == ".edxml"))
        else:
            files.append(path)
    return files


def _send(args: argparse.Namespace, client) -> int:
    from tqdm import tqdm

    from gateway.client import InternalError, UnexpectedResponse
    from gateway.client.folders import SendOutcome, send_file

    files = _package_files(args.paths)
    if not files:
        print("no .edxml files to send", file=sys.stderr)
        return 1
    counts = {"sent": 0, "duplicate": 0, "refused": 0}
    refused = []
    with tqdm(files, unit="file", file=sys.stderr, disable=None if len(files) > 1 else True,
              leave=False) as progress:
        for path in progress:
            try:
                outcome = send_file(client, path)
            except (InternalError, UnexpectedResponse) as error:  # this file; go on
                outcome = SendOutcome(path, error=error)
            counts[outcome.kind] += 1
            tqdm.write(_send_line(outcome), file=sys.stdout)
            if outcome.kind == "refused":
                refused.append(outcome)
    print(f"sent {counts['sent']}, duplicate {counts['duplicate']},"
          f" refused {counts['refused']}")
    for outcome in refused:
        print(f"refused {outcome.path}: {outcome.reason}")
    return 1 if refused else 0


def _send_line(outcome) -> str:
    receipt = outcome.receipt
    if receipt is None:
        return f"refused   {outcome.path}"
    recipients = ", ".join(receipt.recipients) or "-"
    return (f"{outcome.kind:<9} {outcome.path} -> {receipt.message_id} ({receipt.message_type},"
            f" to {recipients}, signature {receipt.signature.state})")


# -- inbox, traces, agencies: listings ----------------------------------------------------


def _format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help="table for people (default), json for scripts")


def _inbox_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--type", choices=("edoc", "status"), dest="message_type",
                        help="only documents (edoc) or only statuses")
    parser.add_argument("--limit", type=int, help="at most this many (default: the gateway's)")
    _format_option(parser)


def _inbox(args: argparse.Namespace, client) -> int:
    items = client.pending(args.message_type, args.limit)
    rows = [(i.message_id, i.message_type, i.from_organ_id, i.document_id,
             i.subject if i.message_type == "edoc" else f"status {i.status_code}",
             _time(i.received_at), str(i.size)) for i in items]
    headers = ("MESSAGE ID", "TYPE", "FROM", "DOCUMENT ID", "SUBJECT / STATUS", "RECEIVED",
               "SIZE")
    return _show(args, items, headers, rows, "nothing pending")


def _traces_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("document_id", metavar="DOCUMENT_ID")
    _format_option(parser)


def _traces(args: argparse.Namespace, client) -> int:
    traces = client.traces(args.document_id)
    rows = [(t.recipient, t.state, _time(t.delivered_at), _time(t.fetched_at),
             _time(t.confirmed_at), _statuses(t.statuses)) for t in traces]
    headers = ("RECIPIENT", "STATE", "DELIVERED", "FETCHED", "CONFIRMED", "STATUSES")
    return _show(args, traces, headers, rows, "no recipients")


def _statuses(events) -> str:
    return "; ".join(f"{e.status_code}" + (f" {e.description}" if e.description else "")
                     for e in events) or "-"


def _agencies(args: argparse.Namespace, client) -> int:
    agencies = client.organizations()
    rows = [(a.organ_id, a.name, a.parent_organ_id or "-", "yes" if a.active else "no")
            for a in agencies]
    return _show(args, agencies, ("ORGANID", "NAME", "PARENT", "ACTIVE"), rows,
                 "no agencies")


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value is not None else "-"


def _show(args: argparse.Namespace, values: list, headers: Sequence[str],
          rows: list[Sequence[str]], empty: str) -> int:
    if args.format == "json":
        print(json.dumps([asdict(value) for value in values], ensure_ascii=False, indent=2,
                         default=lambda v: v.isoformat().replace("+00:00", "Z")))
    elif not rows:
        print(empty)
    else:
        print(_table(headers, rows))
    return 0


def _table(headers: Sequence[str], rows: list[Sequence[str]]) -> str:
    cells = [list(headers), *([str(c) if c is not None else "-" for c in r] for r in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                     for row in cells)


# -- fetch, status -------------------------------------------------------------------------


def _fetch_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="folder to write packages to, as <messageId>.<type>.edxml")
    parser.add_argument("--confirm", action="store_true",
                        help="confirm each message once its file is safely written")
    parser.add_argument("--type", choices=("edoc", "status"), dest="message_type")


def _fetch(args: argparse.Namespace, client) -> int:
    from gateway.client import Inbox
    from gateway.client.sync import PAGE

    inbox = Inbox(args.out)
    inbox.prepare()
    total = 0
    while True:  # with --confirm each page leaves the list, so the next one is new
        items = client.pending(args.message_type, PAGE)
        for item in items:
            outcome = inbox.receive(client, item, confirm=args.confirm)
            verb = "wrote" if outcome.state == "written" else "already there:"
            print(f"{verb} {outcome.path}" + ("; confirmed" if outcome.confirmed else ""))
        total += len(items)
        if not args.confirm or len(items) < PAGE:
            break
    print(f"{total} message(s)" + (", confirmed" if args.confirm else
                                     ", still pending until confirmed"))
    return 0


def _status_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("document_id", metavar="DOCUMENT_ID")
    parser.add_argument("code", metavar="CODE", help="01-06, 13, 15 or 16")
    parser.add_argument("--description", help="what happened, in words")
    for part in ("department", "name", "email", "mobile"):
        parser.add_argument(f"--staff-{part}", help=f"the handling clerk's {part}")


def _status(args: argparse.Namespace, client) -> int:
    staff = {part: getattr(args, f"staff_{part}")
             for part in ("department", "name", "email", "mobile")}
    receipt = client.update_status(args.document_id, args.code, description=args.description,
                                   staff=staff if any(staff.values()) else None)
    print(f"status {args.code} on {receipt.document_id} sent as message {receipt.message_id}"
          f" to {', '.join(receipt.recipients)}")
    return 0


# -- sync ------------------------------------------------------------------------------------


def _sync_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--outbox", required=True, metavar="DIR",
                        help="files put here are sent, then moved to sent/ or failed/")
    parser.add_argument("--inbox", required=True, metavar="DIR",
                        help="pending messages are written here, then confirmed")
    parser.add_argument("--interval", type=float, default=30.0, metavar="SECONDS",
                        help="pause between cycles (default 30)")
    parser.add_argument("--settle", type=float, default=2.0, metavar="SECONDS",
                        help="send a file only once it is this old, so half-written files"
                        " wait (default 2)")
    parser.add_argument("--once", action="store_true", help="one cycle, then exit")


def _sync(args: argparse.Namespace, client) -> int:
    from gateway.client import Inbox, Outbox, SyncAgent
    from gateway.client.sync import stoppable_sleep

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    client.retry = replace(client.retry, sleep=stoppable_sleep(stop))
    agent = SyncAgent(client, Outbox(args.outbox, settle=args.settle), Inbox(args.inbox), stop)
    _stop_on_signals(stop)
    if args.once:
        report = agent.run_once()
        log.info("cycle done: sent %d, duplicate %d, refused %d, kept %d, received %d",
                 report.sent, report.duplicate, report.failed, report.kept, report.received)
        return 0 if report.ok else 1
    agent.run(args.interval)
    return 0


def _stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and Ctrl-C end the agent between two actions; nothing is cut in half."""

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        if not stop.is_set():
            log.info("stopping (%s)", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    _format_option(parser)


_ACTIONS = (
    ("send", "send .edxml packages (files or folders of them)", _send_arguments, _send),
    ("inbox", "list what is pending for your agency", _inbox_arguments, _inbox),
    ("fetch", "write pending packages to a folder (and confirm them)", _fetch_arguments,
     _fetch),
    ("status", "report a status on a document you received", _status_arguments, _status),
    ("traces", "delivery and statuses of a document you sent", _traces_arguments, _traces),
    ("agencies", "the gateway's directory of agencies", _no_arguments, _agencies),
    ("sync", "drop-folder agent: send an outbox, fill an inbox", _sync_arguments, _sync),
)
