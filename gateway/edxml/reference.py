"""The digest of an enveloped ``Reference URI=""`` without copying the package.

Why: signxml checks the Reference of an enveloped signature by serializing the whole
document and parsing it again (to remove the Signature from a copy), doing it once more
before canonicalizing, and parsing the canonical bytes again to hand them back. On a
100 MB package that is +400 MB, and libxml2's canonicalization alone copies a 100 MB
base64 text twice more (escaped, then written out in one piece). Attachments are almost
all of a large package, and their text needs no canonicalization at all: base64 has no
character that C14N escapes.

How: ``Skeleton`` is the package with each large attachment text (the bytes between
``<ContentTransferEncoded>`` and ``</ContentTransferEncoded>``) replaced by a random
marker, parsed by libxml2: a few KB. signxml verifies SignedInfo and SignatureValue on
it as usual (nothing there is an attachment); ``ReferenceVerifier`` then computes the
Reference's digest exactly as signxml does (the same copy, Signature removal,
canonicalization and hash calls, on the skeleton) except that each marker in the
canonical bytes is hashed as the attachment bytes it stands for, read in place from the
package. signxml stays the judge of everything else (algorithms, key, certificate).

Why that is the same digest: a text is replaced only when its raw bytes are printable
ASCII, tab and LF without ``<``, ``&`` and ``>`` (no markup, no reference, no CDATA,
nothing C14N escapes or the parser normalizes or refuses), so its canonical form *is*
its raw bytes; the marker ends with as many LFs as the text holds, so every node after
it is on the line it has in the package. The skeleton is then
checked to carry each marker as the whole text of a childless ContentTransferEncoded
element, which proves the bytes were that element's text and not part of a comment,
CDATA section or processing instruction. Anything unusual (another transform chain, a
digest signxml would refuse, a marker found twice) goes to signxml's own code on the
real tree. tests/edxml/test_reference.py compares both on real and generated packages,
tampered ones included, and pins the signxml method this module overrides.
"""

from __future__ import annotations

import secrets
from base64 import b64decode
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cryptography.hazmat.primitives.hashes import Hash
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from lxml import etree
from signxml import CanonicalizationMethod, DigestAlgorithm, XMLVerifier
from signxml.algorithms import digest_algorithm_implementations
from signxml.exceptions import InvalidDigest
from signxml.util import _remove_sig
from signxml.verifier import VerifyResult

from .parser import safe_parser

__all__ = ["BULK_MIN", "Skeleton", "ReferenceVerifier"]

BULK_MIN = 64 * 1024
"""Texts shorter than this stay in the skeleton: copying them costs less than the work."""

_TAG = b"ContentTransferEncoded"
_LOCAL = _TAG.decode("ascii")
_ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
_BASE64 = "http://www.w3.org/2000/09/xmldsig#base64"
_WHITESPACE = b" \t\r\n"
_NAME_STOP = frozenset(b"<>/!?=\"' \t\r\n")
_SLICE = 1 << 20
_HUGE_TEXT = 1_000_000_000  # libxml2's limit on one text even with huge_tree
_VERBATIM = bytes(b for b in range(256)
                  if b in b"\t\n" or (0x20 <= b < 0x7F and b not in b"&<>"))
"""Bytes that libxml2 keeps as they are in a text and C14N writes as they are."""


@dataclass(frozen=True)
class _Segment:
    token: bytes  # random, found nowhere else
    start: int
    end: int
    newlines: int  # LFs in data[start:end]

    @property
    def marker(self) -> bytes:
        """What stands in for the text: the token, then its LFs (lines stay where they were)."""
        return self.token + b"\n" * self.newlines


