"""Volunteers counted right: ``volunteer_numbers`` (the national volunteer number,
志愿者编号, raw in this vault only) and ``hours_ledger.team_id`` (a team's hours
credited to each member who served, one entry per member).

Revision ID: matching_0007
Revises: matching_0006
Create Date: 2026-12-02 07:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0007"
down_revision: str | Sequence[str] | None = "matching_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "volunteer_numbers",
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("number_hash", sa.String(length=64), nullable=False),
        sa.Column("number_masked", sa.String(length=64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider_id"),
    )
    op.create_index(op.f("ix_volunteer_numbers_number_hash"), "volunteer_numbers", ["number_hash"])
    with op.batch_alter_table("hours_ledger") as batch:
        batch.add_column(sa.Column("team_id", sa.String(length=64), nullable=True))
        batch.create_index(batch.f("ix_hours_ledger_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("hours_ledger") as batch:
        batch.drop_index(batch.f("ix_hours_ledger_team_id"))
        batch.drop_column("team_id")
    op.drop_index(op.f("ix_volunteer_numbers_number_hash"), table_name="volunteer_numbers")
    op.drop_table("volunteer_numbers")
