"""How complete the census is: coverage of an area's persons, and the quality report (the
fields each department's records lack, and the rows kept with problems, named)."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.registry.adapters.roster_records import roster_records
from shegong.registry.census.queries import (
    certificates_of,
    group_by_person,
    rows_of,
    summary,
)
from shegong.registry.census.tables import (
    records,
    reviews,
)

# Fields a department's record should carry; missing ones are data-quality problems.
QUALITY_FIELDS: tuple[tuple[str, str], ...] = (
    ("id_masked", "身份证号"),
    ("gender", "性别"),
    ("birth_date", "出生日期"),
    ("phone_masked", "手机号"),
    ("organization", "工作单位"),
    ("post", "岗位类别"),
    ("county", "所属区县"),
    ("hired_on", "入职日期"),
)


async def coverage(
    conn: AsyncConnection, a: str | None = None, b: str | None = None
) -> dict[str, Any]:
    """Who department ``a`` reports that department ``b`` does not.

    Without ``a``/``b``: the matrix of counts (persons reported by the row's department and
    missing from the column's) and each department's person count. Counted in a worker
    thread: over every record, seconds on a large census that held the service's loop
    (round 9: 4.6–8.2 s of ``/health`` at 40,000 records)."""
    pairs = (await conn.execute(select(records.c.person_id, records.c.department))).all()
    if a is None or b is None:
        return await asyncio.to_thread(_matrix, pairs)
    departments, missing = await asyncio.to_thread(_missing, pairs, a, b)
    for code in (a, b):
        if code not in departments:
            raise LookupError(f"department {code!r} has no records in the census")
    rows = await rows_of(conn, missing)
    certs = await certificates_of(conn, [r.key for r in rows])
    persons = await asyncio.to_thread(
        lambda: [summary(pid, rs, certs) for pid, rs in group_by_person(rows).items()]
    )
    return {"a": a, "b": b, "count": len(missing), "persons": persons}


def _departments_of(pairs: Sequence[Any]) -> dict[str, set[str]]:
    by_person: dict[str, set[str]] = defaultdict(set)
    for r in pairs:
        by_person[r.person_id].add(r.department)
    return by_person


def _matrix(pairs: Sequence[Any]) -> dict[str, Any]:
    by_person = _departments_of(pairs)
    departments = sorted({d for ds in by_person.values() for d in ds})
    matrix = {x: {y: 0 for y in departments if y != x} for x in departments}
    persons = Counter[str]()
    for ds in by_person.values():
        for x in ds:
            persons[x] += 1
            for y in departments:
                if y != x and y not in ds:
                    matrix[x][y] += 1
    return {"departments": departments, "persons": dict(persons), "missing_from": matrix}


def _missing(pairs: Sequence[Any], a: str, b: str) -> tuple[set[str], list[str]]:
    """The departments with records, and the persons ``a`` reports and ``b`` does not."""
    by_person = _departments_of(pairs)
    departments = {d for ds in by_person.values() for d in ds}
    return departments, sorted(p for p, ds in by_person.items() if a in ds and b not in ds)


QUALITY_ROWS_SHOWN = 200  # per department; the count covers them all


async def quality(conn: AsyncConnection) -> dict[str, Any]:
    """Per department: records, bad or missing ID numbers, missing fields, pairs in review.
    Read here, counted in a worker thread (round 9: 2.6 s of the loop at 40,000 records)."""
    found = (await conn.execute(select(records))).all()
    pairs = (await conn.execute(select(reviews.c.a, reviews.c.b))).all()
    # The rows kept with a value left out (or another of their problems), as the last
    # import of each record reported them: row number, the department's own key, reasons.
    problems = (
        await conn.execute(
            select(roster_records.c.department, roster_records.c.problems)
            .where(roster_records.c.problems.is_not(None))
            .order_by(roster_records.c.department, roster_records.c.row_number)
        )
    ).all()
    return await asyncio.to_thread(_quality, found, pairs, problems)


def _quality(found: Sequence[Any], pairs: Sequence[Any], problems: Sequence[Any]) -> dict[str, Any]:
    stats: dict[str, dict[str, Any]] = {}
    for r in found:
        s = stats.setdefault(
            r.department,
            {
                "records": 0,
                "persons": set(),
                "invalid_id": 0,
                "missing": {f: 0 for f, _ in QUALITY_FIELDS},
                "in_review": 0,
            },
        )
        s["records"] += 1
        s["persons"].add(r.person_id)
        if r.id_masked and not r.id_hash:
            s["invalid_id"] += 1
        for f, _ in QUALITY_FIELDS:
            if getattr(r, f) in (None, ""):
                s["missing"][f] += 1
    dept_of = {r.key: r.department for r in found}
    for p in pairs:
        for d in {dept_of.get(p.a), dept_of.get(p.b)} - {None}:
            stats[d]["in_review"] += 1  # type: ignore[index]
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in problems:
        if r.problems:
            rows[r.department].append(r.problems)
    labels = dict(QUALITY_FIELDS)
    return {
        "fields": [{"field": f, "label_zh": labels[f]} for f, _ in QUALITY_FIELDS],
        "rows_with_problems": {
            d: {"rows": len(listed), "first": listed[:QUALITY_ROWS_SHOWN]}
            for d, listed in sorted(rows.items())
        },
        "departments": {
            d: {
                **s,
                "persons": len(s["persons"]),
                "duplicates_within": s["records"] - len(s["persons"]),
            }
            for d, s in sorted(stats.items())
        },
    }
