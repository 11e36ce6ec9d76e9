"""`edxml-gateway db upgrade`: create or migrate the database schema.

Also home of what every database-using command shares: the --db option and
opening the store only when its schema is current.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from gateway.core.settings import DEFAULT_DB_URL, Settings

if TYPE_CHECKING:
    from gateway.store.db import Store

# The database stack (SQLAlchemy, alembic) is imported inside the functions so that
# commands that do not use the database (check, export-wsdl) start fast.

__all__ = ["register", "add_db_option", "shown_url", "open_store"]


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", metavar="URL",
        help=f"SQLAlchemy database URL (default: $GATEWAY_DB_URL or {DEFAULT_DB_URL})",
    )


def shown_url(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def open_store(db: str | None) -> Store:
    """The store for --db / $GATEWAY_DB_URL; raises ``DatabaseNotReady`` before an upgrade."""
    from gateway.store.db import Store
    from gateway.store.migrate import require_current

    settings = Settings.from_env(db_url=db)
    url = settings.db_url
    store = Store(url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
    try:
        require_current(store.engine, shown_url(url))
    except BaseException:
        store.dispose()
        raise
    return store


def register(commands: argparse._SubParsersAction) -> None:
    """Add this command to the CLI; the command function returns the exit status."""
    parser = commands.add_parser("db", help="manage the gateway's database")
    actions = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = actions.add_parser(
        "upgrade", help="create the schema or migrate it to the newest version (safe to repeat)"
    )
    add_db_option(up)
    up.set_defaults(func=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from gateway.store.migrate import current_revision, upgrade

    url = Settings.from_env(db_url=args.db).db_url
    try:
        upgrade(url)
        revision = current_revision(url)
    except SQLAlchemyError as exc:
        print(f"edxml-gateway db upgrade: cannot upgrade {shown_url(url)}: {exc}",
              file=sys.stderr)
        return 1
    print(f"database {shown_url(url)} is at revision {revision}")
    return 0
