"""The census's links between department records of one person (``mx_links``), and
each worker's record key (``mx_workers.record_key``), so matching treats a person on
several departments' rosters as one provider.

Both are read-model state: a database migrated with history already projected holds no
links and NULL record keys until the workforce read model is rebuilt from the feed.

Revision ID: matching_0003
Revises: matching_0002
Create Date: 2026-11-29 10:25:45.640788
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0003"
down_revision: str | Sequence[str] | None = "matching_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mx_links",
        sa.Column("a", sa.String(length=200), nullable=False),
        sa.Column("b", sa.String(length=200), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("a", "b"),
    )
    with op.batch_alter_table("mx_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mx_links_b"), ["b"], unique=False)

    with op.batch_alter_table("mx_workers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("record_key", sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f("ix_mx_workers_record_key"), ["record_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mx_workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mx_workers_record_key"))
        batch_op.drop_column("record_key")

    with op.batch_alter_table("mx_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mx_links_b"))

    op.drop_table("mx_links")
