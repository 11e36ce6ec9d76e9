"""Packages whose attachments are large enough to be left out of the parsed tree."""

from __future__ import annotations

from gateway.edxml import new_document, write
from gateway.edxml.reference import BULK_MIN


def big_document(size: int = 3 * BULK_MIN, files: int = 2) -> bytes:
    """A new document with ``files`` attachments of ``size`` bytes each (not signed)."""
    data = [bytes((i * 7 + n) % 256 for i in range(size)) for n in range(files)]
    return write(new_document(
        sender="000.00.00.G22", recipients=["000.00.00.H41"], code_number="1",
        code_notation="VPCP", subject="Tệp lớn", promulgation_place="Hà Nội",
        signer_competence="KT", signer_position="P", signer_name="N",
        files=[(f"tep-{n}.bin", blob) for n, blob in enumerate(data)],
    ))
