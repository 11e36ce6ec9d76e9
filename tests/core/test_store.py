"""The store: migrations agree with the models, SQLite is set up for several processes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError
from store.databases import Databases

from gateway.core.settings import Settings
from gateway.store.db import BUSY_TIMEOUT_MS, Store
from gateway.store.migrate import alembic_config, current_revision, head_revision, upgrade
from gateway.store.models import AgencyRow, Base


def test_the_migrations_create_exactly_the_models_schema(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrading_twice_is_harmless(db_url: str) -> None:
    upgrade(db_url)
    assert current_revision(db_url) == head_revision() == "0003"


def test_downgrade_removes_the_schema_and_upgrade_restores_it(
    test_databases: Databases,
) -> None:
    url = test_databases.create("downgrade")
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    assert current_revision(url) is None
    upgrade(url)
    assert current_revision(url) == head_revision()


def test_sqlite_connections_use_wal_foreign_keys_and_wait_for_locks(tmp_path: Path) -> None:
    """Whatever the suite runs on: these are the SQLite default's own settings."""
    store = Store(f"sqlite:///{tmp_path / 'gateway.sqlite3'}")
    try:
        with store.read() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == BUSY_TIMEOUT_MS
    finally:
        store.dispose()


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(IntegrityError), store.write() as connection:
        connection.execute(text(
            "INSERT INTO deliveries (message_id, recipient, state, created_at)"
            " VALUES (999, 'nobody', 'pending', '2024-01-01 00:00:00')"
        ))


def test_times_come_back_in_utc_whatever_zone_they_were_given_in(store: Store) -> None:
    vn = datetime(2024, 5, 17, 9, 30, tzinfo=timezone(timedelta(hours=7)))
    with store.write() as connection:
        connection.execute(insert(AgencyRow).values(
            organ_id="000.00.00.G22", name="x", secret_hash="h", active=True,
            created_at=vn, secret_changed_at=vn))
    with store.read() as connection:
        row = connection.execute(select(AgencyRow)).first()
        assert row is not None
        assert row.created_at == vn and row.created_at.tzinfo == UTC
        assert row.created_at.hour == 2


def test_naive_times_are_refused_rather_than_guessed(store: Store) -> None:
    with pytest.raises(Exception, match="timezone-aware"), store.write() as connection:
        connection.execute(insert(AgencyRow).values(
            organ_id="000.00.00.G22", name="x", secret_hash="h", active=True,
            created_at=datetime(2024, 1, 1), secret_changed_at=datetime.now(UTC)))


def test_the_default_database_is_created_under_var_of_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = Settings().db_url
    assert url == "sqlite:///var/gateway.sqlite3"
    upgrade(url)
    assert (tmp_path / "var" / "gateway.sqlite3").is_file()
    assert current_revision(url) == head_revision()
