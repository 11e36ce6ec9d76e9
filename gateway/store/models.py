"""The gateway's tables: agencies, messages, packages, deliveries, document keys, status
events.

Invariants live in the schema, not in read-then-write code, so that several
processes (and PostgreSQL later) cannot break them:
- ``messages (sender, sha256)`` is unique: the same package from the same sender
  is stored once (the idempotent resend);
- ``document_keys (sender, document_id, doc_type, recipient)`` is unique: a
  document (per BussinessDocType) reaches each recipient once;
- ``deliveries (message_id, recipient)`` is unique.

Every query a request runs finds its rows through an index whose size does not
grow with the hub's history: the pending list reads ``ix_deliveries_waiting``,
which holds only deliveries not yet confirmed; traces and status routing find a
document by ``(sender, document_id)`` or ``document_id``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    ColumnElement,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "Base",
    "UTCDateTime",
    "AgencyRow",
    "MessageRow",
    "DeliveryRow",
    "DocumentKeyRow",
    "StatusEventRow",
    "ORGAN_ID_LENGTH",
    "DOCUMENT_ID_LENGTH",
    "WAITING_STATES",
    "waiting",
]

WAITING_STATES = ("pending", "fetched")
"""Delivery states of an item still on its recipient's pending list (until confirmed)."""
_WAITING_SQL = "state IN ('pending', 'fetched')"
ORGAN_ID_LENGTH = 35  # QĐ 20/2020: at most 35 characters
DOCUMENT_ID_LENGTH = 255
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and always returned timezone-aware (UTC).

    SQLite has no zone-aware type; storing naive UTC everywhere keeps SQLite and
    PostgreSQL identical and lets comparisons and ordering work in SQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs a timezone-aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class AgencyRow(Base):
    """A registered agency. The secret is kept only as a hash (see ``gateway.core.auth``)."""

    __tablename__ = "agencies"

    organ_id: Mapped[str] = mapped_column(String(ORGAN_ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_organ_id: Mapped[str | None] = mapped_column(String(ORGAN_ID_LENGTH))
    secret_hash: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    cert_pem: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    secret_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MessageRow(Base):
    """A package as accepted: the bytes exactly as sent, plus what routing needs from them."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("sender", "sha256"),
        Index("ix_messages_sender_document", "sender", "document_id"),
        Index("ix_messages_document_id", "document_id"),  # statuses: who sent it to me
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(36), unique=True)
    message_type: Mapped[str] = mapped_column(String(6))  # "edoc" | "status"
    sender: Mapped[str] = mapped_column(ForeignKey("agencies.organ_id"))
    document_id: Mapped[str] = mapped_column(String(DOCUMENT_ID_LENGTH))
    doc_type: Mapped[str | None] = mapped_column(String(2))  # BussinessDocType (edoc)
    subject: Mapped[str | None] = mapped_column(Text)  # edoc
    code: Mapped[str | None] = mapped_column(Text)  # CodeNumber/CodeNotation (edoc)
    promulgation_date: Mapped[str | None] = mapped_column(Text)  # as carried (edoc)
    status_code: Mapped[str | None] = mapped_column(String(2))  # status
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signature_state: Mapped[str] = mapped_column(String(8))  # absent | valid | invalid
    signature_subject: Mapped[str | None] = mapped_column(Text)
    signature_reason: Mapped[str | None] = mapped_column(Text)
    already_delivered: Mapped[str] = mapped_column(Text, default="")
    """Space-separated OrganIds the package named but that already had the document."""


class PackageRow(Base):
    """The bytes of a message's package exactly as sent, alone in their row.

    Kept apart from ``messages`` so that the value is the row's last column: SQLite can
    then insert it zero-filled and write the bytes in place (``packages``), instead of
    copying a 100 MB value twice; and the rows that lists and routing read stay small.
    """

    __tablename__ = "packages"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), primary_key=True,
                                            autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class DeliveryRow(Base):
    """One message for one recipient, with its transport state."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("message_id", "recipient"),
        Index("ix_deliveries_pending", "recipient", "state", "created_at"),
        # Only waiting deliveries, in pending-list order: getPendingDocuments reads the first
        # `limit` entries of one recipient and stops, however many were ever confirmed.
        Index("ix_deliveries_waiting", "recipient", "created_at", "id",
              sqlite_where=text(_WAITING_SQL), postgresql_where=text(_WAITING_SQL)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    recipient: Mapped[str] = mapped_column(ForeignKey("agencies.organ_id"))
    state: Mapped[str] = mapped_column(String(10))  # pending | fetched | confirmed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def waiting() -> ColumnElement[bool]:
    """The condition "still on the pending list", with the states written into the SQL
    (not bound as parameters) so that SQLite and PostgreSQL can see that it is the
    condition of the partial index ``ix_deliveries_waiting`` and use that index."""
    states = bindparam("waiting_states", list(WAITING_STATES), expanding=True,
                       literal_execute=True)
    return DeliveryRow.state.in_(states)


class DocumentKeyRow(Base):
    """A document (per BussinessDocType) delivered to a recipient: the resend guard.

    Only document packages get keys; status messages are events and may repeat.
    """

    __tablename__ = "document_keys"

    sender: Mapped[str] = mapped_column(String(ORGAN_ID_LENGTH), primary_key=True)
    document_id: Mapped[str] = mapped_column(String(DOCUMENT_ID_LENGTH), primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(2), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(ORGAN_ID_LENGTH), primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"))


class StatusEventRow(Base):
    """A status reported on a document, for traces; carried by a status message."""

    __tablename__ = "status_events"
    __table_args__ = (
        Index("ix_status_events_document", "document_sender", "document_id", "from_organ_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    document_sender: Mapped[str] = mapped_column(String(ORGAN_ID_LENGTH))
    document_id: Mapped[str] = mapped_column(String(DOCUMENT_ID_LENGTH))
    from_organ_id: Mapped[str] = mapped_column(String(ORGAN_ID_LENGTH))
    to_organ_id: Mapped[str] = mapped_column(String(ORGAN_ID_LENGTH))
    status_code: Mapped[str] = mapped_column(String(2))
    description: Mapped[str | None] = mapped_column(Text)
    staff_department: Mapped[str | None] = mapped_column(Text)
    staff_name: Mapped[str | None] = mapped_column(Text)
    staff_email: Mapped[str | None] = mapped_column(Text)
    staff_mobile: Mapped[str | None] = mapped_column(Text)
    timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
