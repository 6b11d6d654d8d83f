"""The notifications outbox (``notifications``): messages to people about what happened
to an order — offer made, order escalated, follow-up overdue — written with the change,
sent with retries by one leader.

Revision ID: matching_0005
Revises: matching_0004
Create Date: 2026-12-02 04:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0005"
down_revision: str | Sequence[str] | None = "matching_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dedupe", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("created_ts", sa.Float(), nullable=False),
        sa.Column("due_ts", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sent_ts", sa.Float(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe"),
    )
    op.create_index("ix_notifications_status_due", "notifications", ["status", "due_ts"])


def downgrade() -> None:
    op.drop_index("ix_notifications_status_due", table_name="notifications")
    op.drop_table("notifications")
