"""The gateway's core: use cases (``Exchange``), the agency directory, faults and results.

Transports (SOAP) and the CLI use only what is exported here. ``Exchange`` and
``Agencies`` are loaded on first use: they pull in the database and XML stacks,
which commands that only need the settings or the fault codes should not pay for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import *  # noqa: F403
from .errors import __all__ as _errors_all
from .results import *  # noqa: F403
from .results import __all__ as _results_all
from .settings import DEFAULT_DB_URL, SIGNATURE_POLICIES, Settings

if TYPE_CHECKING:
    from .agencies import Agencies
    from .exchange import Exchange

__all__ = [
    "Exchange",
    "Agencies",
    "Settings",
    "SIGNATURE_POLICIES",
    "DEFAULT_DB_URL",
    *_errors_all,
    *_results_all,
]


def __getattr__(name: str) -> Any:
    if name == "Exchange":
        from .exchange import Exchange

        return Exchange
    if name == "Agencies":
        from .agencies import Agencies

        return Agencies
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