@dataclass(frozen=True)
class Skeleton:
    """A package with its large attachment texts left out; ``root`` is its parsed tree.

    ``stand_ins`` maps each element of ``root`` whose text is a marker to the segment
    (``data[start:end]``) that is its real text: printable ASCII, tab and LF.
    """

    data: bytes
    root: etree._Element
    segments: tuple[_Segment, ...]
    stand_ins: dict[etree._Element, _Segment]

    @classmethod
    def of(cls, data: bytes) -> Skeleton | None:
        """The skeleton of a well-formed package, or None when it has no large text to leave out."""
        segments = tuple(_bulk_segments(data))
        if not segments:
            return None
        pieces, cursor = [], 0
        for segment in segments:
            pieces += [data[cursor:segment.start], segment.marker]
            cursor = segment.end
        pieces.append(data[cursor:])
        try:
            root = etree.fromstring(b"".join(pieces), parser=safe_parser())
        except etree.XMLSyntaxError:
            return None
        stand_ins = _stand_ins(root, segments)
        if stand_ins is None:
            return None
        return cls(data, root, segments, stand_ins)

    def left_out(self, root: etree._Element) -> dict[etree._Element, _Segment]:
        """The elements of ``root`` (the full tree of ``data``) whose text was left out,
        with where that text lies; empty if ``root`` is not shaped like the skeleton."""
        found = {}
        try:
            for element, twin in zip(root.iter(), self.root.iter(), strict=True):
                if element.tag != twin.tag:
                    return {}
                segment = self.stand_ins.get(twin)
                if segment is not None:
                    found[element] = segment
        except ValueError:  # not as many nodes
            return {}
        return found if len(found) == len(self.segments) else {}

    def pieces(self, canonical: bytes) -> Iterator[bytes | memoryview]:
        """``canonical`` (of the skeleton) with each marker swapped back for its bytes.

        A marker absent from ``canonical`` was inside what the transforms removed (the
        Signature): its text is not signed. Raises ValueError if one appears twice.
        """
        view, cursor = memoryview(self.data), 0
        for segment in self.segments:
            at = canonical.find(segment.token, cursor)
            if at < 0:
                continue
            if canonical.find(segment.token, at + 1) >= 0 or \
                    not canonical.startswith(segment.marker, at):
                raise ValueError("an attachment marker appears twice in the canonical form")
            yield canonical[cursor:at]
            for start in range(segment.start, segment.end, _SLICE):
                yield view[start:min(start + _SLICE, segment.end)]
            cursor = at + len(segment.marker)
        yield canonical[cursor:]


def _bulk_segments(data: bytes) -> Iterator[_Segment]:
    """Every large ``<[p:]ContentTransferEncoded>TEXT</[p:]ContentTransferEncoded>`` TEXT."""
    if len(data) < BULK_MIN:
        return
    found = data.find(_TAG)
    while found >= 0:
        segment = _segment_at(data, found)
        if segment is not None:
            yield segment
            found = data.find(_TAG, segment.end)
        else:
            found = data.find(_TAG, found + len(_TAG))


def _segment_at(data: bytes, found: int) -> _Segment | None:
    """The text after the start tag whose name ends at ``found``, if it qualifies.

    A lexer for the few bytes around one tag, not a parser: whatever it gets wrong, the
    skeleton's check (``_stand_ins``) refuses, and the package is then
    canonicalized whole.
    """
    opening = data.rfind(b"<", max(0, found - 256), found)
    if opening < 0:
        return None
    prefix = data[opening + 1:found]
    if prefix and not (prefix.endswith(b":") and prefix.count(b":") == 1
                       and not _NAME_STOP.intersection(prefix)):
        return None
    qname = prefix + _TAG
    start = _start_tag_end(data, found + len(_TAG))
    if start is None:
        return None
    end = data.find(b"<", start)
    if end - start < BULK_MIN or not data.startswith(b"</" + qname, end):
        return None
    close = end + 2 + len(qname)
    while close < len(data) and data[close] in _WHITESPACE:
        close += 1
    if data[close:close + 1] != b">":
        return None
    if end - start > _HUGE_TEXT or not _verbatim(data, start, end):
        return None  # libxml2 or C14N would change or refuse it: leave it to libxml2
    return _Segment(b"edxml" + secrets.token_hex(16).encode("ascii"), start, end,
                    data.count(b"\n", start, end))


