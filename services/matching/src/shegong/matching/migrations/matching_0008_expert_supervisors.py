"""experts at work: the expert pool as matching knows it, and experts supervising orders

Revision ID: matching_0008
Revises: matching_0005
Create Date: 2026-12-02 07:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0008"
down_revision: str | Sequence[str] | None = "matching_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mt_experts",
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("admitted_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("worker_id"),
    )
    op.create_table(
        "mt_supervisions",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("expert_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("assigned_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("request_id"),
    )
    op.create_index(
        op.f("ix_mt_supervisions_expert_id"), "mt_supervisions", ["expert_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_mt_supervisions_expert_id"), table_name="mt_supervisions")
    op.drop_table("mt_supervisions")
    op.drop_table("mt_experts")
