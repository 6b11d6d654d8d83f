"""census: a record's 年龄 where its roster gives no birth date, as the year it puts the
birth in (``birth_year_by_age``: the import's year minus the age, a year ±1, never a birth
date); records stored before it have none, and compare as they did

Revision ID: registry_0015
Revises: registry_0014
Create Date: 2026-12-06 21:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0015"
down_revision: str | Sequence[str] | None = "registry_0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rm_census_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("birth_year_by_age", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rm_census_records", schema=None) as batch_op:
        batch_op.drop_column("birth_year_by_age")
