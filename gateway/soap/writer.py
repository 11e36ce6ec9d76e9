"""Writing responses: the same XML Spyne writes, without Spyne's generic walk of the types.

Spyne serialises a value by looking up every class's attributes, handlers and
namespaces again for every element; a pending list of 100 items cost about 25 ms
that way, most of a getPendingDocuments call (docs/performance.md). ``write_members``
walks a plan made once per class from the same class attributes Spyne reads (member
names, namespaces, min/max occurs) and writes the same elements and text.

A large ``base64Binary`` value (a fetched package) is not put into the tree at all:
its element gets a marker text, and ``stream_parts`` cuts the serialised envelope at
the marker so the response is sent as the envelope's head, the base64 of the package
in slices, and the tail. A 100 MB package is then never held as 133 MB of base64 text,
nor as a copy of that in the tree and another in the serialised bytes.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree
from spyne import Array, Boolean, ByteArray, ComplexModelBase, DateTime, Integer, Unicode

__all__ = ["Member", "plan_of", "write_members", "Streamed", "STREAM_MIN", "stream_parts"]

STREAM_MIN = 64 * 1024
"""Bytes from which a base64Binary value is streamed instead of put into the tree."""
_SLICE = 3 * 1024 * 1024  # a multiple of 3: slices encode to base64 with no padding inside


@dataclass(frozen=True)
class Member:
    """One member of a complex type: where its value is, how its element is written."""

    attribute: str
    tag: str  # {namespace}name
    kind: str  # text | integer | boolean | datetime | bytes | complex
    required: bool  # min_occurs > 0: written (as nil) even when None
    many: bool  # max_occurs > 1: the value is a sequence, one element per item
    members: tuple[Member, ...] = ()  # kind == complex
    array: Member | None = None  # kind == complex and the type is a Spyne Array


_PLANS: dict[type, tuple[Member, ...] | None] = {}
_PRIMITIVES: tuple[tuple[type, str], ...] = (
    (ByteArray, "bytes"), (Boolean, "boolean"), (Integer, "integer"), (DateTime, "datetime"),
    (Unicode, "text"),
)


def plan_of(cls: type) -> tuple[Member, ...] | None:
    """The members of complex type ``cls``; None when it uses anything this writer does not
    know (then Spyne writes it)."""
    if cls not in _PLANS:
        try:
            _PLANS[cls] = tuple(_member(cls, name, sub) for name, sub in cls._type_info.items())
        except _Unsupported:
            _PLANS[cls] = None
    return _PLANS[cls]


class _Unsupported(Exception):
    pass


def _member(owner: type, name: str, cls: Any) -> Member:
    attrs = cls.Attributes
    if getattr(attrs, "exc", False) or getattr(attrs, "str_format", None) is not None \
            or getattr(attrs, "format", None) is not None or getattr(cls, "__extends__", None):
        raise _Unsupported(name)
    namespace = attrs.sub_ns or owner.get_namespace()
    tag = f"{{{namespace}}}{attrs.sub_name or name}"
    required, many = attrs.min_occurs > 0, attrs.max_occurs > 1
    for base, kind in _PRIMITIVES:
        if issubclass(cls, base):
            return Member(name, tag, kind, required, many)
    if not issubclass(cls, ComplexModelBase):
        raise _Unsupported(name)
    members = plan_of(cls)
    if members is None:
        raise _Unsupported(name)
    array = members[0] if issubclass(cls, Array) else None
    return Member(name, tag, "complex", required, many, members, array)


_NIL = {"{http://www.w3.org/2001/XMLSchema-instance}nil": "true"}
Streamer = Callable[[etree._Element, bytes], None]


def write_members(parent: etree._Element, members: tuple[Member, ...], value: object,
                  text_of_datetime: Callable[[datetime], str], stream: Streamer) -> None:
    """Append the elements of ``value``'s ``members`` to ``parent`` as Spyne would."""
    for member in members:
        item = getattr(value, member.attribute, None)
        if member.many and item is not None:
            for one in item:
                _write(parent, member, one, text_of_datetime, stream)
        elif item is not None or member.required:
            _write(parent, member, item, text_of_datetime, stream)


def _write(parent: etree._Element, member: Member, value: Any,
           text_of_datetime: Callable[[datetime], str], stream: Streamer) -> None:
    if value is None:
        etree.SubElement(parent, member.tag, _NIL)
        return
    element = etree.SubElement(parent, member.tag)
    kind = member.kind
    if kind == "text":
        element.text = value
    elif kind == "integer":
        element.text = str(int(value))
    elif kind == "boolean":
        element.text = "true" if value else "false"
    elif kind == "datetime":
        element.text = text_of_datetime(value)
    elif kind == "bytes":
        data = value[0] if isinstance(value, list | tuple) and len(value) == 1 \
            else b"".join(value) if isinstance(value, list | tuple) else value
        if len(data) >= STREAM_MIN:
            stream(element, data)
        else:
            element.text = base64.b64encode(data).decode("ascii")
    elif member.array is not None:
        array = member.array
        for one in value if isinstance(value, list | tuple) else getattr(value, array.attribute):
            _write(element, array, one, text_of_datetime, stream)
    else:
        write_members(element, member.members, value, text_of_datetime, stream)


@dataclass
class Streamed:
    """A large base64Binary value left out of the tree, found again by its marker."""

    marker: str
    data: bytes

    @classmethod
    def new(cls, data: bytes) -> Streamed:
        return cls(f"gateway-streamed-{secrets.token_hex(16)}", data)


def stream_parts(document: bytes, streamed: Streamed) -> tuple[int, Iterator[bytes]]:
    """The response's length and its parts: ``document`` with the marker replaced by the
    base64 of the streamed bytes, produced slice by slice."""
    head, found, tail = document.partition(streamed.marker.encode("ascii"))
    if not found:
        raise ValueError("the streamed value's marker is not in the response")
    data = memoryview(streamed.data)
    length = len(head) + 4 * ((len(data) + 2) // 3) + len(tail)

    def parts() -> Iterator[bytes]:
        yield head
        for start in range(0, len(data), _SLICE):
            yield base64.b64encode(data[start:start + _SLICE])
        yield tail

    return length, parts()
