"""Pre-job training obligations (岗前培训), per census person (``reports/persons.py``).

Only a real new hire owes a pre-job session, within a window (default 90 days) from their
hiring — or from their registration when no roster gives a hiring date. A person is a new
hire when they started on or after the cut-off: ``PREJOB_NEW_HIRES_FROM`` when it is set,
else the day the first roster of any of their departments reached training — staff already
in service when their department's roster arrives owe nothing. A person starts on the
earliest day any of their records gives, so someone in service under one department is no
new hire when another department lists them later; and a record without a hiring date on
its department's first roster is staff in service. A pre-job completion under any of the
person's records covers the person. Overdue = the window has ended, no pre-job completion,
and the person has not left (every record of theirs ended).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.training import SessionKind
from shegong.kernel.data.days import later
from shegong.training.projections.records import completions
from shegong.training.projections.workforce import trainees
from shegong.training.reports.persons import Persons, all_persons


@dataclass(frozen=True)
class Obligation:
    worker_id: str  # the record the person started under
    name: str
    organization: str | None
    region: str | None
    starts_on: date
    due_on: date
    completed_on: date | None
    records: tuple[str, ...] = ()  # every record of the person
    left_on: date | None = None  # when the last of them ended; None while one stays
    owed: bool = True  # a new hire by the cut-off (else only counted as hired that year)


def in_region(path: str | None, region: str | None) -> bool:
    return region is None or (
        path is not None and (path == region or path.startswith(region + "/"))
    )


def _start(record: Any) -> date:
    return record.hired_on or record.registered_on  # type: ignore[no-any-return]


def _undated_on_first_roster(records: list[Any], arrived: dict[str, date]) -> bool:
    return any(r.hired_on is None and r.registered_on <= arrived[r.department] for r in records)


def is_new_hire(records: list[Any], arrived: dict[str, date], new_hires_from: date | None) -> bool:
    """Whether a person (their ``tr_workers`` rows) owes pre-job training: started on or
    after the cut-off, and not on a first roster without a hiring date."""
    if new_hires_from is None:
        if _undated_on_first_roster(records, arrived):
            return False  # on their department's first roster, no hiring date: in service
        cutoff = min(arrived[r.department] for r in records)
    else:
        cutoff = new_hires_from
    return min(_start(r) for r in records) >= cutoff


async def roster_arrivals(conn: AsyncConnection) -> dict[str, date]:
    """The day each department's first roster record reached training."""
    return {
        d: on
        for d, on in await conn.execute(
            select(trainees.c.department, func.min(trainees.c.registered_on)).group_by(
                trainees.c.department
            )
        )
    }


async def prejob_obligations(
    conn: AsyncConnection,
    window_days: int,
    new_hires_from: date | None = None,
    persons: Persons | None = None,
    hired: bool = False,
) -> list[Obligation]:
    """The persons who owe pre-job training; with ``hired``, also everyone else whose
    hiring date is known (``owed`` false) — the pre-job coverage counts everyone hired in
    its year, whatever the cut-off."""
    persons = persons or await all_persons(conn)
    done: dict[str, date] = {}
    for row in await conn.execute(
        select(completions.c.worker_id, completions.c.completed_on).where(
            completions.c.kind == SessionKind.PREJOB.value
        )
    ):
        who = persons.of(row.worker_id)
        if who not in done or row.completed_on < done[who]:
            done[who] = row.completed_on
    arrived = await roster_arrivals(conn)
    # Every person of the city looked at: off the loop, so the service answers meanwhile.
    return await asyncio.to_thread(
        _obligations, persons, done, arrived, window_days, new_hires_from, hired
    )


def _obligations(
    persons: Persons,
    done: dict[str, date],
    arrived: dict[str, date],
    window_days: int,
    new_hires_from: date | None,
    hired: bool,
) -> list[Obligation]:
    found = []
    for who, records in sorted(persons.records.items()):
        owed = is_new_hire(records, arrived, new_hires_from)
        if not owed and not (hired and not _undated_on_first_roster(records, arrived)):
            continue
        first = min(records, key=lambda r: (_start(r), r.worker_id))
        start = _start(first)
        ended = [r.left_on for r in records]
        left = None if None in ended else max(ended)
        if left is not None and left <= later(start, window_days):
            continue  # left within the window: owes nothing any more
        found.append(
            Obligation(
                first.worker_id,
                first.name,
                first.organization,
                first.region,
                start,
                later(start, window_days),
                done.get(who),
                tuple(r.worker_id for r in records),
                left,
                owed,
            )
        )
    return found


async def overdue_report(
    conn: AsyncConnection,
    window_days: int,
    as_of: date,
    region: str | None = None,
    organization: str | None = None,
    new_hires_from: date | None = None,
) -> dict[str, Any]:
    """One line per person overdue, under the record they started with; ``records``
    lists every record of theirs."""
    overdue = [
        o
        for o in await prejob_obligations(conn, window_days, new_hires_from)
        if o.completed_on is None
        and o.due_on < as_of
        and (o.left_on is None or o.left_on > as_of)
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
        "new_hires_from": new_hires_from,
        "label": "people overdue for pre-job training",
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
                        "records": list(o.records),
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