def _verbatim(data: bytes, start: int, end: int) -> bool:
    """Whether ``data[start:end]`` holds only ``_VERBATIM`` bytes (read 1 MiB at a time)."""
    view = memoryview(data)
    return not any(bytes(view[at:min(at + _SLICE, end)]).translate(None, _VERBATIM)
                   for at in range(start, end, _SLICE))


def _start_tag_end(data: bytes, at: int) -> int | None:
    """Where the content starts after a tag name ending at ``at`` (attributes skipped)."""
    limit = min(len(data), at + 4096)
    if data[at:at + 1] == b">":
        return at + 1
    while at < limit:
        if data[at] not in _WHITESPACE:
            return None  # a longer name, "/>" or not a tag
        while at < limit and data[at] in _WHITESPACE:
            at += 1
        if data[at:at + 1] == b">":
            return at + 1
        equals = data.find(b"=", at, limit)
        if equals < 0 or _NAME_STOP.intersection(data[at:equals].rstrip(_WHITESPACE)):
            return None
        quote = equals + 1
        while quote < limit and data[quote] in _WHITESPACE:
            quote += 1
        if data[quote:quote + 1] not in (b'"', b"'"):
            return None
        closing = data.find(data[quote:quote + 1], quote + 1, limit)
        if closing < 0:
            return None
        at = closing + 1
        if data[at:at + 1] == b">":
            return at + 1
    return None


def _stand_ins(root: etree._Element, segments: tuple[_Segment, ...]
               ) -> dict[etree._Element, _Segment] | None:
    """The element each marker is the text of, or None unless each marker is the entire
    text of one childless ContentTransferEncoded, and only that.

    Comments, processing instructions and tails are looked at too: a marker there means
    the replaced bytes were not an element's text. A marker outside the root element (in a
    comment before it) is never seen, and fails the final count.
    """
    by_token = {segment.token.decode("ascii"): segment for segment in segments}
    found: dict[etree._Element, _Segment] = {}
    for node in root.iter():
        for text, is_element_text in ((node.text, isinstance(node.tag, str)), (node.tail, False)):
            tokens = [token for token in by_token if text and token in text]
            if not tokens:
                continue
            segment = by_token[tokens[0]]
            if not (is_element_text and len(tokens) == 1 and text == segment.marker.decode()
                    and segment not in found.values() and len(node) == 0
                    and etree.QName(node).localname == _LOCAL):
                return None
            found[node] = segment
    return found if len(found) == len(segments) else None


