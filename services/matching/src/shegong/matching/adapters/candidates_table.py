"""Writing the candidate table (``provider_state``): identity from whoever knows it (the
registry's stream, matching's own registrations), load and record from matching's
commands, and the static part of the score kept in step with both. The statements a
command runs are built once (see ``request_rows.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.matching.adapters.tables import provider_state
from shegong.matching.domain.ranking import region_path, static_score

_S = provider_state.c
_OWN = _S.provider_id == bindparam("pid")
_EXISTS = select(_S.provider_id).where(_OWN)
_INSERT = provider_state.insert()
# What the static score is computed from: read on its own, or returned by the UPDATE
# that changed it (one statement less per accept, delivery and follow-up).
SCORE_PARTS_COLUMNS = (
    _S.open_assignments,
    _S.capacity,
    _S.completed,
    _S.satisfaction_sum,
    _S.satisfaction_n,
)
_SCORE_PARTS = select(*SCORE_PARTS_COLUMNS).where(_OWN)
_SET_SCORE = update(provider_state).where(_OWN).values(static_score=bindparam("score"))


def place_columns(region: str | None) -> dict[str, str | None]:
    parts = region_path(region)
    return {
        "region": "/".join(parts),
        "district": parts[0] if parts else None,
        "street": "/".join(parts[:2]) if len(parts) >= 2 else None,
        "community": "/".join(parts[:3]) if len(parts) >= 3 else None,
    }


async def ensure_row(conn: AsyncConnection, provider_id: str, capacity: int) -> bool:
    """Create the provider's row if it is not there; True if created."""
    if await conn.scalar(_EXISTS, {"pid": provider_id}) is not None:
        return False
    await conn.execute(_INSERT, new_candidate_row(provider_id, capacity))
    return True


def new_candidate_row(provider_id: str, capacity: int) -> dict[str, Any]:
    """A new candidate's row: no load, no record yet."""
    return {
        "provider_id": provider_id,
        "certificate_rank": 0,
        "capacity": capacity,
        "open_assignments": 0,
        "available": True,
        "completed": 0,
        "satisfaction_sum": 0,
        "satisfaction_n": 0,
        "static_score": static_score(0, capacity, 0, 0, 0),
    }


async def set_identity(
    conn: AsyncConnection,
    provider_id: str,
    default_capacity: int,
    *,
    region: str | None = None,
    **values: Any,
) -> None:
    """Upsert who and where a provider is; load and record are left as they are."""
    await ensure_row(conn, provider_id, default_capacity)
    if region is not None:
        values.update(place_columns(region))
    if values:
        await conn.execute(
            update(provider_state)
            .where(provider_state.c.provider_id == provider_id)
            .values(**values)
        )
    if "capacity" in values:
        await refresh_static(conn, provider_id)


async def set_left(conn: AsyncConnection, provider_id: str, left_on: date) -> None:
    await conn.execute(
        update(provider_state)
        .where(provider_state.c.provider_id == provider_id)
        .values(left_on=left_on)
    )


async def refresh_static(
    conn: AsyncConnection, provider_id: str, parts: Sequence[Any] | None = None
) -> None:
    """Keep the provider's static score in step with its load and record; ``parts``
    are the row's ``SCORE_PARTS_COLUMNS`` as a statement that changed them returned
    them, else they are read."""
    row = parts or (await conn.execute(_SCORE_PARTS, {"pid": provider_id})).first()
    if row is None:
        return
    await conn.execute(_SET_SCORE, {"pid": provider_id, "score": static_score(*row)})
