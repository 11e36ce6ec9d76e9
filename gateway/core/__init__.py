"""The gateway's core: use cases (``Exchange``), the agency directory, faults and results.

Transports (SOAP) and the CLI use only what is exported here.
"""

from .agencies import Agencies
from .errors import *  # noqa: F403
from .errors import __all__ as _errors_all
from .exchange import Exchange
from .results import *  # noqa: F403
from .results import __all__ as _results_all
from .settings import DEFAULT_DB_URL, SIGNATURE_POLICIES, Settings

__all__ = [
    "Exchange",
    "Agencies",
    "Settings",
    "SIGNATURE_POLICIES",
    "DEFAULT_DB_URL",
    *_errors_all,
    *_results_all,
]
