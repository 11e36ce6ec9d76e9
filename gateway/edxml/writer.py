"""Model out to bytes, in the standard's element order. (stub: to be implemented)"""

from __future__ import annotations

from .model import Package, StatusMessage

__all__ = ["write"]


def write(message: Package | StatusMessage) -> bytes:
    raise NotImplementedError
