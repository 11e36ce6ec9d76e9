"""edxml-gateway: a document exchange hub for government agencies (edXML over SOAP)."""

__version__ = "0.1.0"
__all__ = ["__version__"]
