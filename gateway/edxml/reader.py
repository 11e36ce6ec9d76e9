"""Bytes in, model out. (stub: to be implemented)"""

from __future__ import annotations

from .model import Package, StatusMessage
from .parse import DEFAULT_SETTINGS, ParsedXml, ReaderSettings

__all__ = ["read", "read_package", "read_status"]


def read(data: bytes | ParsedXml, settings: ReaderSettings = DEFAULT_SETTINGS) -> Package | StatusMessage:
    """Read a package or a status message; raises ``MalformedPackage`` when unreadable."""
    raise NotImplementedError


def read_package(data: bytes | ParsedXml, settings: ReaderSettings = DEFAULT_SETTINGS) -> Package:
    raise NotImplementedError


def read_status(data: bytes | ParsedXml, settings: ReaderSettings = DEFAULT_SETTINGS) -> StatusMessage:
    raise NotImplementedError
