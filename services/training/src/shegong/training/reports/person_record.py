"""A census person's training, added up over all their department records: sessions
attended and completed, hours, the earliest pre-job completion, appraisals and exam
results — whichever record each was recorded under."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.training import AppraisalGrade, SessionKind
from shegong.training.projections.records import assessments, attendance, completions, exams
from shegong.training.reports.persons import records_of


async def person_record(conn: AsyncConnection, worker_id: str) -> dict[str, Any]:
    records = await records_of(conn, worker_id)
    ids = [r.worker_id for r in records]
    attended = {
        a.session_id
        for a in await conn.execute(
            select(attendance.c.session_id).where(attendance.c.worker_id.in_(ids))
        )
    }
    credited: dict[str, float] = {}
    prejob = None
    for c in await conn.execute(select(completions).where(completions.c.worker_id.in_(ids))):
        credited[c.session_id] = max(credited.get(c.session_id, 0.0), c.hours)
        if c.kind == SessionKind.PREJOB.value and (prejob is None or c.completed_on < prejob):
            prejob = c.completed_on
    # One appraisal per period: the latest recorded under any of the records.
    by_period: dict[str, Any] = {}
    for a in await conn.execute(select(assessments).where(assessments.c.worker_id.in_(ids))):
        held = by_period.get(a.period)
        if held is None or (a.assessed_on, a.worker_id) > (held.assessed_on, held.worker_id):
            by_period[a.period] = a
    # One exam result per year and level: passed under any record is passed.
    results: dict[tuple[int, str], bool] = {}
    for e in await conn.execute(select(exams).where(exams.c.worker_id.in_(ids))):
        key = (e.exam_year, e.level)
        results[key] = results.get(key, False) or bool(e.passed)
    return {
        "person": ids[0] if ids else worker_id,
        "records": [
            {
                "worker_id": r.worker_id,
                "department": r.department,
                "organization": r.organization,
                "left_on": r.left_on,
            }
            for r in records
        ],
        "sessions_attended": len(attended),
        "sessions_completed": len(credited),
        "hours": round(sum(credited.values()), 2),
        "prejob_completed_on": prejob,
        "assessments": [
            {
                "period": a.period,
                "grade": a.grade,
                "grade_zh": AppraisalGrade(a.grade).zh,
                "score": a.score,
                "assessed_on": a.assessed_on,
                "worker_id": a.worker_id,
            }
            for _, a in sorted(by_period.items())
        ],
        "exams": [
            {"exam_year": y, "level": lv, "passed": p}
            for (y, lv), p in sorted(results.items(), reverse=True)
        ],
    }
