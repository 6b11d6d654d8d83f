"""census: the links it announced (a spanning forest of each person, ``rm_census_announced``);
left empty here: the census folds it from its own log at its next start

Revision ID: registry_0011
Revises: registry_0010
Create Date: 2026-12-05 21:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0011"
down_revision: str | Sequence[str] | None = "registry_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rm_census_announced",
        sa.Column("a", sa.String(length=200), nullable=False),
        sa.Column("b", sa.String(length=200), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("a", "b"),
    )
    with op.batch_alter_table("rm_census_announced", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rm_census_announced_b"), ["b"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rm_census_announced", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rm_census_announced_b"))
    op.drop_table("rm_census_announced")
