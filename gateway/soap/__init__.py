"""The SOAP 1.1 adapter: a thin Spyne layer over ``gateway.core``'s use cases.

``gateway._compat`` must run before Spyne is imported; every module of this package is
imported through here, so importing it first is enough.
"""

from .. import _compat  # noqa: F401  (before anything imports spyne)
from .wsdl import PLACEHOLDER_ADDRESS, wsdl_document

__all__ = ["PLACEHOLDER_ADDRESS", "wsdl_document"]