class ReferenceVerifier(XMLVerifier):
    """signxml's verifier, with the enveloped Reference's digest taken over a skeleton.

    ``real_root`` gives the package's full tree, for the Reference shapes this class
    leaves to signxml. After ``verify``, ``signed_data`` returns the canonical bytes that
    were signed (computed again on demand: holding them would double the memory).
    """

    def __init__(self, skeleton: Skeleton | None, real_root: Callable[[], etree._Element]):
        super().__init__()
        self._skeleton = skeleton
        self._real_root = real_root
        self.signed_data: Callable[[], bytes] | None = None

    def get_root(self, data: object) -> etree._Element:
        """The tree given, not a copy: it is never modified (signxml copies before removing)."""
        if isinstance(data, etree._Element):
            return data
        return super().get_root(data)

    def _verify_reference(self, reference, index, root, uri_resolver, c14n_algorithm,
                          signature, signature_key_used):
        plan = self._plan(reference)
        if plan is None:
            result = super()._verify_reference(reference, index, self._real_root(), uri_resolver,
                                               c14n_algorithm, signature, signature_key_used)
            self.signed_data = lambda: result.signed_data
            return result
        method, prefixes, digest_alg = plan
        canonical = self._canonical(root, method, prefixes)
        hasher = Hash(digest_algorithm_implementations[digest_alg]())
        for piece in (self._skeleton.pieces(canonical) if self._skeleton else [canonical]):
            hasher.update(piece)
        expected = b64decode(self._find(reference, "DigestValue").text)
        if expected != hasher.finalize():
            raise InvalidDigest(f"Digest mismatch for reference {index} ({reference.get('URI')})")
        if self._skeleton is None:
            self.signed_data = lambda: canonical
        else:
            self.signed_data = lambda: self._recanonicalize(method, prefixes, digest_alg, expected)
        key = signature_key_used if isinstance(signature_key_used, bytes) else \
            signature_key_used.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        return VerifyResult(b"", None, signature, signature_key=key)

    def _plan(self, reference: etree._Element
              ) -> tuple[CanonicalizationMethod, list[str] | None, DigestAlgorithm] | None:
        """(c14n, its InclusiveNamespaces, digest) for the usual enveloped Reference; else None.

        Mirrors ``XMLVerifier._apply_transforms``: enveloped removes the Signature, one
        c14n transform (or, without one, the configured default) canonicalizes.
        """
        if reference.get("URI") != "":
            return None
        transforms_node = self._find(reference, "Transforms", require=False)
        transforms = self._findall(transforms_node, "Transform") \
            if transforms_node is not None else []
        algorithms = [t.get("Algorithm") for t in transforms]
        if _ENVELOPED not in algorithms or _BASE64 in algorithms:
            return None
        c14n = [t for t in transforms if t.get("Algorithm") in _C14N_VALUES]
        if len(c14n) > 1:
            return None
        digest_method = self._find(reference, "DigestMethod", require=False)
        if digest_method is None or self._find(reference, "DigestValue", require=False) is None:
            return None
        try:
            digest_alg = DigestAlgorithm(digest_method.get("Algorithm"))
        except ValueError:
            return None
        if digest_alg not in self.config.digest_algorithms:
            return None
        if c14n:
            method = CanonicalizationMethod(c14n[0].get("Algorithm"))
            return method, self._get_inclusive_ns_prefixes(c14n[0]), digest_alg
        return self.config.default_reference_c14n_method, None, digest_alg

    def _recanonicalize(self, method: CanonicalizationMethod, prefixes: list[str] | None,
                        digest_alg: DigestAlgorithm, expected: bytes) -> bytes:
        """The signed bytes from the real tree, checked against the verified digest."""
        canonical = self._canonical(self._real_root(), method, prefixes)
        hasher = Hash(digest_algorithm_implementations[digest_alg]())
        hasher.update(canonical)
        if hasher.finalize() != expected:
            raise ValueError("the package's tree no longer matches what was verified;"
                             " verify it again")
        return canonical

    def _canonical(self, root: etree._Element, method: CanonicalizationMethod,
                   prefixes: list[str] | None) -> bytes:
        """What ``_verify_reference`` + ``_apply_transforms`` canonicalize.

        The same steps, but one copy: signxml serializes and parses the copy once more
        before canonicalizing, which cannot change its canonical form (the tests
        compare both on every allowed canonicalization).
        """
        copied_root = self._fromstring(self._tostring(root))
        _remove_sig(self._get_signature(copied_root), idempotent=True)
        return self._c14n(copied_root, algorithm=method, inclusive_ns_prefixes=prefixes)

    def _get_cert_validity_error(self, cert, cert_source):
        """signxml's, minus the certificate's description (a tenth of a small package's
        verification) when the certificate is valid and the description is not used."""
        when = self._get_cert_verification_time()
        if cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
            return None
        return super()._get_cert_validity_error(cert, cert_source)


_C14N_VALUES = frozenset(method.value for method in CanonicalizationMethod)
