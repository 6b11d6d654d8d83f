"""census: the learned match model and the ID number's part digests

Revision ID: registry_0006
Revises: registry_0005
Create Date: 2026-12-02 05:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0006"
down_revision: str | Sequence[str] | None = "registry_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("census_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("model", sa.JSON(), nullable=True))
    with op.batch_alter_table("rm_census_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id_parts", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rm_census_records", schema=None) as batch_op:
        batch_op.drop_column("id_parts")
    with op.batch_alter_table("census_state", schema=None) as batch_op:
        batch_op.drop_column("model")
