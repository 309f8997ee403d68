"""complaints: a version for optimistic locking, and an index for the deadline sweep's query

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

RUNNING_UNESCALATED = "due_at IS NOT NULL AND escalated_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.create_index(
        "ix_complaints_sweep",
        "complaints",
        ["sla_state", "due_at"],
        postgresql_where=sa.text(RUNNING_UNESCALATED),
        sqlite_where=sa.text(RUNNING_UNESCALATED),
    )


def downgrade() -> None:
    op.drop_index("ix_complaints_sweep", table_name="complaints")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_column("version")
