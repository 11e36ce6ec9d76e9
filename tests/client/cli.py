"""Running `edxml-gateway client ...` as an agency would: a real process, secret in the env."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from soap.conftest import Gateway, cli

SECRET_VARIABLE = "EDXML_GATEWAY_SECRET"


def client_env(secret: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != SECRET_VARIABLE}
    if secret is not None:
        env[SECRET_VARIABLE] = secret
    return env


def connection(gateway: Gateway, organ_id: str) -> list[str]:
    return ["--url", gateway.url, "--organ-id", organ_id, "--attempts", "2", "--backoff", "0.05"]


def run_client(gateway: Gateway, organ_id: str, action: str, *args: str | Path,
               secret: str | None = None, with_connection: bool = True,
               timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`edxml-gateway client ACTION ...` signed in as ``organ_id`` (secret from the env)."""
    secret = gateway.secrets.get(organ_id) if secret is None else secret
    options = connection(gateway, organ_id) if with_connection else []
    return subprocess.run([*cli(), "client", action, *options, *map(str, args)],
                          env=client_env(secret or None), capture_output=True, text=True,
                          timeout=timeout)


def start_sync(gateway: Gateway, organ_id: str, outbox: Path, inbox: Path,
               *args: str) -> subprocess.Popen[str]:
    """The drop-folder agent as a background process; its log lines come on stderr."""
    command = [*cli(), "client", "sync", *connection(gateway, organ_id), "--outbox", str(outbox),
               "--inbox", str(inbox), "--settle", "0", *args]
    return subprocess.Popen(command, env=client_env(gateway.secrets[organ_id]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
