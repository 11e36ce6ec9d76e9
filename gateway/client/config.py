"""Where the command line's connection settings come from: flags, environment, a file.

The secret is never a command-line argument (every user of the machine can read those
in the process list): it comes from ``EDXML_GATEWAY_SECRET`` or from a config file. The
file is TOML (``.toml``) or INI (anything else), with one ``[gateway]`` section::

    [gateway]
    url = "https://gateway.example/soap"
    organ_id = "000.00.00.H41"
    secret = "..."
    # optional: timeout (seconds), ca_bundle (path), verify (true/false),
    # attempts and backoff (retries), signing_key and signing_cert (PEM paths,
    # relative to the file) to sign every package sent

A flag wins over the environment, which wins over the file.
"""

from __future__ import annotations

import configparser
import logging
import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway import edxml

from .client import GatewayClient
from .retry import RetryPolicy

__all__ = ["ClientConfig", "ConfigError", "SECRET_VARIABLE", "SECTION"]

SECRET_VARIABLE = "EDXML_GATEWAY_SECRET"
SECTION = "gateway"
_KEYS = frozenset({"url", "organ_id", "secret", "timeout", "ca_bundle", "verify", "attempts",
                   "backoff", "signing_key", "signing_cert"})
log = logging.getLogger("gateway.client")


class ConfigError(ValueError):
    """The settings are incomplete or wrong; the message says what to set where."""


@dataclass(frozen=True)
class ClientConfig:
    """Everything needed to build a ``GatewayClient``."""

    url: str
    organ_id: str
    secret: str
    timeout: float = 60.0
    verify: bool | str = True
    attempts: int = 5
    backoff: float = 0.5
    signing_key: Path | None = None
    signing_cert: Path | None = None

    def __repr__(self) -> str:  # never print the secret
        return f"ClientConfig(url={self.url!r}, organ_id={self.organ_id!r}, secret=***)"

    @classmethod
    def resolve(cls, *, config_path: str | os.PathLike | None = None, url: str | None = None,
                organ_id: str | None = None, environ: Mapping[str, str] = os.environ,
                **overrides: Any) -> ClientConfig:
        """Settings from flags (``url``, ``organ_id``, ``overrides``), environment, file."""
        values = _read_file(Path(config_path)) if config_path else {}
        if environ.get(SECRET_VARIABLE):
            values["secret"] = environ[SECRET_VARIABLE]
        values.update({k: v for k, v in {"url": url, "organ_id": organ_id, **overrides}.items()
                       if v is not None})
        missing = [name for name in ("url", "organ_id", "secret") if not values.get(name)]
        if missing:
            raise ConfigError(_missing_message(missing))
        return cls(**_typed(values))

    def signer(self) -> edxml.Signer | None:
        """The package signer, when a key and certificate are configured."""
        if self.signing_key is None and self.signing_cert is None:
            return None
        if self.signing_key is None or self.signing_cert is None:
            raise ConfigError("give both signing_key and signing_cert (PEM files), or neither")
        try:
            return edxml.Signer(self.signing_key.read_bytes(), self.signing_cert.read_bytes())
        except OSError as exc:
            raise ConfigError(f"cannot read the signing key or certificate: {exc}") from None
        except ValueError as exc:
            raise ConfigError(str(exc)) from None

    def client(self) -> GatewayClient:
        """A ``GatewayClient`` with these settings."""
        return GatewayClient(self.url, self.organ_id, self.secret, timeout=self.timeout,
                             verify=self.verify, signer=self.signer(),
                             retry=RetryPolicy(attempts=self.attempts, backoff=self.backoff))


def _missing_message(missing: list[str]) -> str:
    where = {
        "url": "--url or url in the config file",
        "organ_id": "--organ-id or organ_id in the config file",
        "secret": f"the {SECRET_VARIABLE} environment variable or secret in the config file"
                  " (never on the command line)",
    }
    return "missing " + "; ".join(f"{name}: set {where[name]}" for name in missing)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc.strerror}") from None
    section = _toml_section(path, text) if path.suffix == ".toml" else _ini_section(path, text)
    unknown = set(section) - _KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}; known:"
                          f" {', '.join(sorted(_KEYS))}")
    if "secret" in section:
        _warn_if_readable_by_others(path)
    for key in ("signing_key", "signing_cert", "ca_bundle"):
        if key in section:
            section[key] = str(path.parent / str(section[key]))
    return section


def _toml_section(path: Path, text: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    section = data.get(SECTION)
    if not isinstance(section, dict):
        raise ConfigError(f"{path} has no [{SECTION}] table")
    return dict(section)


def _ini_section(path: Path, text: str) -> dict[str, Any]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        raise ConfigError(f"{path} is not a valid INI file: {exc}") from None
    if not parser.has_section(SECTION):
        raise ConfigError(f"{path} has no [{SECTION}] section")
    return {key: value.strip().strip('"') for key, value in parser.items(SECTION)}


def _warn_if_readable_by_others(path: Path) -> None:
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s holds the secret but other users can read it; chmod 600 %s",
                    path, path)


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    """Settings as ``ClientConfig`` fields (INI gives every value as text)."""
    out: dict[str, Any] = {"url": str(values["url"]), "organ_id": str(values["organ_id"]),
                           "secret": str(values["secret"])}
    try:
        for key, kind in (("timeout", float), ("attempts", int), ("backoff", float)):
            if key in values:
                out[key] = kind(values[key])
    except ValueError as exc:
        raise ConfigError(f"{key} must be a number: {exc}") from None
    out["verify"] = _verify(values)
    for key in ("signing_key", "signing_cert"):
        if values.get(key):
            out[key] = Path(values[key])
    return out


def _verify(values: dict[str, Any]) -> bool | str:
    if values.get("ca_bundle"):
        return str(values["ca_bundle"])
    verify = values.get("verify", True)
    if isinstance(verify, str):
        if verify.lower() not in ("true", "false", "yes", "no", "1", "0"):
            raise ConfigError(f"verify must be true or false, not {verify!r}")
        return verify.lower() in ("true", "yes", "1")
    return bool(verify)
