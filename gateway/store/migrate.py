"""Schema migrations (alembic), configured in code so they work from an installed package."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from .db import make_engine

__all__ = [
    "alembic_config",
    "upgrade",
    "current_revision",
    "head_revision",
    "require_current",
    "DatabaseNotReady",
]


def alembic_config(url: str) -> Config:
    """An alembic ``Config`` for ``url`` pointing at the packaged migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(files("gateway.store") / "migrations"))
    # ConfigParser interpolation: a literal % in a URL (escaped password) must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (an empty SQLite file gets the schema)."""
    command.upgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine | str) -> str | None:
    """The revision the database is at, or None when it was never upgraded."""
    owned = isinstance(engine, str)
    bound = make_engine(engine) if isinstance(engine, str) else engine
    try:
        with bound.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if owned:
            bound.dispose()


class DatabaseNotReady(Exception):
    """The schema is missing or older than this version of the gateway."""


def require_current(engine: Engine, shown_url: str) -> None:
    """Refuse a database that `edxml-gateway db upgrade` has not brought to the head revision."""
    revision = current_revision(engine)
    if revision != head_revision():
        state = "has no gateway schema" if revision is None else f"is at revision {revision}"
        raise DatabaseNotReady(
            f"database {shown_url} {state}; run `edxml-gateway db upgrade` with the same"
            " --db URL (or GATEWAY_DB_URL) first"
        )
