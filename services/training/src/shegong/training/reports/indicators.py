"""Training indicators (培训指标) for a year, optionally for one region of the tree.

- ``sessions``: sessions held in the year; for a region, those held at a base in it and
  those held at no base that a person working in it attended;
- ``person_times`` (人次): distinct census person × session of the year's sessions — a
  person signed in under two of their department records counts once in a session; for a
  region, the attendances of the persons working in it (the region of their latest record
  that names one), wherever the session was held: a region's figures count the persons
  whose organisation's region lies in it;
- ``trainees``: distinct census persons among them (``reports/persons.py``);
- ``hours``: training hours completed in those sessions, credited once per person and
  session (the most any of their records completed);
- ``by_kind`` / ``by_tier``: sessions and person-times per kind and per base tier;
- ``prejob_coverage``: of the persons hired in the year (the earliest hiring date of
  their records — or registration, for a record that came after its department's first
  roster — in the year, working in the region), the share who completed pre-job training
  within the window, under any of their records;
- ``examprep_pass_rate``: of the persons who attended an exam-prep session in the year and
  sat that year's exam, the share who passed (any level, under any of their records).
``as_of`` (a day of the year) counts the year so far: sessions held on or before it, hires
starting on or before it, pre-job training completed by then; exam results carry no date,
so the pass rate counts the year's results recorded so far. Every figure says as of which
event positions it was computed.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.training import SessionKind, Tier
from shegong.kernel.events.schema import projection_positions
from shegong.training.projections.records import attendance, bases, completions, exams, sessions
from shegong.training.reports.obligations import in_region, prejob_obligations
from shegong.training.reports.persons import all_persons


def _share(numerator: int, denominator: int) -> dict[str, Any]:
    return {
        "value": round(numerator / denominator, 4) if denominator else None,
        "numerator": numerator,
        "denominator": denominator,
    }


async def as_of(conn: AsyncConnection) -> dict[str, dict[str, int]]:
    """Per read model, the last event position applied from each producer it follows
    (sources are ``/shegong/<service>/<node>``)."""
    follows = {"training_records": "/shegong/training/", "training_workforce": "/shegong/registry/"}
    found: dict[str, dict[str, int]] = {name: {} for name in follows}
    for row in await conn.execute(
        select(projection_positions).where(projection_positions.c.projection.in_(list(follows)))
    ):
        if row.source.startswith(follows[row.projection]):
            found[row.projection][row.source] = int(row.position)
    return found


async def training_indicators(
    conn: AsyncConnection,
    year: int,
    window_days: int,
    region: str | None = None,
    as_of_date: date | None = None,
    new_hires_from: date | None = None,
) -> dict[str, Any]:
    first, last = date(year, 1, 1), as_of_date or date(year, 12, 31)
    base_rows = {b.base_id: b for b in await conn.execute(select(bases))}
    in_year = list(
        await conn.execute(
            select(sessions).where(sessions.c.held_on >= first, sessions.c.held_on <= last)
        )
    )
    ids = {s.session_id for s in in_year}
    kinds = {s.session_id: s.kind for s in in_year}
    tiers = {
        s.session_id: base_rows[s.base_id].tier if s.base_id in base_rows else "none"
        for s in in_year
    }
    persons = await all_persons(conn)
    placed: dict[str, bool] = {}

    def counted(person: str) -> bool:  # works in the region asked (any, when none is)
        if person not in placed:
            placed[person] = in_region(persons.region(person), region)
        return placed[person]

    attended = {
        (a.session_id, who)
        for a in await conn.execute(select(attendance.c.session_id, attendance.c.worker_id))
        if a.session_id in ids and counted(who := persons.of(a.worker_id))
    }
    attended_by = {sid for sid, _ in attended}
    held = [
        s
        for s in in_year
        if region is None
        or (
            in_region(base_rows[s.base_id].region, region)
            if s.base_id in base_rows
            else s.session_id in attended_by
        )
    ]
    credited: dict[tuple[str, str], float] = {}
    for c in await conn.execute(
        select(completions.c.session_id, completions.c.worker_id, completions.c.hours)
    ):
        if c.session_id in ids and counted(who := persons.of(c.worker_id)):
            key = (c.session_id, who)
            credited[key] = max(credited.get(key, 0.0), c.hours)
    hours = sum(credited.values())
    by_kind = {
        k.value: {
            "label_zh": k.zh,
            "sessions": sum(1 for s in held if s.kind == k.value),
            "person_times": sum(1 for sid, _ in attended if kinds[sid] == k.value),
        }
        for k in SessionKind
    }
    tier_labels = {t.value: t.zh for t in Tier} | {"none": "未指定基地"}
    by_tier = {
        t: {
            "label_zh": label,
            "sessions": sum(1 for s in held if tiers[s.session_id] == t),
            "person_times": sum(1 for sid, _ in attended if tiers[sid] == t),
        }
        for t, label in tier_labels.items()
    }
    hires = [
        o
        for o in await prejob_obligations(conn, window_days, new_hires_from, persons, hired=True)
        if first <= o.starts_on <= last and in_region(o.region, region)
    ]
    covered = sum(
        1 for o in hires if o.completed_on is not None and o.completed_on <= min(o.due_on, last)
    )
    prep = {w for sid, w in attended if kinds[sid] == SessionKind.EXAM_PREP.value}
    sat: dict[str, bool] = {}
    for e in await conn.execute(select(exams).where(exams.c.exam_year == year)):
        who = persons.of(e.worker_id)
        if who in prep:
            sat[who] = sat.get(who, False) or bool(e.passed)
    counts = Counter(sat.values())
    return {
        "year": year,
        "region": region,
        "as_of_date": last.isoformat(),
        "sessions": len(held),
        "person_times": len(attended),
        "trainees": len({w for _, w in attended}),
        "hours": round(hours, 2),
        "session_hours": round(sum(s.hours for s in held), 2),
        "by_kind": by_kind,
        "by_tier": by_tier,
        "prejob_coverage": {**_share(covered, len(hires)), "window_days": window_days},
        "examprep_pass_rate": {
            **_share(counts[True], len(sat)),
            "participants": len(prep),
        },
        "labels_zh": {
            "sessions": "培训班次",
            "person_times": "培训人次",
            "trainees": "参训人数",
            "hours": "完成学时",
            "prejob_coverage": "岗前培训覆盖率",
            "examprep_pass_rate": "考前冲刺参训人员考试通过率",
        },
        "as_of": await as_of(conn),
    }
