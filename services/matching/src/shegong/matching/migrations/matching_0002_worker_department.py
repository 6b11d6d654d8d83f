"""Matching's view of a social worker remembers the department whose roster they are on
(who may act for them: issue 7).

Revision ID: matching_0002
Revises: matching_0001
Create Date: 2026-11-29 09:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0002"
down_revision: str | Sequence[str] | None = "matching_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: instant on PostgreSQL; rows filled before it say nothing
    # (only the city administrator acts for such a worker until a rebuild fills them).
    with op.batch_alter_table("mx_workers") as batch:
        batch.add_column(sa.Column("department", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mx_workers") as batch:
        batch.drop_column("department")
