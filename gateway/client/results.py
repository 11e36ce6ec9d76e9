"""What the client's methods return: plain frozen dataclasses, never zeep objects.

They are the gateway core's own result types (one definition for both sides of the wire),
plus ``FetchedMessage``, which adds the parsed edXML model to a fetched package.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from gateway import edxml
from gateway.core.results import (
    Agency,
    FetchedDocument,
    PendingItem,
    Receipt,
    SignatureState,
    Staff,
    StatusEvent,
    Trace,
)

__all__ = [
    "Agency",
    "FetchedMessage",
    "PendingItem",
    "Receipt",
    "SignatureState",
    "Staff",
    "StatusEvent",
    "Trace",
]


@dataclass(frozen=True)
class FetchedMessage(FetchedDocument):
    """A fetched package: ``package`` is the bytes exactly as the sender sent them.

    ``model`` is the parsed edXML (a ``Package`` for a document, a ``StatusMessage`` for a
    status), read on first use: code that only stores the bytes never pays for parsing,
    and a package this library version cannot read still arrives intact.
    """

    @functools.cached_property
    def model(self) -> edxml.Package | edxml.StatusMessage:
        """The parsed package; raises ``gateway.edxml.MalformedPackage`` when unreadable."""
        return edxml.read(self.package)
