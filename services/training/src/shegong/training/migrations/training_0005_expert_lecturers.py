"""experts at work: the expert pool as training knows it, and experts' lectures

Revision ID: training_0005
Revises: training_0003
Create Date: 2026-12-02 07:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "training_0005"
down_revision: str | Sequence[str] | None = "training_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tr_experts",
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("admitted_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("worker_id"),
    )
    op.create_table(
        "tr_lectures",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("expert_id", sa.String(length=64), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("session_id", "expert_id"),
    )
    op.create_index(op.f("ix_tr_lectures_expert_id"), "tr_lectures", ["expert_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_tr_lectures_expert_id"), table_name="tr_lectures")
    op.drop_table("tr_lectures")
    op.drop_table("tr_experts")
