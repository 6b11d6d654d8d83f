"""Imports as jobs are kept in the service's database (``import_jobs``): a restart no
longer forgets them, and a job it cut short is reported as interrupted.

Revision ID: kernel_0004
Revises: kernel_0003
Create Date: 2026-12-02 07:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "kernel_0004"
down_revision: str | Sequence[str] | None = "kernel_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Position = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("job_id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("filename", sa.String(255)),
        sa.Column("file_sha256", sa.String(64)),
        sa.Column("correlation_id", sa.String(64), nullable=False),
        sa.Column("after_position", Position, nullable=False),
        sa.Column("repeatable", sa.Integer, nullable=False),
        sa.Column("rows_done", sa.Integer, nullable=False),
        sa.Column("rows_total", sa.Integer),
        sa.Column("rows_rejected", sa.Integer),
        sa.Column("records_linked", sa.Integer),
        sa.Column("events_written", sa.Integer),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("http_status", sa.Integer),
        sa.Column("report", sa.JSON),
        sa.Column("error", sa.JSON),
    )


def downgrade() -> None:
    op.drop_table("import_jobs")
