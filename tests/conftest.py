"""Shared test fixtures: where the real packages are, and the databases tests run on.

The whole suite runs on SQLite (default) or PostgreSQL: ``GATEWAY_TEST_DB=postgresql``
or ``pytest --test-db postgresql`` (``GATEWAY_TEST_PG_URL`` names the administrator
connection, see ``store.databases``). Each run creates its own databases and drops
them. Tests marked ``postgresql`` are about PostgreSQL itself (query plans, several
processes on one database): they are deselected, and said so, on SQLite runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from store.databases import (
    BACKENDS,
    DEFAULT_PG_ADMIN_URL,
    Databases,
    PostgresUnavailable,
    connect,
)

from gateway.store.migrate import upgrade

REPO = Path(__file__).resolve().parent.parent
REAL_PACKAGES = REPO / "tests" / "fixtures" / "edxml-real"


def real_package_paths() -> list[Path]:
    """The real .edxml files written by other teams' software, as they are."""
    return sorted(REAL_PACKAGES.glob("*.edxml"))


@pytest.fixture(scope="session")
def real_packages() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in real_package_paths()}


# -- database backends -------------------------------------------------------------------

def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--test-db", choices=BACKENDS, default=None,
        help="database the tests run on (default: $GATEWAY_TEST_DB or sqlite)",
    )


def backend_of(config: pytest.Config) -> str:
    backend = config.getoption("--test-db") or os.environ.get("GATEWAY_TEST_DB") or "sqlite"
    if backend not in BACKENDS:
        raise pytest.UsageError(
            f"GATEWAY_TEST_DB={backend!r} is not a backend; use one of {', '.join(BACKENDS)}")
    return backend


def pg_admin_url() -> str:
    return os.environ.get("GATEWAY_TEST_PG_URL") or DEFAULT_PG_ADMIN_URL


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgresql: about PostgreSQL itself; runs only when the suite runs on it")
    config.addinivalue_line(
        "markers", "stress: many processes racing on one database (select with -m stress)")


def pytest_report_header(config: pytest.Config) -> str:
    backend = backend_of(config)
    where = f" (administrator connection {pg_admin_url()})" if backend == "postgresql" else ""
    return f"database backend: {backend}{where}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if backend_of(config) == "postgresql":
        return
    kept = [item for item in items if item.get_closest_marker("postgresql") is None]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    deselected = [r for r in terminalreporter.stats.get("deselected", [])
                  if r.get_closest_marker("postgresql") is not None]
    if deselected and backend_of(config) == "sqlite":
        terminalreporter.write_line(
            f"{len(deselected)} PostgreSQL test(s) did not run on SQLite; run them with"
            " GATEWAY_TEST_DB=postgresql (tools/test runs both)")


@pytest.fixture(scope="session")
def db_backend(pytestconfig: pytest.Config) -> str:
    """``sqlite`` or ``postgresql``: what this run's databases are."""
    return backend_of(pytestconfig)


@pytest.fixture(scope="session")
def databases(db_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """This run's databases; whatever is left is dropped at the end of the run."""
    if db_backend == "postgresql":
        try:
            connect(pg_admin_url()).close()
        except PostgresUnavailable as exc:
            pytest.exit(f"the suite runs on PostgreSQL (GATEWAY_TEST_DB) but {exc}", returncode=1)
    made = Databases(db_backend, tmp_path_factory.mktemp("databases"), pg_admin_url())
    yield made
    made.close()


@pytest.fixture
def test_databases(databases: Databases) -> Iterator[Databases]:
    """Databases dropped at the end of the test that made them."""
    with databases.scope() as scoped:
        yield scoped


@pytest.fixture(scope="session")
def migrated_template(databases: Databases) -> str:
    """A database brought to the newest schema by the real migrations, never used itself:
    tests get copies of it (a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PG)."""
    url = databases.create("template")
    upgrade(url)
    return url


@pytest.fixture
def migrated_db_url(migrated_template: str, test_databases: Databases) -> str:
    """A fresh, empty, upgraded database of this test's own."""
    return test_databases.copy(migrated_template, "test")
