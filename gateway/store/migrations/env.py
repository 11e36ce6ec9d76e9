"""Alembic environment, configured from code (``gateway.store.migrate``), not from an ini file.

The gateway runs from an installed package, where no alembic.ini sits next to
the code; ``migrate.alembic_config`` points alembic here and passes the URL.
"""

from __future__ import annotations

from alembic import context

from gateway.store.db import make_engine
from gateway.store.models import Base


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(context.config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run `edxml-gateway db upgrade`")
run_migrations_online()
