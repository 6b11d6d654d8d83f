"""census: the learned match model, the ID number's part digests, one ID on several records

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
    with op.batch_alter_table("personal_data", schema=None) as batch_op:
        batch_op.drop_constraint("uq_personal_data_department_id", type_="unique")
        batch_op.create_index(
            "ix_personal_data_department_id", ["department", "id_number_hash"], unique=False
        )
    with op.batch_alter_table("census_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("model", sa.JSON(), nullable=True))
    # Masked ID numbers show the first and last character only (the birth date is
    # published beside them): narrow what the read models hold.
    for table, column in (
        ("rm_workers", "id_number_masked"),
        ("rm_census_records", "id_masked"),
        ("rm_census_experts", "id_masked"),
    ):
        op.execute(
            f"UPDATE {table} SET {column} = substr({column}, 1, 1) || '****************' || "
            f"substr({column}, 18, 1) WHERE length({column}) = 18"
        )
    with op.batch_alter_table("rm_census_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id_parts", sa.String(length=64), nullable=True))
    with op.batch_alter_table("roster_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("problems", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("personal_data", schema=None) as batch_op:
        batch_op.drop_index("ix_personal_data_department_id")
        batch_op.create_unique_constraint(
            "uq_personal_data_department_id", ["department", "id_number_hash"]
        )
    with op.batch_alter_table("roster_records", schema=None) as batch_op:
        batch_op.drop_column("problems")
    with op.batch_alter_table("rm_census_records", schema=None) as batch_op:
        batch_op.drop_column("id_parts")
    with op.batch_alter_table("census_state", schema=None) as batch_op:
        batch_op.drop_column("model")
