"""census: a record's other phone numbers (keyed digests of the second mobile or the
landline its roster's phone cell held beside the one kept) and its former name (曾用名),
so a person listed by one of them elsewhere still links

Revision ID: registry_0012
Revises: registry_0011
Create Date: 2026-12-06 06:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0012"
down_revision: str | Sequence[str] | None = "registry_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rm_census_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("other_phones", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("former_name", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rm_census_records", schema=None) as batch_op:
        batch_op.drop_column("former_name")
        batch_op.drop_column("other_phones")
