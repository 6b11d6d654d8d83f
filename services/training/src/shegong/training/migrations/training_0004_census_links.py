"""The census's links between department records of one person (``tr_links``), and
each worker's record key (``tr_workers.record_key``), so training counts a person on
several departments' rosters once.

Both are read-model state: a database migrated with history already projected holds no
links and NULL record keys until the workforce read model is rebuilt from the feed.

Revision ID: training_0004
Revises: training_0003
Create Date: 2026-12-02 07:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "training_0004"
down_revision: str | Sequence[str] | None = "training_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tr_links",
        sa.Column("a", sa.String(length=200), nullable=False),
        sa.Column("b", sa.String(length=200), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("a", "b"),
    )
    with op.batch_alter_table("tr_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tr_links_b"), ["b"], unique=False)

    with op.batch_alter_table("tr_workers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("record_key", sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f("ix_tr_workers_record_key"), ["record_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tr_workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tr_workers_record_key"))
        batch_op.drop_column("record_key")

    with op.batch_alter_table("tr_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tr_links_b"))

    op.drop_table("tr_links")
