"""Safe parsing of untrusted package bytes.

Packages come from other agencies' software over the network, so the parser
never loads DTDs, never resolves entities, never touches the network, and
refuses a DOCTYPE outright (entity bombs and external entities have no
legitimate use in edXML). ``huge_tree`` is on because a 20 MB attachment is a
single base64 text node, beyond libxml2's default 10 MB text limit; that is
safe only because entities are never expanded.

A large package is not parsed whole: its attachments' base64 text is almost all of it,
and lxml would hold a copy of it in the tree (and hand it out only as more whole
copies). ``parse`` builds the tree from ``reference.Skeleton`` instead (each large
attachment text replaced by a marker, a few KB) when every text left out is an
attachment's ContentTransferEncoded, and the library reads those texts from the bytes
(``ParsedXml.in_place``). That tree is the one the full parse would give, line numbers
included, but for those texts: the skeleton leaves out only bytes libxml2 takes as they
are (printable ASCII, tab and LF, no markup, no reference), in an element that holds
nothing else, so parsing them cannot fail or change anything around them. Any package
that is not that simple (or not valid: every error message comes from the full parse)
is parsed whole, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from .namespaces import EDXML_NS
from .parser import safe_parser
from .problems import MalformedPackage, Problem
from .reference import Skeleton

__all__ = ["ReaderSettings", "ParsedXml", "parse", "safe_parser", "DEFAULT_SETTINGS"]


@dataclass(frozen=True)
class ReaderSettings:
    """How much the reader accepts. ``max_size`` is in bytes (default 100 MB)."""

    max_size: int = 100 * 1024 * 1024


DEFAULT_SETTINGS = ReaderSettings()


class ParsedXml:
    """A parsed package: the original bytes, its tree and what it is ("edoc" or "status").

    ``root`` is the package's whole tree. For a large package ``parse`` does not build it
    (see the module docstring): it is parsed when first asked for, and the library never
    asks. The library reads ``tree`` instead, with the texts of ``in_place`` taken from
    ``data``; a caller that changed ``root`` has the library read its changes.
    """

    def __init__(self, data: bytes, root: etree._Element | None, kind: str,
                 skeleton: Skeleton | None = None):
        if root is None and skeleton is None:
            raise ValueError("ParsedXml needs the tree or the skeleton it was parsed into")
        self.data = data
        self.kind = kind
        self.skeleton = skeleton
        """The package's ``reference.Skeleton`` (None when it has no large attachment text)."""
        self._root = root
        self._in_place: tuple[etree._Element, dict[etree._Element, tuple[int, int]]] | None = None

    def __repr__(self) -> str:
        return f"ParsedXml(kind={self.kind!r}, {len(self.data)} bytes)"

    @property
    def root(self) -> etree._Element:
        """The whole tree of ``data``."""
        if self._root is None:
            self._root = etree.fromstring(self.data, parser=safe_parser())
        return self._root

    @property
    def tree(self) -> etree._Element:
        """What the library reads: ``root`` once parsed, else the skeleton's tree, whose
        elements in ``in_place`` hold a marker instead of their text."""
        return self._root if self._root is not None else self.skeleton.root

    @property
    def in_place(self) -> dict[etree._Element, tuple[int, int]]:
        """Elements of ``tree`` whose text is ``data[start:end]`` (ASCII): read it there."""
        tree = self.tree
        if self._in_place is None or self._in_place[0] is not tree:
            found: dict[etree._Element, tuple[int, int]] = {}
            if self.skeleton is not None:
                segments = self.skeleton.stand_ins if tree is self.skeleton.root else \
                    self.skeleton.left_out(tree)
                found = {element: (s.start, s.end) for element, s in segments.items()}
            self._in_place = (tree, found)
        return self._in_place[1]


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_DOCTYPE_IN_PROLOG = re.compile(
    rb"\A(?:\xef\xbb\xbf)?(?:\s+|<\?.*?\?>|<!--.*?-->)*<!DOCTYPE", re.DOTALL
)


_DOCTYPE_PROBLEM = Problem(
    "EDX-XML-002",
    "DOCTYPE declarations (DTDs, entities) are not allowed in edXML; remove the <!DOCTYPE ...>",
    1,
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
    if not data or data.isspace():  # not strip(): that copies the package
        raise MalformedPackage(
            [Problem("EDX-XML-001", "package is empty; send the .edxml file's bytes")]
        )
    _refuse_before_parsing(data)
    skeleton = Skeleton.of(data)
    if skeleton is not None:
        try:
            kind = _checked(skeleton.root)
        except MalformedPackage:
            pass  # the full parse says it in its own words
        else:
            if _only_attachments(skeleton):
                return ParsedXml(data, None, kind, skeleton)
    try:
        root = etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, 0)
        raise MalformedPackage([Problem(
            "EDX-XML-001",
            f"not well-formed XML at line {line}, column {column}: {exc.msg}",
            line or None,
        )]) from None
    return ParsedXml(data, root, _checked(root), skeleton)


def _checked(root: etree._Element) -> str:
    """The kind of package ``root`` is; raises ``MalformedPackage`` when it is not edXML."""
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
    return _kind_of(root)


def _only_attachments(skeleton: Skeleton) -> bool:
    """Whether every text the skeleton leaves out is an attachment's, where the library
    reads it only through ``ParsedXml.in_place``: edXML/[edXMLEnvelope/]AttachmentEncoded/
    Attachment/ContentTransferEncoded, all in the edXML namespace. Elsewhere a reader
    or a message could take the marker for the text (an ancestor's ``itertext``)."""
    root = skeleton.root
    envelope = root.find(f"{{{EDXML_NS}}}edXMLEnvelope")
    for element in skeleton.stand_ins:
        ancestors = [element, *element.iterancestors()]
        path = [etree.QName(a).text for a in ancestors[:3]]
        if path != [f"{{{EDXML_NS}}}{name}" for name in
                    ("ContentTransferEncoded", "Attachment", "AttachmentEncoded")]:
            return False
        if ancestors[3:] not in ([root], [envelope, root]):
            return False
    return True


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
    # The find first: on a failed match the pattern's lazy ``.*?`` backtracks through the
    # whole package looking for another "?>" (150 ms on 20 MB).
    if b"<!DOCTYPE" in data and _DOCTYPE_IN_PROLOG.match(data):
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
