"""narrow masked ID numbers to their first and last character

Revision ID: training_0003
Revises: training_0002
Create Date: 2026-12-02 05:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "training_0003"
down_revision: str | Sequence[str] | None = "training_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The birth date is published beside a masked ID number: region and last four with it
    # give the whole number away. Only the first and last character stay visible.
    op.execute(
        "UPDATE tr_workers SET id_number_masked = substr(id_number_masked, 1, 1) || "
        "'****************' || substr(id_number_masked, 18, 1) "
        "WHERE length(id_number_masked) = 18"
    )


def downgrade() -> None:
    pass  # what was hidden is not restored
