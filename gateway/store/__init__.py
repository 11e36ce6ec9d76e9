"""Storage: SQLAlchemy 2 tables (``models``), engine and sessions (``db``), migrations
(``migrate``, alembic scripts in ``migrations/``). Only ``gateway.core`` writes here."""

from .db import Store, make_engine

__all__ = ["Store", "make_engine"]
