"""Core tests run against real databases (SQLite files or PostgreSQL databases, see
tests/conftest.py) made by the real migrations.

The schema is migrated once per session into a template; each test gets a copy, so
every test starts from the same empty, upgraded database quickly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gateway.core import Agencies, Exchange, Settings
from gateway.store.db import Store

from .packages import NAMES


@pytest.fixture
def db_url(migrated_db_url: str) -> str:
    return migrated_db_url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(db_url)
    yield store
    store.dispose()


@pytest.fixture
def secrets(store: Store) -> dict[str, str]:
    """The five test agencies, registered; their secrets by OrganId."""
    agencies = Agencies(store)
    return {organ_id: agencies.add(organ_id, name) for organ_id, name in NAMES.items()}


@pytest.fixture
def make_exchange(store: Store, secrets: dict[str, str]) -> Callable[..., Exchange]:
    def make(**settings: Any) -> Exchange:
        return Exchange(Settings(db_url=store.url, **settings), store=store)

    return make


@pytest.fixture
def exchange(make_exchange: Callable[..., Exchange]) -> Exchange:
    return make_exchange()
