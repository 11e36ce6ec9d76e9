"""`edxml-gateway serve`: run the SOAP endpoint on waitress until SIGTERM or SIGINT.

One process with ``--threads`` threads by default (waitress); ``--workers N`` runs N
processes on gunicorn instead (``workers``), so that the CPU work of N requests (parsing,
validation, signature checks: Python, one core per process) runs in parallel. On
PostgreSQL the processes may be on several machines. On SQLite they must share one
machine and one database file: their writes queue on SQLite's lock (WAL, BEGIN
IMMEDIATE, a busy timeout: see ``gateway.store.db``), which each holds for well under a
millisecond of a send's several milliseconds, while reads never wait.

On start it prints the WSDL address (with the real port, so ``--port 0`` is usable by
scripts and tests: the line starts with ``WSDL: ``), then logs one line per request on
stderr. SIGTERM or SIGINT stops it (a second one at once). A request cut short by a stop
was stored completely or not at all, so a client that resends gets ``duplicate=true``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from types import FrameType

from sqlalchemy.exc import SQLAlchemyError

from gateway.core.settings import SIGNATURE_POLICIES, Settings
from gateway.store.migrate import DatabaseNotReady

from .db import add_db_option, open_store, shown_url

__all__ = ["register", "WSDL_LINE_PREFIX"]

WSDL_LINE_PREFIX = "WSDL: "


def register(commands: argparse._SubParsersAction) -> None:
    """Add this command to the CLI; the command function returns the exit status."""
    parser = commands.add_parser(
        "serve", help="run the SOAP 1.1 gateway (endpoint /soap, WSDL at /soap?wsdl)",
        description="Serve the DocumentExchange SOAP endpoint: one process on waitress, or"
        " --workers processes on gunicorn.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on"
                        " (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080,
                        help="port to listen on; 0 picks a free one (default: 8080)")
    add_db_option(parser)
    parser.add_argument("--signature-policy", choices=SIGNATURE_POLICIES,
                        help="off, record (default; $GATEWAY_SIGNATURE_POLICY) or require")
    parser.add_argument("--max-package-size", type=int, metavar="BYTES",
                        help="largest package accepted (default 100 MB;"
                        " $GATEWAY_MAX_PACKAGE_SIZE)")
    parser.add_argument("--threads", type=int, default=4,
                        help="requests served at once (per process; default: 4)")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="gateway processes sharing the database (gunicorn), about one"
                        " per CPU core (default: 1, one process on waitress). On SQLite all"
                        " of them write to one file: writes queue on its lock, the rest runs"
                        " in parallel; keep the file on a local disk, never on a network"
                        " filesystem")
    parser.set_defaults(func=run)


def _refusal(args: argparse.Namespace, settings: Settings) -> str | None:
    """Why these options cannot run, or None."""
    if args.workers < 1 or args.threads < 1:
        return "--workers and --threads must be at least 1"
    if args.workers > 1 and not _shareable(settings.db_url):
        # Only SQLite URLs get here: no password to hide, and shown_url would escape ':'.
        return (f"--workers {args.workers} needs a database the processes can share, and"
                f" {settings.db_url} is not one: an in-memory SQLite database"
                " (or a file: URI, which may name one) lives inside a single process. Give"
                " a SQLite file path (sqlite:///var/gateway.sqlite3) or PostgreSQL, or run"
                " one process (drop --workers)")
    return None


def _shareable(url: str) -> bool:
    """Whether several processes opening ``url`` reach the same database."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return True
    database = parsed.database or ""
    return database not in ("", ":memory:") and not database.startswith("file:")


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # waitress warns "Task queue depth is N" whenever clients outnumber threads: under load
    # that is nearly every request, drowning the one line per request an operator reads.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    try:
        settings = Settings.from_env(db_url=args.db, signature_policy=args.signature_policy,
                                     max_package_size=args.max_package_size)
        if refusal := _refusal(args, settings):
            raise ValueError(refusal)
        store = open_store(settings.db_url)
    except (ValueError, DatabaseNotReady, SQLAlchemyError) as exc:
        print(f"edxml-gateway serve: {exc}", file=sys.stderr)
        return 1
    if args.workers > 1:
        from .workers import serve_workers

        store.dispose()  # checked the schema; each worker opens its own after the fork
        return serve_workers(args, settings, WSDL_LINE_PREFIX)
    try:
        return _serve(args, settings, store)
    finally:
        store.dispose()


def _serve(args: argparse.Namespace, settings: Settings, store) -> int:
    from waitress.server import create_server

    from gateway.core import Exchange
    from gateway.soap.app import ENDPOINT, create_app
    from gateway.soap.request import request_size_cap

    app = create_app(settings, Exchange(settings, store=store))
    try:
        server = create_server(
            app, host=args.host, port=args.port, threads=args.threads, ident="edxml-gateway",
            # waitress buffers bodies to disk; past twice our cap it refuses them itself
            # (plain 413); between the cap and that, the app answers Client.TooLarge.
            max_request_body_size=2 * request_size_cap(settings.max_package_size),
        )
    except OSError as exc:
        print(f"edxml-gateway serve: cannot listen on {args.host}:{args.port}: {exc}",
              file=sys.stderr)
        return 1
    host = f"[{args.host}]" if ":" in args.host else args.host
    try:
        _stop_on_signals()  # before announcing the address: a stop may follow at once
        print(f"edxml-gateway: database {shown_url(settings.db_url)}, signature policy"
              f" {settings.signature_policy}, packages up to {settings.max_package_size} bytes")
        print(f"{WSDL_LINE_PREFIX}http://{host}:{server.effective_port}{ENDPOINT}?wsdl",
              flush=True)
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    print("edxml-gateway stopped", flush=True)
    return 0


def _stop_on_signals() -> None:
    """SIGTERM stops the server like Ctrl-C does: the main loop ends, then we close."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        # A second signal while running requests finish stops the process at once.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
