"""Residents' contact data over time: ``resident_data.purged_at`` / ``purge_reason``
record when and why an order's phone and address were deleted from the vault
(``retention``: the configured time after the order closed; ``erasure``: the resident
asked). The keyed hash stays.

Revision ID: matching_0006
Revises: matching_0005
Create Date: 2026-12-02 07:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0006"
down_revision: str | Sequence[str] | None = "matching_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("resident_data") as batch:
        batch.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("purge_reason", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("resident_data") as batch:
        batch.drop_column("purge_reason")
        batch.drop_column("purged_at")
