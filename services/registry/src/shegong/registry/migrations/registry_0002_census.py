"""The city census: linkage state, records, links, review queue, decisions, experts.

Revision ID: registry_0002
Revises: registry_0001
Create Date: 2026-11-29 06:24:44.817410
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0002"
down_revision: str | Sequence[str] | None = "registry_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "census_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("high_water", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "rm_census_certificates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("certified_on", sa.Date(), nullable=False),
        sa.Column("certificate_no", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", "level", "certified_on", "certificate_no"),
    )
    with op.batch_alter_table("rm_census_certificates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rm_census_certificates_key"), ["key"], unique=False)

    op.create_table(
        "rm_census_decisions",
        sa.Column("a", sa.String(length=200), nullable=False),
        sa.Column("b", sa.String(length=200), nullable=False),
        sa.Column("same", sa.Boolean(), nullable=False),
        sa.Column("by", sa.String(length=128), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("a", "b"),
    )
    op.create_table(
        "rm_census_experts",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("id_masked", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("admitted_on", sa.Date(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    op.create_table(
        "rm_census_links",
        sa.Column("a", sa.String(length=200), nullable=False),
        sa.Column("b", sa.String(length=200), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("a", "b"),
    )
    with op.batch_alter_table("rm_census_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rm_census_links_b"), ["b"], unique=False)

    op.create_table(
        "rm_census_records",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("gender", sa.String(length=8), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("id_hash", sa.String(length=64), nullable=True),
        sa.Column("id_masked", sa.String(length=32), nullable=True),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("phone_masked", sa.String(length=32), nullable=True),
        sa.Column("organization", sa.String(length=128), nullable=True),
        sa.Column("org_type", sa.String(length=32), nullable=True),
        sa.Column("post", sa.String(length=32), nullable=True),
        sa.Column("county", sa.String(length=64), nullable=True),
        sa.Column("township", sa.String(length=64), nullable=True),
        sa.Column("community", sa.String(length=64), nullable=True),
        sa.Column("hired_on", sa.Date(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("person_id", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("key"),
        sa.UniqueConstraint("worker_id"),
    )
    with op.batch_alter_table("rm_census_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rm_census_records_department"), ["department"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_rm_census_records_id_hash"), ["id_hash"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_rm_census_records_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "rm_census_review",
        sa.Column("a", sa.String(length=200), nullable=False),
        sa.Column("b", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=128), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("a", "b"),
    )


def downgrade() -> None:
    op.drop_table("rm_census_review")
    with op.batch_alter_table("rm_census_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rm_census_records_person_id"))
        batch_op.drop_index(batch_op.f("ix_rm_census_records_id_hash"))
        batch_op.drop_index(batch_op.f("ix_rm_census_records_department"))

    op.drop_table("rm_census_records")
    with op.batch_alter_table("rm_census_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rm_census_links_b"))

    op.drop_table("rm_census_links")
    op.drop_table("rm_census_experts")
    op.drop_table("rm_census_decisions")
    with op.batch_alter_table("rm_census_certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rm_census_certificates_key"))

    op.drop_table("rm_census_certificates")
    op.drop_table("census_state")
