"""`edxml-gateway serve --workers N`: N gateway processes (gunicorn) on one PostgreSQL database.

The master process binds the address and prints the same lines as the one-process
server (``WSDL: `` with the real port, so ``--port 0`` works); each worker process
opens its own engine and connection pool after the fork (connections must never be
shared between processes) and serves ``--threads`` requests at once. SIGTERM stops
gracefully: workers finish their requests, then the master prints that it stopped.

Only for databases that take writers from several processes at once: SQLite would
make the workers queue on its single write lock, so ``serve`` refuses it.
"""

from __future__ import annotations

import argparse
from typing import Any

from gunicorn.app.base import BaseApplication

from gateway.core.settings import Settings

from .db import open_store, shown_url

__all__ = ["serve_workers", "GRACEFUL_STOP_SECONDS"]

GRACEFUL_STOP_SECONDS = 30
"""How long a stopping worker may finish its requests (a 100 MB upload on a slow line)."""


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


def serve_workers(args: argparse.Namespace, settings: Settings, wsdl_prefix: str) -> int:
    """Run the master until SIGTERM or SIGINT; the exit status."""
    try:
        _GatewayProcesses(args, settings, wsdl_prefix).run()
    except SystemExit as stop:  # gunicorn's master ends with sys.exit
        return stop.code if isinstance(stop.code, int) else 1
    return 0
