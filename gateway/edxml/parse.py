"""Safe parsing of untrusted package bytes.

Packages come from other agencies' software over the network, so the parser
never loads DTDs, never resolves entities, never touches the network, and
refuses a DOCTYPE outright (entity bombs and external entities have no
legitimate use in edXML). ``huge_tree`` is on because a 20 MB attachment is a
single base64 text node, beyond libxml2's default 10 MB text limit; that is
safe only because entities are never expanded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from .namespaces import EDXML_NS
from .problems import MalformedPackage, Problem

__all__ = ["ReaderSettings", "ParsedXml", "parse", "safe_parser", "DEFAULT_SETTINGS"]


@dataclass(frozen=True)
class ReaderSettings:
    """How much the reader accepts. ``max_size`` is in bytes (default 100 MB)."""

    max_size: int = 100 * 1024 * 1024


DEFAULT_SETTINGS = ReaderSettings()


@dataclass
class ParsedXml:
    """A parsed package: the original bytes, the lxml root and what it is."""

    data: bytes
    root: etree._Element
    kind: str  # "edoc" or "status"


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_DOCTYPE_IN_PROLOG = re.compile(
    rb"\A(?:\xef\xbb\xbf)?(?:\s+|<\?.*?\?>|<!--.*?-->)*<!DOCTYPE", re.DOTALL
)


_DOCTYPE_PROBLEM = Problem(
    "EDX-XML-002",
    "DOCTYPE declarations (DTDs, entities) are not allowed in edXML; remove the <!DOCTYPE ...>",
    1,
)


def safe_parser(*, strip_comments: bool = False) -> etree.XMLParser:
    """The parser for untrusted bytes: no DTD, no entities, no network (see module docstring).

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


def parse(data: bytes, settings: ReaderSettings = DEFAULT_SETTINGS) -> ParsedXml:
    """Parse ``data``; raise ``MalformedPackage`` with line and column when it is unusable."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("parse() takes the package as bytes")
    data = bytes(data)
    if len(data) > settings.max_size:
        raise MalformedPackage([Problem(
            "EDX-SIZE-001",
            f"package is {len(data)} bytes, above the limit of {settings.max_size} bytes;"
            " send large files as separate packages or ask the hub to raise the limit",
        )])
    if not data.strip():
        raise MalformedPackage(
            [Problem("EDX-XML-001", "package is empty; send the .edxml file's bytes")]
        )
    _refuse_before_parsing(data)
    try:
        root = etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, 0)
        raise MalformedPackage([Problem(
            "EDX-XML-001",
            f"not well-formed XML at line {line}, column {column}: {exc.msg}",
            line or None,
        )]) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise MalformedPackage([_DOCTYPE_PROBLEM])
    encoding = (tree.docinfo.encoding or "UTF-8").upper().replace("_", "-")
    if encoding not in ("UTF-8", "UTF8"):
        raise MalformedPackage([Problem(
            "EDX-XML-003",
            f"package is encoded as {tree.docinfo.encoding}; edXML must be UTF-8,"
            " re-save the file as UTF-8 with encoding=\"UTF-8\"",
            1,
        )])
    if etree.QName(root).localname != "edXML" or etree.QName(root).namespace != EDXML_NS:
        raise MalformedPackage([Problem(
            "EDX-XML-004",
            f"root element is {root.tag!r}; an edXML package has root <edXML"
            f" xmlns=\"{EDXML_NS}\">",
            root.sourceline,
        )])
    return ParsedXml(data=data, root=root, kind=_kind_of(root))


def _refuse_before_parsing(data: bytes) -> None:
    """Refuse what must not reach libxml2: UTF-16 and DOCTYPEs (entity bombs fail there
    with a message about "amplification" that nobody outside XML circles can act on)."""
    if data.startswith(_UTF16_BOMS):
        raise MalformedPackage([Problem(
            "EDX-XML-003",
            "package is encoded as UTF-16 (it starts with a UTF-16 byte-order mark);"
            " edXML must be UTF-8, re-save the file as UTF-8",
            1,
        )])
    if _DOCTYPE_IN_PROLOG.match(data):
        raise MalformedPackage([_DOCTYPE_PROBLEM])


def _kind_of(root: etree._Element) -> str:
    """A status message is recognised by its content: a MessageHeader with a StatusCode,
    or (when the StatusCode is what is missing) with a Timestamp and neither To nor Code,
    so that its problems are reported against the status schema."""
    for header in root.iter(f"{{{EDXML_NS}}}MessageHeader"):
        def has(name: str, header: etree._Element = header) -> bool:
            return header.find(f"{{{EDXML_NS}}}{name}") is not None

        if has("StatusCode") or (has("Timestamp") and not has("To") and not has("Code")):
            return "status"
        return "edoc"
    return "edoc"
