"""What the core's use cases return: plain values, independent of any transport."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "SignatureState",
    "Receipt",
    "PendingItem",
    "FetchedDocument",
    "Staff",
    "StatusEvent",
    "Trace",
    "Agency",
]


@dataclass(frozen=True)
class SignatureState:
    state: str  # "absent" | "valid" | "invalid"
    signer_subject: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Receipt:
    message_id: str
    message_type: str  # "edoc" | "status"
    document_id: str
    received_at: datetime  # UTC, tz-aware
    recipients: list[str]  # delivered by this package
    already_delivered: list[str] = field(default_factory=list)
    signature: SignatureState = SignatureState("absent")
    duplicate: bool = False


@dataclass(frozen=True)
class PendingItem:
    message_id: str
    message_type: str
    from_organ_id: str
    document_id: str
    received_at: datetime
    size: int
    subject: str | None = None  # edoc
    status_code: str | None = None  # status


@dataclass(frozen=True)
class FetchedDocument:
    message_id: str
    message_type: str
    from_organ_id: str
    document_id: str
    received_at: datetime
    package: bytes


@dataclass(frozen=True)
class Staff:
    department: str | None = None
    name: str | None = None
    email: str | None = None
    mobile: str | None = None


@dataclass(frozen=True)
class StatusEvent:
    status_code: str
    timestamp: datetime | None  # the status's own time, UTC
    received_at: datetime  # when the gateway accepted it
    description: str | None = None
    staff: Staff | None = None


@dataclass(frozen=True)
class Trace:
    recipient: str
    state: str  # "pending" | "fetched" | "confirmed"
    delivered_at: datetime
    fetched_at: datetime | None = None
    confirmed_at: datetime | None = None
    statuses: list[StatusEvent] = field(default_factory=list)


@dataclass(frozen=True)
class Agency:
    organ_id: str
    name: str
    parent_organ_id: str | None
    active: bool
