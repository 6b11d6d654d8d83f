"""Each worker's ID number parts as the registry digests them (``tr_workers.id_number_parts``,
``WorkerRegistered.id_number_parts``: keyed digests of region, birth date, order and check
character): a sign-in sheet that gives a name and 身份证后四位 / 后六位 tells namesakes
apart by them, without training ever holding the digits. Rows projected before stay NULL
until the read model is rebuilt (such a row is never told apart by the last digits).

Revision ID: training_0008
Revises: training_0007
Create Date: 2026-12-06 16:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "training_0008"
down_revision: str | Sequence[str] | None = "training_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tr_workers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id_number_parts", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tr_workers", schema=None) as batch_op:
        batch_op.drop_column("id_number_parts")
