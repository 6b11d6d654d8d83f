"""listed_numbers: the different phones and ID numbers a department listed behind each shown
mask (keyed digests), so the census cannot be asked which of a department's guesses is
someone's; filled from the vault's numbers

Revision ID: registry_0010
Revises: registry_0009
Create Date: 2026-12-05 00:40:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from shegong.kernel.data.identity import mask_phone

revision: str = "registry_0010"
down_revision: str | Sequence[str] | None = "registry_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "listed_numbers",
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("bucket", sa.String(length=32), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("department", "bucket", "digest"),
    )
    # The phones the vault holds now (earlier ones, changed since, are not known). ID
    # numbers are not filled in: their digest here is the keyed digest of their parts,
    # which needs PII_HASH_KEY; the vault's valid numbers are each one bucket's member
    # at most a few times over, and new guesses are counted from now on.
    vault = sa.table(
        "personal_data",
        sa.column("department", sa.String),
        sa.column("phone", sa.String),
        sa.column("phone_hash", sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(vault.c.department, vault.c.phone, vault.c.phone_hash).where(
            vault.c.phone_hash.is_not(None) & vault.c.phone.is_not(None)
        )
    )
    now = datetime.now(UTC)
    seen = {(d, f"phone:{mask_phone(p)}", h) for d, p, h in rows}
    batch = [{"department": d, "bucket": b, "digest": h, "listed_at": now} for d, b, h in seen]
    for start in range(0, len(batch), 1000):
        op.bulk_insert(table, batch[start : start + 1000])


def downgrade() -> None:
    op.drop_table("listed_numbers")
