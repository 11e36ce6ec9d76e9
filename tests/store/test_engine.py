"""How the gateway connects: pool sizes from the settings, and on PostgreSQL READ
COMMITTED whatever the server's default, a name in pg_stat_activity, and connections
that survive the server dropping them."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from gateway.core import Exchange, Settings
from gateway.store.db import Store, with_driver
from store.databases import Databases


def test_pool_sizes_come_from_the_environment(
    migrated_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_DB_POOL_SIZE", "7")
    monkeypatch.setenv("GATEWAY_DB_MAX_OVERFLOW", "3")
    settings = Settings.from_env(db_url=migrated_db_url)
    assert (settings.db_pool_size, settings.db_max_overflow) == (7, 3)
    store = Exchange(settings).store
    try:
        assert store.engine.pool.size() == 7  # type: ignore[attr-defined]
        assert store.engine.pool._max_overflow == 3  # type: ignore[attr-defined]
    finally:
        store.dispose()


@pytest.mark.parametrize("size, overflow", [(0, 5), (5, -1)])
def test_an_impossible_pool_is_refused_with_the_variables_to_fix(size: int, overflow: int
                                                                 ) -> None:
    with pytest.raises(ValueError, match="GATEWAY_DB_POOL_SIZE"):
        Settings(db_pool_size=size, db_max_overflow=overflow)


def test_a_bare_postgresql_url_gets_a_driver_that_is_installed() -> None:
    url = with_driver("postgresql://gateway:secret@db.example.vn/edxml")
    driver = url.get_driver_name()
    assert importlib.util.find_spec(driver) is not None, driver
    assert url.password == "secret" and url.database == "edxml"
    assert with_driver("postgresql+pg8000://h/db").drivername == "postgresql+pg8000"
    assert with_driver("sqlite:///x.sqlite3").drivername == "sqlite"


@pytest.fixture
def pg_store(migrated_db_url: str, test_databases: Databases) -> Iterator[Store]:
    name = make_url(migrated_db_url).database
    test_databases.admin_execute(  # an administrator's default that would break the rules
        f'ALTER DATABASE "{name}" SET default_transaction_isolation = \'serializable\'')
    store = Store(migrated_db_url)
    yield store
    store.dispose()


@pytest.mark.postgresql
def test_transactions_are_read_committed_and_connections_named(pg_store: Store) -> None:
    with pg_store.read() as connection:
        assert connection.scalar(text("SHOW transaction_isolation")) == "read committed"
        assert connection.scalar(text("SHOW application_name")) == "edxml-gateway"
    with pg_store.write() as connection:
        assert connection.scalar(text("SHOW transaction_isolation")) == "read committed"


@pytest.mark.postgresql
def test_a_connection_the_server_dropped_is_replaced_before_use(
    pg_store: Store, test_databases: Databases
) -> None:
    with pg_store.read() as connection:
        pid = connection.scalar(text("SELECT pg_backend_pid()"))
    test_databases.admin_execute(f"SELECT pg_terminate_backend({pid})")  # as a restart would
    with pg_store.read() as connection:  # the pool hands out a live connection, no error
        assert connection.scalar(text("SELECT pg_backend_pid()")) != pid
