"""The registry's own tables (PII vault, roster records, read models) when migrations began.

Revision ID: registry_0001
Revises:
Create Date: 2026-11-29 05:49:07.499326
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("registry",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "personal_data",
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=True),
        sa.Column("id_number_hash", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("worker_id"),
        sa.UniqueConstraint("department", "id_number_hash", name="uq_personal_data_department_id"),
    )
    op.create_table(
        "roster_records",
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("department", "record_key"),
    )
    op.create_table(
        "rm_worker_certificates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("certificate_no", sa.String(length=64), nullable=True),
        sa.Column("certified_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("worker_id", "level", "certified_on", "certificate_no"),
    )
    with op.batch_alter_table("rm_worker_certificates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rm_worker_certificates_worker_id"), ["worker_id"], unique=False
        )

    op.create_table(
        "rm_workers",
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("gender", sa.String(length=8), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("id_number_hash", sa.String(length=64), nullable=True),
        sa.Column("id_number_masked", sa.String(length=32), nullable=True),
        sa.Column("phone_masked", sa.String(length=32), nullable=True),
        sa.Column("organization", sa.String(length=128), nullable=True),
        sa.Column("org_type", sa.String(length=32), nullable=True),
        sa.Column("post", sa.String(length=32), nullable=True),
        sa.Column("county", sa.String(length=64), nullable=True),
        sa.Column("township", sa.String(length=64), nullable=True),
        sa.Column("community", sa.String(length=64), nullable=True),
        sa.Column("hired_on", sa.Date(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("highest_certificate", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("worker_id"),
    )
    with op.batch_alter_table("rm_workers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rm_workers_county"), ["county"], unique=False)
        batch_op.create_index(batch_op.f("ix_rm_workers_department"), ["department"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_rm_workers_highest_certificate"), ["highest_certificate"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rm_workers_id_number_hash"), ["id_number_hash"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_rm_workers_post"), ["post"], unique=False)

    op.create_table(
        "rm_regions",
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent", sa.String(length=200), nullable=True),
        sa.Column("urban_population", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("rm_regions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rm_regions_parent"), ["parent"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rm_regions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rm_regions_parent"))

    op.drop_table("rm_regions")
    with op.batch_alter_table("rm_workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rm_workers_post"))
        batch_op.drop_index(batch_op.f("ix_rm_workers_id_number_hash"))
        batch_op.drop_index(batch_op.f("ix_rm_workers_highest_certificate"))
        batch_op.drop_index(batch_op.f("ix_rm_workers_department"))
        batch_op.drop_index(batch_op.f("ix_rm_workers_county"))

    op.drop_table("rm_workers")
    with op.batch_alter_table("rm_worker_certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rm_worker_certificates_worker_id"))

    op.drop_table("rm_worker_certificates")
    op.drop_table("roster_records")
    op.drop_table("personal_data")
