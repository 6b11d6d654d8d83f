"""Which worker each department's roster row became, and what the row said last time.

The fingerprint makes re-importing the same file a no-op (no events); a changed row is
diffed against the worker's state and only what changed becomes events.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

metadata = MetaData()

roster_records = Table(
    "roster_records",
    metadata,
    Column("department", String(64), primary_key=True),
    Column("record_key", String(200), primary_key=True),
    Column("worker_id", String(64), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("row_number", Integer),
    Column("imported_at", DateTime(timezone=True)),
    # The row's problems at its last import (values left out, a second record of one ID
    # number …) for the census quality report; None when it had none.
    Column("problems", JSON),
)


async def known_records(
    conn: AsyncConnection, department: str, keys: Sequence[str]
) -> dict[str, tuple[str, str]]:
    """record_key → (worker_id, fingerprint) for the keys already imported."""
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(keys), 500):
        rows = await conn.execute(
            select(
                roster_records.c.record_key,
                roster_records.c.worker_id,
                roster_records.c.fingerprint,
            ).where(
                (roster_records.c.department == department)
                & roster_records.c.record_key.in_(keys[start : start + 500])
            )
        )
        found.update({r.record_key: (r.worker_id, r.fingerprint) for r in rows})
    return found
