"""Reading a SOAP request before Spyne sees it: size caps, safe XML parsing, envelope checks.

Spyne answers a body it cannot use with a plain-text 500 or an unhandled exception, and
its parser settings are not ours to audit, so every body is read and parsed here: bounded
in size, never loading DTDs or entities, and checked to be a SOAP 1.1 envelope with exactly
one known operation in the Body. Spyne then gets the parsed tree and nothing else, except
``sendDocument``'s package, which is decoded while it is parsed (``_EnvelopeBuilder``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from lxml import etree

from gateway.core.errors import InvalidRequest, TooLarge
from gateway.edxml.parser import safe_parser

from .binary import Base64Decoder
from .faults import SOAP11_ENV
from .types import TNS

__all__ = ["SoapRequest", "request_size_cap", "body_chunks", "parse_envelope", "SOAP12_ENV"]

SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
_ENVELOPE_OVERHEAD = 64 * 1024
_BLOCK = 1024 * 1024
_PROLOG = 64 * 1024
_NS = {"xsi": "http://www.w3.org/2001/XMLSchema-instance"}
"""How far to look for a DOCTYPE before parsing (for a clear message; parsing checks too)."""


@dataclass(frozen=True)
class SoapRequest:
    """A well-formed SOAP 1.1 request: the parsed envelope and what it asks for."""

    envelope: etree._Element
    header: etree._Element | None
    operation: str
    binaries: dict[etree._Element, Base64Decoder]
    """The base64Binary arguments decoded while parsing (their elements hold no text)."""


def request_size_cap(max_package_size: int) -> int:
    """The largest body that can carry a package of ``max_package_size`` bytes.

    Base64 makes 4 bytes of every 3; 5% more allows clients that wrap base64 lines (CRLF
    every 76 characters adds 2.6%); the envelope and headers get 64 KiB.
    """
    return max_package_size * 4 // 3 + max_package_size // 20 + _ENVELOPE_OVERHEAD


def body_chunks(environ: dict, cap: int) -> Iterator[bytes]:
    """The request body in blocks: refused by its declared length before any is read, and
    never more than ``cap`` bytes (a chunked body has no declared length)."""
    declared = (environ.get("CONTENT_LENGTH") or "").strip()
    stream: IO[bytes] = environ["wsgi.input"]
    if declared:
        length = _content_length(declared)
        if length > cap:
            raise _too_large(f"the request declares {length} bytes")
        yield from _blocks(stream, length)
        return
    total = 0
    for chunk in _blocks(stream, cap + 1):
        total += len(chunk)
        if total > cap:
            raise _too_large(f"the request body is larger than {cap} bytes")
        yield chunk


def _blocks(stream: IO[bytes], limit: int) -> Iterator[bytes]:
    remaining = limit
    while remaining > 0 and (chunk := stream.read(min(_BLOCK, remaining))):
        remaining -= len(chunk)
        yield chunk


def _content_length(declared: str) -> int:
    try:
        length = int(declared)
    except ValueError:
        raise InvalidRequest(f"Content-Length {declared!r} is not a number") from None
    if length < 0:
        raise InvalidRequest(f"Content-Length {declared!r} is negative")
    return length


def _too_large(what: str) -> TooLarge:
    return TooLarge(f"{what}, more than this gateway accepts for its package size limit;"
                    " send a smaller package or ask the gateway's operator to raise the limit")


def parse_envelope(chunks: Iterable[bytes], operations: Collection[str]) -> SoapRequest:
    """Check the body is a SOAP 1.1 envelope calling one of ``operations``.

    The body is fed to the parser block by block as it is read, so a large request is
    never held twice (as bytes and as a tree).
    """
    root, binaries = _parse_xml(chunks)
    header, payload = _envelope_parts(root)
    operation = _operation_of(payload, operations)
    _drop_nil_elements(payload)
    return SoapRequest(envelope=root, header=header, operation=operation, binaries=binaries)


def _drop_nil_elements(payload: etree._Element) -> None:
    """Treat ``xsi:nil="true"`` as absent: nothing in the WSDL is nillable, yet WCF sends
    a null argument that way instead of leaving it out."""
    for element in payload.xpath("//*[@xsi:nil='true' or @xsi:nil='1']", namespaces=_NS):
        element.getparent().remove(element)


def _parse_xml(chunks: Iterable[bytes]) -> tuple[etree._Element, dict]:
    builder = _EnvelopeBuilder()
    parser, fed = safe_parser(target=builder), False
    try:
        for chunk in chunks:
            if not fed and not chunk.strip():
                continue  # leading whitespace: the body may yet turn out empty
            if not fed and b"<!DOCTYPE" in chunk[:_PROLOG]:
                raise _doctype()
            parser.feed(chunk)
            fed = True
            if builder.doctype_seen:
                raise _doctype()
        if not fed:
            raise InvalidRequest("the request body is empty; POST a SOAP 1.1 envelope"
                                 " (Content-Type: text/xml) to /soap")
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        raise InvalidRequest(f"the request body is not well-formed XML ({exc.msg});"
                             " POST a SOAP 1.1 envelope") from None
    if builder.doctype_seen:
        raise _doctype()
    return root, builder.binaries


class _EnvelopeBuilder:
    """Builds the envelope's tree, except the text of ``sendDocument/package``: that is
    decoded as the parser hands it over (in blocks of up to a feed's size), so the
    package's 133 MB of base64 never exist as text. Its element stays in the tree, empty.
    """

    _BINARY = (f"{{{SOAP11_ENV}}}Envelope", f"{{{SOAP11_ENV}}}Body", f"{{{TNS}}}sendDocument")
    _BINARY_NAMES = frozenset({f"{{{TNS}}}package", "package"})

    def __init__(self) -> None:
        self._tree = etree.TreeBuilder()
        self._path: list[str] = []
        self._decoder: Base64Decoder | None = None
        self.binaries: dict[etree._Element, Base64Decoder] = {}
        self.doctype_seen = False

    def start(self, tag: str, attrib: dict, nsmap: dict | None = None) -> etree._Element:
        element = self._tree.start(tag, attrib, nsmap)
        if tuple(self._path) == self._BINARY and tag in self._BINARY_NAMES:
            self._decoder = self.binaries[element] = Base64Decoder()
        self._path.append(tag)
        return element

    def end(self, tag: str) -> etree._Element:
        self._path.pop()
        if len(self._path) == len(self._BINARY):
            self._decoder = None
        return self._tree.end(tag)

    def data(self, text: str) -> None:
        if self._decoder is not None and len(self._path) == len(self._BINARY) + 1:
            self._decoder.feed(text)
        else:
            self._tree.data(text)

    def doctype(self, *_: object) -> None:
        self.doctype_seen = True

    def close(self) -> etree._Element:
        return self._tree.close()


def _doctype() -> InvalidRequest:
    return InvalidRequest("the request contains a DOCTYPE (DTD or entities), which SOAP"
                          " forbids; remove the <!DOCTYPE ...> declaration")


def _envelope_parts(root: etree._Element) -> tuple[etree._Element | None, etree._Element]:
    name = etree.QName(root)
    if name.localname == "Envelope" and name.namespace == SOAP12_ENV:
        raise InvalidRequest("this is a SOAP 1.2 envelope; the gateway speaks SOAP 1.1: use"
                             f" the envelope namespace {SOAP11_ENV} and Content-Type text/xml")
    if name.localname != "Envelope" or name.namespace != SOAP11_ENV:
        raise InvalidRequest(f"the root element is {root.tag!r}, not a SOAP 1.1 Envelope"
                             f" ({{{SOAP11_ENV}}}Envelope)")
    children = [child for child in root if isinstance(child.tag, str)]
    headers = [c for c in children if c.tag == f"{{{SOAP11_ENV}}}Header"]
    bodies = [c for c in children if c.tag == f"{{{SOAP11_ENV}}}Body"]
    if len(bodies) != 1 or len(headers) > 1:
        raise InvalidRequest("the envelope must have one soap:Body (and at most one"
                             " soap:Header)")
    return (headers[0] if headers else None), bodies[0]


def _operation_of(body: etree._Element, operations: Collection[str]) -> str:
    calls = [child for child in body if isinstance(child.tag, str)]
    if len(calls) != 1:
        raise InvalidRequest(f"the soap:Body holds {len(calls)} elements; it must hold exactly"
                             " one operation element, e.g. <sendDocument>")
    name = etree.QName(calls[0])
    offered = ", ".join(sorted(operations))
    if name.namespace != TNS:
        raise InvalidRequest(f"the operation element {name.localname!r} is in namespace"
                             f" {name.namespace!r}; use {TNS!r} (operations: {offered})")
    if name.localname not in operations:
        raise InvalidRequest(f"unknown operation {name.localname!r}; this service offers"
                             f" {offered}")
    return name.localname
