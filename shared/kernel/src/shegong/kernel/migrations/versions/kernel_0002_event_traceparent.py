"""Events remember the trace that appended them (envelope ``traceparent``).

Revision ID: kernel_0002
Revises: kernel_0001
Create Date: 2026-11-29 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "kernel_0002"
down_revision: str | Sequence[str] | None = "kernel_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: instant on PostgreSQL, and old events simply have none.
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("traceparent", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("traceparent")
