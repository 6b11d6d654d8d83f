"""An index on the workforce's names (``tr_workers.name``): a sign-in sheet of names and
units (no ID number, no phone) finds each row's person by name.

Revision ID: training_0006
Revises: training_0005
Create Date: 2026-12-05 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "training_0006"
down_revision: str | Sequence[str] | None = "training_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tr_workers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tr_workers_name"), ["name"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tr_workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tr_workers_name"))
