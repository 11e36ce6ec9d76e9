"""XSD and rule validation. (stub: to be implemented)"""

from __future__ import annotations

from .parse import ParsedXml
from .problems import Problem

__all__ = ["validate"]


def validate(parsed: ParsedXml) -> list[Problem]:
    """Every XSD violation and every broken rule of a parsed package, in document order."""
    raise NotImplementedError
