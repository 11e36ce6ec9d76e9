"""Index the pending list by waiting deliveries only, and messages by document id

``ix_deliveries_waiting`` holds only deliveries not yet confirmed, in pending-list
order, so getPendingDocuments reads `limit` entries and stops however long the
hub's history is. ``ix_messages_document_id`` serves status routing (who sent
this document to me), which knows the document id but not its sender.

Additive: gateways of revision 0001 keep working against this schema. On
PostgreSQL the indexes are built CONCURRENTLY, so running nodes keep writing
while a large hub upgrades.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 16:26:37.813861
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_WAITING = sa.text("state IN ('pending', 'fetched')")


def upgrade() -> None:
    concurrently = op.get_bind().dialect.name == "postgresql"
    with op.get_context().autocommit_block():
        for name, table in (("ix_deliveries_waiting", "deliveries"),
                            ("ix_messages_document_id", "messages")):
            if concurrently:  # a build cut short leaves an INVALID index: start afresh
                op.drop_index(name, table_name=table, postgresql_concurrently=True,
                              if_exists=True)
        op.create_index(
            "ix_deliveries_waiting", "deliveries", ["recipient", "created_at", "id"],
            unique=False, sqlite_where=_WAITING, postgresql_where=_WAITING,
            postgresql_concurrently=concurrently,
        )
        op.create_index(
            "ix_messages_document_id", "messages", ["document_id"], unique=False,
            postgresql_concurrently=concurrently,
        )


def downgrade() -> None:
    op.drop_index("ix_messages_document_id", table_name="messages")
    op.drop_index("ix_deliveries_waiting", table_name="deliveries")
