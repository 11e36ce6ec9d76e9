"""The parser for untrusted package bytes (see ``parse``'s docstring for why each option).

A module of its own so that ``parse`` and ``reference`` (which parse.py uses) share it.
"""

from __future__ import annotations

from lxml import etree

__all__ = ["safe_parser"]


def safe_parser(*, target: object | None = None) -> etree.XMLParser:
    """The parser for untrusted bytes: no DTD, no entities, no network (see ``parse``).

    ``target``: a parser target (lxml's start/end/data/close interface) instead of a tree,
    for callers such as the SOAP envelope that decode parts of a document as it is read;
    comments and processing instructions reach it only if it has handlers for them.
    """
    return etree.XMLParser(
        target=target,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
    )
