"""A read model's positions per source (``projection_positions``) and its dead-lettered
events, as the :class:`~shegong.kernel.events.projection.ProjectionRunner` reads and
moves them around each batch; on PostgreSQL the positions are locked for the batch (two
replicas of one consumer group never apply the same source at once)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shegong.kernel.events.statements import (
    DEAD_IDS,
    INSERT_POSITION,
    MOVE_POSITION,
    POSITION,
    POSITIONS,
    POSITIONS_LOCKED,
    RAW_DEAD_IDS,
    RAW_SOURCES_MAX,
    raw_positions,
)
from shegong.kernel.ops import raw_sql
from shegong.kernel.ops.db import is_postgres, read_once


class PositionsMoved(RuntimeError):
    """A staged batch found the positions it read moved before it could write."""


def _query(
    engine: AsyncEngine, name: str, sources: Iterable[str], lock: bool
) -> tuple[Any, dict[str, Any]]:
    query = POSITIONS_LOCKED if lock and is_postgres(engine) else POSITIONS
    return query, {"of_projection": name, "sources": list(sources)}


async def read_positions(
    engine: AsyncEngine,
    name: str,
    conn: AsyncConnection | None,
    sources: Iterable[str],
    *,
    lock: bool = True,
) -> dict[str, int]:
    """The positions stored; ``conn`` None: read on their own (``read_once``)."""
    query, params = _query(engine, name, sources, lock)
    if conn is None:
        rows: Iterable[Any] = await read_once(engine, query, params)
    else:
        rows = await conn.execute(query, params)
    found = {r.source: int(r.position) for r in rows}
    return {s: found.get(s, 0) for s in sources}


async def batch_start(
    engine: AsyncEngine,
    name: str,
    conn: AsyncConnection,
    sources: Iterable[str],
    *,
    lock: bool = True,
) -> tuple[dict[str, int], set[str]]:
    """The positions stored and the ids of the events dead-lettered: a batch's first two
    statements, in one call through SQLAlchemy's greenlet (bench/README.md, round 10);
    on PostgreSQL in one round trip, with the BEGIN of a write transaction (round 13)."""
    wanted = list(sources)
    if is_postgres(engine) and 0 < len(wanted) <= RAW_SOURCES_MAX:
        keys = {f"source_{i}": s for i, s in enumerate(wanted)}
        positions, dead = await raw_sql.execute_all(
            conn,
            [
                (raw_positions(len(wanted), lock), {"of_projection": name, **keys}),
                (RAW_DEAD_IDS, {"of_projection": name}),
            ],
        )
        found = {source: int(position) for source, position in positions.rows}
        return {s: found.get(s, 0) for s in wanted}, {row[0] for row in dead.rows}
    query, params = _query(engine, name, wanted, lock)

    def read(sync: Connection) -> tuple[dict[str, int], set[str]]:
        found = {r.source: int(r.position) for r in sync.execute(query, params)}
        dead = {r.event_id for r in sync.execute(DEAD_IDS, {"of_projection": name})}
        return {s: found.get(s, 0) for s in params["sources"]}, dead

    return await conn.run_sync(read)


async def save_positions(
    name: str, conn: AsyncConnection, start: dict[str, int], last: dict[str, int]
) -> None:
    """Move each source's position from ``start`` to ``last``; raises
    :class:`PositionsMoved` when another replica moved it meanwhile."""
    now = datetime.now(UTC)
    for source, position in last.items():
        if position == start[source]:
            continue
        key = {"of_projection": name, "of_source": source}
        if start[source] == 0 and not await conn.scalar(POSITION, key):
            try:
                await conn.execute(INSERT_POSITION, {**key, "position": position, "now": now})
            except IntegrityError as err:
                raise PositionsMoved(f"{name}: {source} applied concurrently") from err
        else:
            moved = await conn.execute(
                MOVE_POSITION,
                {**key, "start": start[source], "position": position, "now": now},
            )
            if moved.rowcount != 1:
                raise PositionsMoved(f"{name}: {source} position moved concurrently")
