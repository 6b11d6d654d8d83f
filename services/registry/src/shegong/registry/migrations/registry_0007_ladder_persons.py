"""ladder: decisions name the census person and the records counted; leaving the pool;
what the ladder decided on already (kept through a rebuild)

Revision ID: registry_0007
Revises: registry_0006
Create Date: 2026-12-02 07:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0007"
down_revision: str | Sequence[str] | None = "registry_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ladder_state",
        sa.Column("projection", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("high_water", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("projection", "source"),
    )
    with op.batch_alter_table("lr_standings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("worker_ids", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("left_pool_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_table("ladder_state")
    with op.batch_alter_table("lr_standings", schema=None) as batch_op:
        batch_op.drop_column("left_pool_on")
        batch_op.drop_column("worker_ids")
        batch_op.drop_column("person_id")
