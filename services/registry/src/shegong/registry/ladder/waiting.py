"""Who is not (yet) eligible for a step, and why (未达标名单): every person the ladder
decides for, evaluated now from the facts the registry holds, with the rules they do not
meet. Unlike the decisions published as events (which start at "eligible for nothing"),
this names everyone — a newcomer as much as someone who lost an eligibility."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.kernel.events.schema import events_table
from shegong.registry.ladder.decide import Ladder
from shegong.registry.ladder.persons import everyone, facts_of
from shegong.registry.ladder.rules import evaluate
from shegong.registry.projections.workers import workers


async def not_eligible(
    conn: AsyncConnection,
    ladder: Ladder,
    day: date,
    step: str | None,
    department: str | None,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    own = list(
        await conn.scalars(
            select(events_table.c.stream_id)
            .where(events_table.c.aggregate_type == "worker")
            .distinct()
        )
    )
    persons = await everyone(conn, ladder.census, own)
    rows = {
        r.worker_id: r
        for r in await conn.execute(
            select(
                workers.c.worker_id,
                workers.c.name,
                workers.c.organization,
                workers.c.department,
                workers.c.left_on,
            )
        )
    }
    persons = [
        p
        for p in persons
        if any(
            w in rows and (rows[w].left_on is None or rows[w].left_on > day) for w in p.worker_ids
        )
        and (
            department is None
            or any(w in rows and rows[w].department == department for w in p.worker_ids)
        )
    ]
    steps = [s for s in ladder.steps if step is None or s.key == step]
    facts = await facts_of(conn, persons, {})
    found = []
    for person in persons:
        for decision in evaluate(steps, facts[person.lead], day):
            if not decision.eligible:
                found.append((person, decision))
    found.sort(key=lambda f: (f[0].lead, f[1].step))
    items = []
    for person, decision in found[offset : offset + limit]:
        lead = rows.get(person.lead)
        rules = [r.model_dump() for r in decision.rules]
        items.append(
            {
                "worker_id": person.lead,
                "person_id": person.person_id,
                "worker_ids": list(person.worker_ids),
                "step": decision.step,
                "step_label": decision.label,
                "step_zh": decision.label_zh,
                "department": lead.department if lead else None,
                "name": lead.name if lead else None,
                "organization": lead.organization if lead else None,
                "eligible": False,
                "as_of": day,
                "rules": rules,
                "unmet": [r for r in rules if not r["met"]],
                "admitted_on": None,
            }
        )
    return {"total": len(found), "as_of": day, "items": items}
