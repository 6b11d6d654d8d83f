"""census: a record's ID number with the neighbours at each border of its parts put in
order (keyed digests, ``id_number_swaps_hash``), so a number typed with two of them
swapped across a border (the birth date's last digit and the order's first) links as a
slip; records stored before it have none, and compare as they did

Revision ID: registry_0013
Revises: registry_0012
Create Date: 2026-12-06 12:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0013"
down_revision: str | Sequence[str] | None = "registry_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rm_census_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id_swaps", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rm_census_records", schema=None) as batch_op:
        batch_op.drop_column("id_swaps")
