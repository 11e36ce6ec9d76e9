"""Keep each package's bytes in their own table, ``packages``

The bytes were a column in the middle of ``messages``: SQLite copies such a value
twice when it is written (100 MB -> 200 MB more memory for a 100 MB package). Alone
in their row, they are written in place with SQLite's incremental blob I/O; the
message rows that lists and routing read become small.

Not additive: gateways of revision 0002 read ``messages.package`` and must be stopped
before the upgrade (they refuse a database at another revision anyway). The upgrade
copies every package once, so the database file needs that much free space for the
duration (SQLite: ``VACUUM`` afterwards gives the old column's space back).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 19:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "packages",
        sa.Column("message_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_packages_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_packages")),
    )
    op.execute("INSERT INTO packages (message_id, data) SELECT id, package FROM messages")
    op.drop_column("messages", "package")


def downgrade() -> None:
    op.add_column("messages", sa.Column("package", sa.LargeBinary(), nullable=True))
    op.execute("UPDATE messages SET package ="
               " (SELECT data FROM packages WHERE packages.message_id = messages.id)")
    op.drop_table("packages")
