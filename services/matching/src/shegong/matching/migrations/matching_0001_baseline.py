"""Matching's own tables (requests, providers, deadlines, hours, read models), first.

Revision ID: matching_0001
Revises:
Create Date: 2026-11-29 06:24:37.768047
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("matching",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "check_ins",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("programme_id", sa.String(length=64), nullable=False),
        sa.Column("occurrence", sa.Date(), nullable=False),
        sa.Column("participant", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("programme_id", "occurrence", "participant", name="uq_check_in"),
    )
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_check_ins_programme_id"), ["programme_id"], unique=False
        )

    op.create_table(
        "deadlines",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("due_ts", sa.Float(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("request_id"),
    )
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deadlines_due_ts"), ["due_ts"], unique=False)

    op.create_table(
        "hours_ledger",
        sa.Column("entry", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("programme_id", sa.String(length=64), nullable=True),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("provider_kind", sa.String(length=32), nullable=False),
        sa.Column("person", sa.String(length=128), nullable=False),
        sa.Column("team", sa.String(length=128), nullable=True),
        sa.Column("organisation", sa.String(length=128), nullable=True),
        sa.Column("service_type", sa.String(length=32), nullable=False),
        sa.Column("community", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("entry"),
    )
    with op.batch_alter_table("hours_ledger", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_hours_ledger_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_hours_ledger_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_hours_ledger_year"), ["year"], unique=False)

    op.create_table(
        "needs",
        sa.Column("need_id", sa.String(length=64), nullable=False),
        sa.Column("community", sa.String(length=200), nullable=False),
        sa.Column("household", sa.String(length=64), nullable=False),
        sa.Column("target_group", sa.String(length=16), nullable=False),
        sa.Column("service_type", sa.String(length=32), nullable=False),
        sa.Column("surveyed_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("need_id"),
        sa.UniqueConstraint("community", "household", "service_type", name="uq_need"),
    )
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_needs_community"), ["community"], unique=False)

    op.create_table(
        "programmes",
        sa.Column("programme_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("community", sa.String(length=200), nullable=False),
        sa.Column("service_type", sa.String(length=32), nullable=False),
        sa.Column("target_group", sa.String(length=16), nullable=True),
        sa.Column("rrule", sa.String(length=500), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("programme_id"),
    )
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programmes_community"), ["community"], unique=False)

    op.create_table(
        "provider_state",
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.Column("region", sa.String(length=200), nullable=True),
        sa.Column("district", sa.String(length=64), nullable=True),
        sa.Column("street", sa.String(length=200), nullable=True),
        sa.Column("community", sa.String(length=200), nullable=True),
        sa.Column("organisation", sa.String(length=128), nullable=True),
        sa.Column("certificate_rank", sa.Integer(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("open_assignments", sa.Integer(), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=True),
        sa.Column("supervised", sa.Boolean(), nullable=True),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("satisfaction_sum", sa.Integer(), nullable=False),
        sa.Column("satisfaction_n", sa.Integer(), nullable=False),
        sa.Column("static_score", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("provider_id"),
    )
    with op.batch_alter_table("provider_state", schema=None) as batch_op:
        batch_op.create_index(
            "ix_provider_state_community", ["community", "static_score"], unique=False
        )
        batch_op.create_index(
            "ix_provider_state_district", ["district", "static_score"], unique=False
        )
        batch_op.create_index("ix_provider_state_street", ["street", "static_score"], unique=False)

    op.create_table(
        "providers",
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("region", sa.String(length=200), nullable=False),
        sa.Column("organisation", sa.String(length=128), nullable=True),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("supervised", sa.Boolean(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider_id"),
    )
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_providers_region"), ["region"], unique=False)

    op.create_table(
        "requests",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("community", sa.String(length=200), nullable=False),
        sa.Column("target_group", sa.String(length=16), nullable=False),
        sa.Column("service_type", sa.String(length=32), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resident_phone_masked", sa.String(length=32), nullable=True),
        sa.Column("resident_address_masked", sa.String(length=64), nullable=True),
        sa.Column("offered", sa.JSON(), nullable=False),
        sa.Column("declined", sa.JSON(), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("provider_kind", sa.String(length=32), nullable=True),
        sa.Column("assigned_by", sa.String(length=64), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("max_level", sa.String(length=16), nullable=True),
        sa.Column("placed_ts", sa.Float(), nullable=False),
        sa.Column("placed_year", sa.Integer(), nullable=False),
        sa.Column("accept_by_ts", sa.Float(), nullable=True),
        sa.Column("first_accepted_ts", sa.Float(), nullable=True),
        sa.Column("accepted_ts", sa.Float(), nullable=True),
        sa.Column("finished_ts", sa.Float(), nullable=True),
        sa.Column("hours", sa.Float(), nullable=True),
        sa.Column("follow_up_by", sa.Date(), nullable=True),
        sa.Column("followed_up_on", sa.Date(), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("request_id"),
    )
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_requests_community"), ["community"], unique=False)
        batch_op.create_index(batch_op.f("ix_requests_placed_year"), ["placed_year"], unique=False)
        batch_op.create_index(batch_op.f("ix_requests_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_requests_status"), ["status"], unique=False)

    op.create_table(
        "resident_data",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("request_id"),
    )
    with op.batch_alter_table("resident_data", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resident_data_phone_hash"), ["phone_hash"], unique=False
        )

    op.create_table(
        "mx_regions",
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("mx_regions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mx_regions_parent"), ["parent"], unique=False)

    op.create_table(
        "mx_workers",
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("organization", sa.String(length=128), nullable=True),
        sa.Column("region", sa.String(length=200), nullable=False),
        sa.Column("certificate_rank", sa.Integer(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("worker_id"),
    )
    with op.batch_alter_table("mx_workers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mx_workers_region"), ["region"], unique=False)

    op.create_table(
        "mx_trained",
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("skill", sa.String(length=64), nullable=False),
        sa.Column("last_completed_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("worker_id", "skill"),
    )


def downgrade() -> None:
    op.drop_table("mx_trained")
    with op.batch_alter_table("mx_workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mx_workers_region"))

    op.drop_table("mx_workers")
    with op.batch_alter_table("mx_regions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mx_regions_parent"))

    op.drop_table("mx_regions")
    with op.batch_alter_table("resident_data", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resident_data_phone_hash"))

    op.drop_table("resident_data")
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_requests_status"))
        batch_op.drop_index(batch_op.f("ix_requests_provider_id"))
        batch_op.drop_index(batch_op.f("ix_requests_placed_year"))
        batch_op.drop_index(batch_op.f("ix_requests_community"))

    op.drop_table("requests")
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_providers_region"))

    op.drop_table("providers")
    with op.batch_alter_table("provider_state", schema=None) as batch_op:
        batch_op.drop_index("ix_provider_state_street")
        batch_op.drop_index("ix_provider_state_district")
        batch_op.drop_index("ix_provider_state_community")

    op.drop_table("provider_state")
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programmes_community"))

    op.drop_table("programmes")
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_needs_community"))

    op.drop_table("needs")
    with op.batch_alter_table("hours_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hours_ledger_year"))
        batch_op.drop_index(batch_op.f("ix_hours_ledger_request_id"))
        batch_op.drop_index(batch_op.f("ix_hours_ledger_provider_id"))

    op.drop_table("hours_ledger")
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deadlines_due_ts"))

    op.drop_table("deadlines")
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_ins_programme_id"))

    op.drop_table("check_ins")
