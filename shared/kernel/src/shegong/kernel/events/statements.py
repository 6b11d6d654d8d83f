"""The event store's statements, and the projection runner's, built once.

SQLAlchemy keys its compiled-SQL cache by a statement's structure; building a statement
and computing that key again on every call cost more than SQLite took to run it
(profiled under 16 concurrent commands). Parameters are bound by name at execution.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, case, func, select, text

from shegong.kernel.events.schema import dead_letters, events_table, projection_positions
from shegong.kernel.ops.raw_sql import RawStatement

_E = events_table.c
HEAD = select(func.coalesce(func.max(_E.position), 0))
VERSION = select(func.coalesce(func.max(_E.version), 0)).where(
    _E.stream_id == bindparam("stream_id")
)
# Once the append lock is held: the head and one stream's version in one round trip.
HEAD_AND_VERSION = select(HEAD.scalar_subquery(), VERSION.scalar_subquery())
VERSIONS = (
    select(_E.stream_id, func.max(_E.version))
    .where(_E.stream_id.in_(bindparam("ids", expanding=True)))
    .group_by(_E.stream_id)
)
HISTORY = (
    select(_E.type, _E.schema_version, _E.data, _E.version)
    .where(_E.stream_id == bindparam("stream_id"))
    .order_by(_E.version)
)
INSERT = events_table.insert()
# Every column a parameter: a bulk append's rows as the driver's ``executemany``
# (``store._append_many``), without SQLAlchemy's per-row parameter work.
RAW_INSERT = RawStatement(INSERT)
# One event, the lock held and its position not yet known: the insert takes the next
# position and checks the stream's version itself (no row when the version moved on).
_ONE_COLUMNS = [c.name for c in events_table.columns if c.name != "position"]
INSERT_ONE = (
    events_table.insert()
    .from_select(
        ["position", *_ONE_COLUMNS],
        select(
            HEAD.scalar_subquery() + 1,
            *(bindparam(c, type_=_E[c].type) for c in _ONE_COLUMNS),
        ).where(VERSION.scalar_subquery() == bindparam("expected")),
    )
    .returning(_E.position)
)
# The same, failing instead of inserting nothing: a moved version gives the row no
# position (NULL: a NOT NULL violation, an ``IntegrityError``) — for a unit of work whose
# COMMIT rides in the insert's trip (``Transaction.save_with(commit=True)``, PostgreSQL),
# which cannot look at the result before committing.
INSERT_ONE_OR_FAIL = (
    events_table.insert()
    .from_select(
        ["position", *_ONE_COLUMNS],
        select(
            case((VERSION.scalar_subquery() == bindparam("expected"), HEAD.scalar_subquery() + 1)),
            *(bindparam(c, type_=_E[c].type) for c in _ONE_COLUMNS),
        ),
    )
    .returning(_E.position)
)
AFTER = (
    select(events_table)
    .where(_E.position > bindparam("after"))
    .order_by(_E.position)
    .limit(bindparam("limit"))
)
LOCK_PG = text("LOCK TABLE events IN EXCLUSIVE MODE")
# The same two on the driver's connection (a command's one event: ``store._append_one``).
RAW_INSERT_ONE = RawStatement(INSERT_ONE)
RAW_INSERT_ONE_OR_FAIL = RawStatement(INSERT_ONE_OR_FAIL)
RAW_LOCK_PG = RawStatement(LOCK_PG)

# A read model's positions (projection.ProjectionRunner): read for every batch of every
# consumer group, written at each commit. The key's parameters are not named as columns:
# an UPDATE would take a parameter named as a column for a value to SET.
_P = projection_positions.c
_OWN = _P.projection == bindparam("of_projection")
POSITIONS = select(_P.source, _P.position).where(
    _OWN & _P.source.in_(bindparam("sources", expanding=True))
)
POSITIONS_LOCKED = POSITIONS.with_for_update()
_KEY = _OWN & (_P.source == bindparam("of_source"))
POSITION = select(_P.position).where(_KEY)
_MOVED: dict[str, Any] = {"position": bindparam("position"), "updated_at": bindparam("now")}
INSERT_POSITION = projection_positions.insert().values(
    projection=bindparam("of_projection"), source=bindparam("of_source"), **_MOVED
)
MOVE_POSITION = (
    projection_positions.update().where(_KEY & (_P.position == bindparam("start"))).values(_MOVED)
)
DEAD_IDS = select(dead_letters.c.event_id).where(
    dead_letters.c.projection == bindparam("of_projection")
)

# The same as statements compiled once per count of sources (a read model reads one
# source, or a few: catch-up and rebuild walk every known feed), for PostgreSQL's one
# round trip with the dead letters' ids (``positions.batch_start``).
RAW_SOURCES_MAX = 8
RAW_DEAD_IDS = RawStatement(DEAD_IDS)
_RAW_POSITIONS: dict[tuple[int, bool], RawStatement] = {}


def raw_positions(count: int, lock: bool) -> RawStatement:
    """:data:`POSITIONS` (``lock``: :data:`POSITIONS_LOCKED`) for ``count`` sources,
    named ``source_0`` … ``source_{count - 1}``."""
    found = _RAW_POSITIONS.get((count, lock))
    if found is None:
        each: list[Any] = [bindparam(f"source_{i}") for i in range(count)]
        query = select(_P.source, _P.position).where(_OWN & _P.source.in_(each))
        statement = query.with_for_update() if lock else query
        found = _RAW_POSITIONS[(count, lock)] = RawStatement(statement)
    return found
