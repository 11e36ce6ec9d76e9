"""Create the schema: agencies, messages, deliveries, document keys, status events

Revision ID: 0001
Revises:
Create Date: 2026-12-04 15:42:04.784724
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gateway.store.models

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("organ_id", sa.String(length=35), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_organ_id", sa.String(length=35), nullable=True),
        sa.Column("secret_hash", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("cert_pem", sa.Text(), nullable=True),
        sa.Column("created_at", gateway.store.models.UTCDateTime(), nullable=False),
        sa.Column("secret_changed_at", gateway.store.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("organ_id", name=op.f("pk_agencies")),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("message_type", sa.String(length=6), nullable=False),
        sa.Column("sender", sa.String(length=35), nullable=False),
        sa.Column("document_id", sa.String(length=255), nullable=False),
        sa.Column("doc_type", sa.String(length=2), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("promulgation_date", sa.Text(), nullable=True),
        sa.Column("status_code", sa.String(length=2), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("package", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", gateway.store.models.UTCDateTime(), nullable=False),
        sa.Column("signature_state", sa.String(length=8), nullable=False),
        sa.Column("signature_subject", sa.Text(), nullable=True),
        sa.Column("signature_reason", sa.Text(), nullable=True),
        sa.Column("already_delivered", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sender"], ["agencies.organ_id"], name=op.f("fk_messages_sender_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("message_id", name=op.f("uq_messages_message_id")),
        sa.UniqueConstraint("sender", "sha256", name=op.f("uq_messages_sender_sha256")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_messages_sender_document", ["sender", "document_id"], unique=False
        )

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=35), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", gateway.store.models.UTCDateTime(), nullable=False),
        sa.Column("fetched_at", gateway.store.models.UTCDateTime(), nullable=True),
        sa.Column("confirmed_at", gateway.store.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_deliveries_message_id_messages")
        ),
        sa.ForeignKeyConstraint(
            ["recipient"], ["agencies.organ_id"], name=op.f("fk_deliveries_recipient_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "message_id", "recipient", name=op.f("uq_deliveries_message_id_recipient")
        ),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deliveries_pending", ["recipient", "state", "created_at"], unique=False
        )

    op.create_table(
        "status_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("document_sender", sa.String(length=35), nullable=False),
        sa.Column("document_id", sa.String(length=255), nullable=False),
        sa.Column("from_organ_id", sa.String(length=35), nullable=False),
        sa.Column("to_organ_id", sa.String(length=35), nullable=False),
        sa.Column("status_code", sa.String(length=2), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("staff_department", sa.Text(), nullable=True),
        sa.Column("staff_name", sa.Text(), nullable=True),
        sa.Column("staff_email", sa.Text(), nullable=True),
        sa.Column("staff_mobile", sa.Text(), nullable=True),
        sa.Column("timestamp", gateway.store.models.UTCDateTime(), nullable=True),
        sa.Column("received_at", gateway.store.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_status_events_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_events")),
        sa.UniqueConstraint("message_id", name=op.f("uq_status_events_message_id")),
    )
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_events_document",
            ["document_sender", "document_id", "from_organ_id"],
            unique=False,
        )

    op.create_table(
        "document_keys",
        sa.Column("sender", sa.String(length=35), nullable=False),
        sa.Column("document_id", sa.String(length=255), nullable=False),
        sa.Column("doc_type", sa.String(length=2), nullable=False),
        sa.Column("recipient", sa.String(length=35), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], name=op.f("fk_document_keys_delivery_id_deliveries")
        ),
        sa.PrimaryKeyConstraint(
            "sender", "document_id", "doc_type", "recipient", name=op.f("pk_document_keys")
        ),
    )


def downgrade() -> None:
    op.drop_table("document_keys")
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.drop_index("ix_status_events_document")

    op.drop_table("status_events")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_pending")

    op.drop_table("deliveries")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_sender_document")

    op.drop_table("messages")
    op.drop_table("agencies")
