"""The slice-by-slice base64 check says what the model's decoding says, word for word."""

from __future__ import annotations

import base64

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gateway.edxml.base64text import ascii_base64_error, base64_error
from gateway.edxml.model import Attachment


def decoding_error(text: str) -> str | None:
    """What ``Attachment.data`` (the model, which reading uses) says about ``text``."""
    try:
        Attachment(content_id="", encoded=text).data  # noqa: B018
    except ValueError as exc:
        return str(exc).rpartition(": ")[2]
    return None


# Characters that each change the decoder's course: data, padding, the whitespace it
# skips, whitespace and punctuation it refuses, non-ASCII.
_CHARACTERS = st.sampled_from(list("AQgw+/=") + [" ", "\n", "\t", "\r", "\f", "-", "é", "ắ"])


@settings(max_examples=3000, deadline=None)
@given(text=st.text(_CHARACTERS, max_size=40), slice_chars=st.integers(1, 9))
@example(text="A", slice_chars=1)
@example(text="AAAAA=====", slice_chars=2)
@example(text="AAAAA", slice_chars=3)
@example(text="=AAA", slice_chars=1)
@example(text="AAAA=", slice_chars=1)
@example(text="AA=A", slice_chars=1)
@example(text="AA==A", slice_chars=4)
@example(text="AAA=\n=", slice_chars=1)
@example(text="AA==-", slice_chars=1)
def test_any_text_gets_the_models_verdict(text: str, slice_chars: int):
    assert base64_error(text, slice_chars=slice_chars) == decoding_error(text)


@pytest.mark.parametrize("encoded", [
    base64.b64encode(bytes(range(256)) * 50).decode(),
    base64.encodebytes(bytes(range(256)) * 50).decode(),
    base64.b64encode(b"x" * 1001).decode(),
    base64.b64encode(b"x" * 1002).decode(),
    "",
])
def test_valid_base64_in_any_slicing_is_valid(encoded: str):
    for slice_chars in (1, 3, 4, 77, 1 << 20):
        assert base64_error(encoded, slice_chars=slice_chars) is None


@pytest.mark.parametrize("edit", [
    lambda t: t + "A",
    lambda t: t[:5000] + "=" + t[5000:],
    lambda t: t[:5000] + "-" + t[5000:],
    lambda t: t[:5000] + "ă" + t[5000:],
    lambda t: t[:-1],
    lambda t: "=" + t,
    lambda t: t + "==",
], ids=["extra-character", "padding-inside", "minus", "non-ascii", "cut", "leading", "excess"])
def test_broken_long_texts_get_the_models_words(edit):
    broken = edit(base64.b64encode(bytes(range(256)) * 40).decode())
    assert decoding_error(broken) is not None
    for slice_chars in (7, 4096):
        assert base64_error(broken, slice_chars=slice_chars) == decoding_error(broken)


@pytest.mark.parametrize("text", [
    base64.b64encode(bytes(range(256)) * 40).decode(),
    base64.b64encode(bytes(range(256)) * 40).decode()[:-1],
    "AAAA-AAA", "AA=A", "=", "",
])
def test_bytes_of_an_ascii_text_get_the_same_verdict(text: str):
    for slice_bytes in (1, 5, 4096):
        raw = memoryview(text.encode("ascii"))
        assert ascii_base64_error(raw, slice_bytes=slice_bytes) == decoding_error(text)


def test_bytes_that_are_not_ascii_are_left_to_the_text_check():
    with pytest.raises(ValueError, match="not ASCII"):
        ascii_base64_error(memoryview("QUJDé".encode()))
