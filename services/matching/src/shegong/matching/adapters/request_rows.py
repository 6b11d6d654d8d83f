"""The ``requests`` query table: one row per order, written in the command's transaction
from the aggregate's state, plus the times indicators need (epoch seconds).

The order commands' statements are built once, here (and the deadlines', the ledger
rating's): building a statement and computing its cache key on every call cost more
CPU than SQLite took to run it (bench/README.md, "Round 8: matching's statements").
Parameters are bound by name at execution; an UPDATE's key is not named as a column (a
parameter named as a column is a value to SET). The writes run on the driver
(``raw_sql``: compiled once, SQLAlchemy's execution context, result set-up and greenlet
trip ≈ 60–100 µs a statement skipped; load.py's mix is half order commands)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.matching import RequestPlaced
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.ops import raw_sql
from shegong.kernel.ops.raw_sql import RawStatement
from shegong.matching.adapters.tables import deadlines, hours_ledger, requests
from shegong.matching.domain.request import Request
from shegong.matching.projections.workforce import regions

_R = requests.c
_COLUMNS = frozenset(_R.keys())
_ANY_REGION = select(regions.c.code).limit(1)
_LEVEL = select(regions.c.level).where(regions.c.code == bindparam("code"))
_INSERT = requests.insert()
# The columns to SET are the parameters' names (the order's state, plus the command's).
_SAVE = update(requests).where(_R.request_id == bindparam("rid"))
# An order taken: the first acceptance's time stays the first (no read of it first).
_SAVE_TAKEN = _SAVE.values(first_accepted_ts=func.coalesce(_R.first_accepted_ts, bindparam("now")))
REOPENED = select(_R.reopened).where(_R.request_id == bindparam("rid"))
DEADLINE_DUE = select(deadlines.c.due_ts).where(deadlines.c.request_id == bindparam("rid"))
_DROP_DEADLINE = RawStatement(delete(deadlines).where(deadlines.c.request_id == bindparam("rid")))
_L = hours_ledger.c
# The rating belongs to the delivery just followed up: the order's latest ledger entries.
_RATE_DELIVERY = RawStatement(
    update(hours_ledger)
    .where(
        (_L.request_id == bindparam("rid"))
        & (
            _L.recorded_at
            == select(func.max(_L.recorded_at))
            .where(_L.request_id == bindparam("rid"))
            .scalar_subquery()
        )
    )
    .values(satisfaction=bindparam("rating"), followed_up_on=bindparam("on"))
)
# The order's row saved: one statement a set of columns (the order's state, the command's).
_SAVES: dict[tuple[bool, tuple[str, ...]], RawStatement] = {}


async def drop_deadline(conn: AsyncConnection, request_id: str) -> None:
    await raw_sql.execute(conn, _DROP_DEADLINE, {"rid": request_id})


async def set_deadline(
    conn: AsyncConnection, request_id: str, due_ts: float, level: str | None
) -> None:
    """The order's one deadline, replacing any before it."""
    await drop_deadline(conn, request_id)
    row = {"request_id": request_id, "due_ts": due_ts, "level": level}
    await raw_sql.insert_rows(conn, deadlines, [row])


async def rate_delivery(conn: AsyncConnection, request_id: str, rating: int, on: date) -> None:
    """The rating belongs to the delivery just followed up: the order's latest ledger
    entries — one, or a team's members' written together."""
    await raw_sql.execute(conn, _RATE_DELIVERY, {"rid": request_id, "rating": rating, "on": on})


async def check_known_community(conn: AsyncConnection, community: str) -> None:
    """Once the registry has published the region tree, an order must name a community
    in it (a typo would otherwise match nobody nearby and escalate nowhere sensible)."""
    if await conn.scalar(_ANY_REGION) is None:
        return  # no tree loaded yet: accept the path as given
    level = await conn.scalar(_LEVEL, {"code": community})
    if level != "community":
        raise DomainError(
            f"{community} is not a community in the region tree (GET /regions on the registry)",
            field="community",
            zh=f"{community} 不是区划树中的社区（见 registry 的 GET /regions）",
        )


async def insert_row(conn: AsyncConnection, event: RequestPlaced, now: datetime) -> None:
    row = {
        "request_id": event.request_id,
        "version": 0,
        "status": "open",
        "community": event.community,
        "target_group": event.target_group.value,
        "service_type": event.service_type.value,
        "urgency": event.urgency.value,
        "notes": event.notes,
        "window_start": event.window_start,
        "window_end": event.window_end,
        "resident_phone_masked": event.resident_phone_masked,
        "resident_address_masked": event.resident_address_masked,
        "offered": [],
        "declined": {},
        "placed_ts": now.timestamp(),
        "placed_year": now.year,
        "accept_by_ts": event.accept_by.timestamp(),
        "reopened": 0,
    }
    await raw_sql.insert_rows(conn, requests, [row])


async def save_row(
    conn: AsyncConnection, request: Request, *, taken_ts: float | None = None, **extra: Any
) -> None:
    """The order's row from its state, and ``extra`` columns; ``taken_ts``: the order
    was taken then (``accepted_ts``, and ``first_accepted_ts`` unless it was before)."""
    view = request.view()
    unknown = extra.keys() - _COLUMNS
    if unknown:  # .values() refused them; the parameters would leave them out
        raise TypeError(f"requests has no column {', '.join(sorted(unknown))}")
    if taken_ts is not None:
        extra = {**extra, "accepted_ts": taken_ts}
    values = {
        "version": request.version,
        "status": request.status,
        "offered": view["offered"],
        "declined": view["declined"],
        "provider_id": request.provider_id,
        "provider_kind": view["provider_kind"],
        "level": view["level"],
        "max_level": request.max_level.value if request.max_level else None,
        "hours": request.hours,
        "follow_up_by": request.follow_up_by,
        "satisfaction": request.satisfaction,
        **extra,
    }
    taken = taken_ts is not None
    columns = tuple(values)
    statement = _SAVES.get((taken, columns))
    if statement is None:
        statement = _SAVES[taken, columns] = RawStatement(_SAVE_TAKEN if taken else _SAVE, columns)
    await raw_sql.execute(conn, statement, {**values, "rid": request.id, "now": taken_ts})


def follow_up_overdue(today: date) -> Select[Any]:
    """Completed orders whose follow-up (回访) is past its day."""
    return select(requests).where(
        (requests.c.status == "completed") & (requests.c.follow_up_by < today)
    )
