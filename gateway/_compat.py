"""Make Spyne 2.14 importable on Python 3.12 and 3.13.

Import this module before anything from ``spyne`` (``gateway.soap`` does it first).

* Spyne 2.14 bundles an old ``six`` whose lazy ``spyne.util.six.moves`` package no longer
  imports on Python 3.12+ (the meta-path importer it relies on was removed), so
  ``import spyne`` fails with ``No module named 'spyne.util.six.moves'``. We alias the
  bundled module and the ``moves`` sub-modules Spyne uses to the real ``six`` package.
* Python 3.13 removed the ``cgi`` module Spyne imports for ``cgi.parse_header``; the
  ``legacy-cgi`` distribution (a setup.cfg dependency on 3.13) puts it back under the same
  name, so nothing needs aliasing here, only that dependency. On 3.11 and 3.12 the standard
  ``cgi`` warns that it is deprecated on import; we import it once here with that warning
  silenced, so Spyne's import finds it loaded and every run stays free of the noise.

The aliasing is harmless on 3.11 and done on every version so one code path is tested.

Delete this module (and the ``legacy-cgi`` and ``six`` dependencies) when Spyne ships a
release newer than 2.14 that imports on 3.12+, or when the gateway leaves Spyne.
"""

from __future__ import annotations

import importlib
import operator
import sys
import types
import warnings

import six

__all__ = ["SPYNE_SIX_MODULES"]

SPYNE_SIX_MODULES = (
    "moves",
    "moves.collections_abc",
    "moves.http_cookies",
    "moves.urllib",
    "moves.urllib.parse",
    "moves.urllib.error",
    "moves.urllib.request",
)
"""The ``spyne.util.six.*`` modules Spyne 2.14 imports (grep of its sources)."""


def _alias_six() -> None:
    # A copy of the real ``six`` plus the one helper Spyne added to its bundled copy;
    # the real module is left untouched.
    bundled = types.ModuleType("spyne.util.six", six.__doc__)
    bundled.__dict__.update({k: v for k, v in vars(six).items() if not k.startswith("__")})
    bundled.get_function_name = operator.attrgetter("__name__")  # type: ignore[attr-defined]
    sys.modules["spyne.util.six"] = bundled
    for name in SPYNE_SIX_MODULES:
        sys.modules[f"spyne.util.six.{name}"] = importlib.import_module(f"six.{name}")


def _load_cgi() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        importlib.import_module("cgi")


_alias_six()
_load_cgi()
