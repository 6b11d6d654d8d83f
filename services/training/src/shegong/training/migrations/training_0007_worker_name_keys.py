"""Each worker's name as compared (``tr_workers.name_key``, the kernel's ``name_key``): a
sign-in sheet of names and units finds a person registered as 劉麗華 by 刘丽华 and
阿依古丽·买买提 by 阿依古丽买买提. The rows already projected get their key here.

Revision ID: training_0007
Revises: training_0006
Create Date: 2026-12-06 06:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shegong.kernel.data.names import name_key

revision: str = "training_0007"
down_revision: str | Sequence[str] | None = "training_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tr_workers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_tr_workers_name_key"), ["name_key"], unique=False)
    workers = sa.table(
        "tr_workers",
        sa.column("worker_id", sa.String),
        sa.column("name", sa.String),
        sa.column("name_key", sa.String),
    )
    conn = op.get_bind()
    keyed = [
        {"w": worker_id, "k": name_key(name)}
        for worker_id, name in conn.execute(sa.select(workers.c.worker_id, workers.c.name))
    ]
    if keyed:
        conn.execute(
            workers.update()
            .where(workers.c.worker_id == sa.bindparam("w"))
            .values(name_key=sa.bindparam("k")),
            keyed,
        )


def downgrade() -> None:
    with op.batch_alter_table("tr_workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tr_workers_name_key"))
        batch_op.drop_column("name_key")
