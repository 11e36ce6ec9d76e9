"""base64Binary arguments decoded strictly, and as they arrive.

A 100 MB package travels as 133 MB of base64 text. Decoded after parsing, it would be
held three times (the text in the parsed envelope, the text as a Python str, the bytes);
decoded while the envelope is parsed (``request``), only the bytes are ever whole.
"""

from __future__ import annotations

import binascii
import io
import re

from gateway.core.errors import InvalidRequest

__all__ = ["Base64Decoder", "decode_base64"]

_WHITESPACE = re.compile(r"\s+")
_INVALID = ("the package is not valid base64; send the .edxml file's bytes base64-encoded"
            " (RFC 4648 alphabet, with padding)")


class Base64Decoder:
    """Strict base64 (RFC 4648 alphabet, padding only at the end), fed in pieces.

    Line breaks and other whitespace are allowed anywhere: clients wrap base64 lines.
    A bad piece is remembered, not raised, so that parsing can finish; ``value`` raises.
    """

    def __init__(self) -> None:
        self._out: io.BytesIO | None = io.BytesIO()
        self._rest = ""  # the characters after the last whole 4-character group
        self._padded = False
        self._bad = False

    def feed(self, text: str) -> None:
        if self._bad or not text:
            return
        if _WHITESPACE.search(text):
            text = _WHITESPACE.sub("", text)
        text = self._rest + text if self._rest else text
        if not text:
            return
        if self._padded:  # data after the padding that ended the value
            self._bad = True
            return
        cut = len(text) - len(text) % 4
        block, self._rest = text[:cut], text[cut:]
        try:
            assert self._out is not None, "fed after the value was taken"
            self._out.write(binascii.a2b_base64(block, strict_mode=True))
        except (binascii.Error, ValueError):
            self._bad = True
            return
        self._padded = block.endswith("=")

    def value(self) -> bytes:
        """The decoded bytes, handed over once (the decoder keeps no reference: a request
        that outlives its use must not keep 100 MB alive); ``InvalidRequest`` if what was
        fed is not strict base64."""
        if self._bad or self._rest:
            raise InvalidRequest(_INVALID)
        if self._out is None:
            raise RuntimeError("the decoded value was already taken")
        data, self._out = self._out.getvalue(), None  # no copy: BytesIO hands over its buffer
        return data


def decode_base64(text: str | None) -> bytes:
    """``text`` decoded as a whole, by the same rules as the pieces."""
    decoder = Base64Decoder()
    decoder.feed(text or "")
    return decoder.value()
