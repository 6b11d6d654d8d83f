"""census: a record's phone parts (keyed digests with each block of digits hidden), so a
phone with one digit mistyped still links

Revision ID: registry_0009
Revises: registry_0008
Create Date: 2026-12-04 22:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0009"
down_revision: str | Sequence[str] | None = "registry_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rm_census_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_parts", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rm_census_records", schema=None) as batch_op:
        batch_op.drop_column("phone_parts")
