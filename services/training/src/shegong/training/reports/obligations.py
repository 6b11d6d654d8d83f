"""Pre-job training obligations (岗前培训): every newly registered worker owes a pre-job
session within a window (default 90 days) from hiring — or from registration when the
roster gives no hiring date. Overdue = the window has ended, no pre-job completion, and
the worker has not left."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.training import SessionKind
from shegong.training.projections.records import completions
from shegong.training.projections.workforce import trainees


@dataclass(frozen=True)
class Obligation:
    worker_id: str
    name: str
    organization: str | None
    region: str | None
    starts_on: date
    due_on: date
    completed_on: date | None


def in_region(path: str | None, region: str | None) -> bool:
    return region is None or (
        path is not None and (path == region or path.startswith(region + "/"))
    )


async def prejob_obligations(conn: AsyncConnection, window_days: int) -> list[Obligation]:
    done: dict[str, date] = {}
    for row in await conn.execute(
        select(completions.c.worker_id, completions.c.completed_on).where(
            completions.c.kind == SessionKind.PREJOB.value
        )
    ):
        if row.worker_id not in done or row.completed_on < done[row.worker_id]:
            done[row.worker_id] = row.completed_on
    found = []
    for w in await conn.execute(select(trainees)):
        start = w.hired_on or w.registered_on
        if w.left_on is not None and w.left_on <= start + timedelta(days=window_days):
            continue  # left within the window: owes nothing any more
        found.append(
            Obligation(
                w.worker_id,
                w.name,
                w.organization,
                w.region,
                start,
                start + timedelta(days=window_days),
                done.get(w.worker_id),
            )
        )
    return found


async def overdue_report(
    conn: AsyncConnection,
    window_days: int,
    as_of: date,
    region: str | None = None,
    organization: str | None = None,
) -> dict[str, Any]:
    left = {
        r.worker_id: r.left_on
        for r in await conn.execute(select(trainees.c.worker_id, trainees.c.left_on))
    }
    overdue = [
        o
        for o in await prejob_obligations(conn, window_days)
        if o.completed_on is None
        and o.due_on < as_of
        and (left.get(o.worker_id) is None or left[o.worker_id] > as_of)  # type: ignore[operator]
        and in_region(o.region, region)
        and (organization is None or o.organization == organization)
    ]
    groups: dict[tuple[str, str], list[Obligation]] = defaultdict(list)
    for o in overdue:
        groups[(o.region or "", o.organization or "")].append(o)
    return {
        "as_of": as_of,
        "window_days": window_days,
        "total": len(overdue),
        "label": "workers overdue for pre-job training",
        "label_zh": "逾期未完成岗前培训人员",
        "groups": [
            {
                "region": key[0] or None,
                "organization": key[1] or None,
                "count": len(items),
                "workers": [
                    {
                        "worker_id": o.worker_id,
                        "name": o.name,
                        "starts_on": o.starts_on,
                        "due_on": o.due_on,
                        "days_overdue": (as_of - o.due_on).days,
                    }
                    for o in sorted(items, key=lambda o: o.due_on)
                ],
            }
            for key, items in sorted(groups.items())
        ],
    }
