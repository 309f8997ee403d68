"""category examples: complaints in citizens' words that teach the category suggester

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 16:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "category_examples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("from_category_id", sa.Integer(), nullable=True),
        sa.Column("proposed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["from_category_id"], ["categories.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["proposed_by"], ["officers.id"]),
        sa.ForeignKeyConstraint(["reviewed_by"], ["officers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_category_examples_category_status", "category_examples", ["category_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_category_examples_category_status", table_name="category_examples")
    op.drop_table("category_examples")
