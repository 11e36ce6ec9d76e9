"""The parser for untrusted package bytes (see ``parse``'s docstring for why each option).

A module of its own so that ``parse`` and ``reference`` (which parse.py uses) share it.
"""

from __future__ import annotations

from lxml import etree

__all__ = ["safe_parser"]


def safe_parser(*, strip_comments: bool = False) -> etree.XMLParser:
    """The parser for untrusted bytes: no DTD, no entities, no network (see ``parse``).

    ``strip_comments`` drops comments and processing instructions, for callers (the SOAP
    envelope) that hand the tree to code expecting elements only.
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
        remove_comments=strip_comments,
        remove_pis=strip_comments,
    )
