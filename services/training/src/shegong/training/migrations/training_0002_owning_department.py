"""Bases and sessions show the department that owns them (who may change them: issue 7).

Revision ID: training_0002
Revises: training_0001
Create Date: 2026-11-29 09:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "training_0002"
down_revision: str | Sequence[str] | None = "training_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: rows filled before it show none until a rebuild.
    for table in ("tr_bases", "tr_sessions"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("department", sa.String(length=64), nullable=True))
            batch.create_index(batch.f(f"ix_{table}_department"), ["department"], unique=False)


def downgrade() -> None:
    for table in ("tr_sessions", "tr_bases"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(batch.f(f"ix_{table}_department"))
            batch.drop_column("department")
