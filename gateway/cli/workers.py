"""`edxml-gateway serve --workers N`: N gateway processes (gunicorn) on one database.

The master process binds the address and prints the same lines as the one-process
server (``WSDL: `` with the real port, so ``--port 0`` works); each worker process
opens its own engine and connection pool after the fork (connections must never be
shared between processes: the master's own check of the schema is closed before
gunicorn forks) and serves ``--threads`` requests at once. SIGTERM stops gracefully:
workers finish their requests, then the master prints that it stopped.

On PostgreSQL the workers write at once; on SQLite they share one file on one machine
and their writes queue on its lock (``serve`` refuses a database that lives inside one
process, such as ``:memory:``). Either way the CPU work runs in parallel.

All workers accept on the master's one listening socket: a new connection goes to the
worker that accepts it first, usually one with time to spare, and stays there while the
client keeps it alive (see ``_rebalance``). Per-worker SO_REUSEPORT sockets were tried
and spread no better (the kernel hashes connections to workers whether busy or not).
"""

from __future__ import annotations

import argparse
import random
from typing import Any

from gunicorn.app.base import BaseApplication

from gateway.core.settings import Settings

from .db import open_store, shown_url

__all__ = ["serve_workers", "GRACEFUL_STOP_SECONDS"]

GRACEFUL_STOP_SECONDS = 30
"""How long a stopping worker may finish its requests (a 100 MB upload on a slow line)."""
REBALANCE_ONE_IN = 20
"""A kept-alive connection is closed after about one response in this many."""


class _GatewayProcesses(BaseApplication):
    def __init__(self, args: argparse.Namespace, settings: Settings, wsdl_prefix: str) -> None:
        self.args = args
        self.settings = settings
        self.wsdl_prefix = wsdl_prefix
        super().__init__()

    def load_config(self) -> None:
        host = f"[{self.args.host}]" if ":" in self.args.host else self.args.host
        options: dict[str, Any] = {
            "bind": [f"{host}:{self.args.port}"],
            "workers": self.args.workers,
            "worker_class": "gthread",
            "threads": self.args.threads,
            "proc_name": "edxml-gateway",
            "graceful_timeout": GRACEFUL_STOP_SECONDS,
            "accesslog": None,  # the app logs every request itself, with caller and fault
            "when_ready": self._announce,
            "pre_request": _rebalance,
            "on_exit": lambda _arbiter: print("edxml-gateway stopped", flush=True),
            "control_socket_disable": True,  # gunicorn >= 24: no admin socket in the cwd
        }
        for name, value in options.items():
            if name in self.cfg.settings:
                self.cfg.set(name, value)

    def _announce(self, arbiter: Any) -> None:
        from gateway.soap.app import ENDPOINT

        address = arbiter.LISTENERS[0].sock.getsockname()
        host = f"[{address[0]}]" if ":" in address[0] else address[0]
        print(f"edxml-gateway: database {shown_url(self.settings.db_url)}, signature policy"
              f" {self.settings.signature_policy}, packages up to"
              f" {self.settings.max_package_size} bytes, {self.args.workers} worker processes")
        print(f"{self.wsdl_prefix}http://{host}:{address[1]}{ENDPOINT}?wsdl", flush=True)

    def load(self) -> Any:
        """In each worker, after the fork: its own store (engine, pool) and application."""
        from gateway.core import Exchange
        from gateway.soap.app import create_app

        store = open_store(self.settings.db_url)
        return create_app(self.settings, Exchange(self.settings, store=store))


def _rebalance(_worker: Any, request: Any) -> None:
    """Now and then, answer with ``Connection: close`` so that the client reconnects.

    gunicorn serves a kept-alive connection in the worker that accepted it, for as long
    as the client keeps it: a few busy clients can all sit in one worker while another
    idles (8 keep-alive clients sending 2 KB packages: in one run of 20, all 8
    connections in one worker; on average the busier worker did 64% of the work). A
    client told to close opens a new connection, which goes to a worker with time to
    accept it; with one response in ``REBALANCE_ONE_IN`` closed, the busier worker did
    51-53% in every run, for one extra TCP handshake per 20 requests.
    """
    if random.randrange(REBALANCE_ONE_IN) == 0:
        request.force_close()


def serve_workers(args: argparse.Namespace, settings: Settings, wsdl_prefix: str) -> int:
    """Run the master until SIGTERM or SIGINT; the exit status."""
    try:
        _GatewayProcesses(args, settings, wsdl_prefix).run()
    except SystemExit as stop:  # gunicorn's master ends with sys.exit
        return stop.code if isinstance(stop.code, int) else 1
    return 0
