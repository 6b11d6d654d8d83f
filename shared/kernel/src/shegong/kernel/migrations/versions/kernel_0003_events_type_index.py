"""Events are found by type (the access log, ``GET /audit/access``).

Revision ID: kernel_0003
Revises: kernel_0002
Create Date: 2026-11-29 09:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "kernel_0003"
down_revision: str | Sequence[str] | None = "kernel_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_events_type_position", "events", ["type", "position"])


def downgrade() -> None:
    op.drop_index("ix_events_type_position", table_name="events")
