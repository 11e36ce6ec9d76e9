"""Gateway settings: one object, read once, passed down."""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["Settings", "SIGNATURE_POLICIES", "DEFAULT_DB_URL"]

SIGNATURE_POLICIES = ("off", "record", "require")
DEFAULT_DB_URL = "sqlite:///var/gateway.sqlite3"


@dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_DB_URL
    signature_policy: str = "record"
    max_package_size: int = 100 * 1024 * 1024
    allow_sha1: bool = True
    """Accept legacy RSA-SHA1 signatures (real agencies' CA tooling still makes them)."""
    db_pool_size: int = 5
    """Database connections each gateway process keeps open: at least its request threads."""
    db_max_overflow: int = 5
    """Extra connections a process may open at a peak, closed again when idle."""

    def __post_init__(self) -> None:
        if self.signature_policy not in SIGNATURE_POLICIES:
            choices = ", ".join(SIGNATURE_POLICIES)
            raise ValueError(f"signature policy {self.signature_policy!r} is not one of {choices}")
        if self.max_package_size <= 0:
            raise ValueError("max_package_size must be positive")
        if self.db_pool_size < 1 or self.db_max_overflow < 0:
            raise ValueError("the database pool needs at least 1 connection and no negative"
                             " overflow (GATEWAY_DB_POOL_SIZE, GATEWAY_DB_MAX_OVERFLOW)")

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Settings from ``GATEWAY_*`` environment variables; explicit overrides win."""
        values: dict[str, object] = {}
        if url := os.environ.get("GATEWAY_DB_URL"):
            values["db_url"] = url
        if policy := os.environ.get("GATEWAY_SIGNATURE_POLICY"):
            values["signature_policy"] = policy
        if size := os.environ.get("GATEWAY_MAX_PACKAGE_SIZE"):
            values["max_package_size"] = int(size)
        for name, key in (("db_pool_size", "GATEWAY_DB_POOL_SIZE"),
                          ("db_max_overflow", "GATEWAY_DB_MAX_OVERFLOW")):
            if number := os.environ.get(key):
                values[name] = int(number)
        if sha1 := os.environ.get("GATEWAY_ALLOW_SHA1"):
            values["allow_sha1"] = sha1.strip().lower() not in ("0", "false", "no", "off")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
