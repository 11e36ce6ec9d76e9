"""base64Binary arguments: strict, whitespace-tolerant, and the same whatever the pieces."""

from __future__ import annotations

import base64
import os

import pytest

from gateway.core.errors import InvalidRequest
from gateway.soap.binary import Base64Decoder, decode_base64

DATA = os.urandom(1000) + b"\x00\xff"


def _fed(pieces: list[str]) -> bytes:
    decoder = Base64Decoder()
    for piece in pieces:
        decoder.feed(piece)
    return decoder.value()


def test_a_value_cut_anywhere_decodes_to_the_same_bytes() -> None:
    text = base64.b64encode(DATA).decode()
    for cut in range(len(text) + 1):
        assert _fed([text[:cut], text[cut:]]) == DATA


def test_a_value_in_many_small_pieces_decodes() -> None:
    text = base64.b64encode(DATA).decode()
    assert _fed([text[n:n + 3] for n in range(0, len(text), 3)]) == DATA


@pytest.mark.parametrize("wrap", ["\r\n", "\n", " ", "\t"])
def test_line_breaks_and_spaces_anywhere_are_allowed(wrap: str) -> None:
    text = base64.b64encode(DATA).decode()
    wrapped = wrap.join(text[n:n + 76] for n in range(0, len(text), 76)) + wrap
    assert decode_base64(wrapped) == DATA
    assert _fed([wrapped[n:n + 50] for n in range(0, len(wrapped), 50)]) == DATA


def test_an_empty_or_missing_value_is_no_bytes() -> None:
    assert decode_base64(None) == b"" and decode_base64("") == b"" and _fed([]) == b""


@pytest.mark.parametrize("text", [
    "QUJD!A==", "QUJDRA=", "QUJDR", "QQ==QUJD", "=QUJD", "QUJDé===", "QQ=\n=x",
])
def test_anything_but_strict_base64_is_refused(text: str) -> None:
    with pytest.raises(InvalidRequest, match="not valid base64"):
        decode_base64(text)
    with pytest.raises(InvalidRequest, match="not valid base64"):
        _fed(list(text))


def test_data_after_the_padding_is_refused_even_in_another_piece() -> None:
    with pytest.raises(InvalidRequest):
        _fed(["QQ==", "QUJD"])
