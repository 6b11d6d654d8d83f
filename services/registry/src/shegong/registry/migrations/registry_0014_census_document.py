"""census: a record's other identity document (a passport, a 回乡证, a 台胞证, a foreign
permanent resident's card) as its kind and the keyed digest of its number
(``document_type``, ``document_hash``), so the same document on two lists links them;
records stored before it have none, and compare as they did

Revision ID: registry_0014
Revises: registry_0013
Create Date: 2026-12-06 19:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "registry_0014"
down_revision: str | Sequence[str] | None = "registry_0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rm_census_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rm_census_records", schema=None) as batch_op:
        batch_op.drop_column("document")
