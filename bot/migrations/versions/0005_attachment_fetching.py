"""attachments: fetching the files channels only referenced

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 17:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fetch_attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("next_fetch_at", bot.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("fetch_error", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_column("fetch_error")
        batch_op.drop_column("next_fetch_at")
        batch_op.drop_column("fetch_attempts")
