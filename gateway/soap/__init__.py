"""The SOAP 1.1 adapter: a thin Spyne layer over ``gateway.core``'s use cases.

``create_app(settings, exchange=None)`` is the WSGI application (endpoint ``/soap``, WSDL
at ``/soap?wsdl``); ``wsdl_document(address)`` is the published WSDL, the one function
both the endpoint and ``edxml-gateway export-wsdl`` use.

``gateway._compat`` must run before Spyne is imported; every module of this package is
imported through here, so importing it first is enough.
"""

from .. import _compat  # noqa: F401  (before anything imports spyne)
from .app import ENDPOINT, GatewayApp, create_app
from .wsdl import PLACEHOLDER_ADDRESS, wsdl_document

__all__ = ["ENDPOINT", "GatewayApp", "create_app", "PLACEHOLDER_ADDRESS", "wsdl_document"]
