"""complaints: menunggu warga pauses the running deadline instead of restarting it

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 17:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_due_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("paused_days_left", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_column("paused_days_left")
        batch_op.drop_column("paused_due_kind")
