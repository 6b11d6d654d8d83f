"""a worker's mobile links withdrawn before they lapse

Revision ID: matching_0009
Revises: matching_0008
Create Date: 2026-12-06 13:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0009"
down_revision: str | Sequence[str] | None = "matching_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worker_links",
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider_id"),
    )


def downgrade() -> None:
    op.drop_table("worker_links")
