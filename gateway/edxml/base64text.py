"""Whether an attachment's base64 text decodes, without decoding it.

Why: rule EDX-ATT-003 used the model's decoding (``Attachment.data``): an ASCII copy
of the whole text, then the decoded bytes, +200 MB for a 100 MB package, only to
throw them away. ``base64_error`` reaches the same verdict, with the same words,
reading the text in slices.

How it stays the same verdict: the model removes space, tab, CR and LF and decodes the
rest with ``binascii.a2b_base64(strict_mode=True)``. Before the first ``=`` that
decoder can only object to a character outside the alphabet; from the first ``=`` on,
its verdict depends on how many data characters came before (modulo 4), on how many
``=`` follow and on the first character after them, and nothing later. So the slices
are checked for foreign characters up to the first ``=``, and the decoder itself is
then run on the last few data characters, the ``=`` run (at most three matter) and the
character after it; only the character count in one of its messages is corrected,
since the decoder saw a shortened text. tests/edxml/test_base64text.py compares both
on generated texts, cut into slices of every size.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterable, Iterator

__all__ = ["base64_error", "ascii_base64_error"]

_SLICE = 1 << 20
_WHITESPACE = b" \t\r\n"
_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_COUNT = re.compile(r"\((\d+)\)")


def base64_error(text: str, *, slice_chars: int = _SLICE) -> str | None:
    """Why ``Attachment.data`` would refuse ``text`` (its error's last clause), or None.

    The words are those of the exception the model raises, after its last ": ", e.g.
    "Incorrect padding" or "ordinal not in range(128)".
    """
    if not text.isascii():
        return _non_ascii(text, slice_chars)
    return _ascii_verdict(text[start:start + slice_chars].encode("ascii")
                          for start in range(0, len(text), slice_chars))


def ascii_base64_error(raw: memoryview, *, slice_bytes: int = _SLICE) -> str | None:
    """``base64_error`` of a text given as its UTF-8 bytes, which must be ASCII.

    Raises ValueError when they are not (the caller then asks ``base64_error``, which
    has the model's words for that).
    """

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(raw), slice_bytes):
            chunk = bytes(raw[start:start + slice_bytes])
            if not chunk.isascii():
                raise ValueError("not ASCII")
            yield chunk

    return _ascii_verdict(chunks())


def _ascii_verdict(chunks: Iterable[bytes]) -> str | None:
    data_count = 0  # data characters before the first "="
    recent = b""  # the last (up to 8) of them
    pads: int | None = None  # length of the "=" run from the first "=", once seen
    after = b""  # the first character after that run
    for raw_chunk in chunks:
        chunk = raw_chunk.translate(None, _WHITESPACE)
        if pads is None:
            first_pad = chunk.find(b"=")
            head = chunk if first_pad < 0 else chunk[:first_pad]
            if head.translate(None, _ALPHABET):
                return "Only base64 data is allowed"
            data_count += len(head)
            recent = (recent + head)[-8:]
            if first_pad < 0:
                continue
            pads, chunk = 0, chunk[first_pad:]
        rest = chunk.lstrip(b"=")
        pads += len(chunk) - len(rest)
        if rest:
            after = rest[:1]
            break
    return _verdict(data_count, recent, pads or 0, after)


def _verdict(data_count: int, recent: bytes, pads: int, after: bytes) -> str | None:
    """The decoder's verdict on a text it sees shortened to its deciding characters."""
    in_quad = data_count % 4
    kept = min(data_count, in_quad + 4)  # the partial quad and one whole quad before it
    shortened = recent[len(recent) - kept:] if kept else b""
    try:
        binascii.a2b_base64(shortened + b"=" * min(pads, 3) + after, strict_mode=True)
    except binascii.Error as exc:
        detail = str(exc).rpartition(": ")[2]
        skipped = data_count - kept
        return _COUNT.sub(lambda m: f"({int(m[1]) + skipped})", detail, count=1)
    return None


def _non_ascii(text: str, slice_chars: int) -> str:
    """The model's words for a non-ASCII text: it fails encoding the text as ASCII."""
    for start in range(0, len(text), slice_chars):
        chunk = text[start:start + slice_chars]
        if not chunk.isascii():
            character = next(c for c in chunk if ord(c) > 127)
            try:
                character.encode("ascii")
            except UnicodeEncodeError as exc:
                return str(exc).rpartition(": ")[2]
    raise AssertionError("unreachable: the text is not ASCII")
