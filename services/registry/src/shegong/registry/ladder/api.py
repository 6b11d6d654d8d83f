"""``GET /ladder/{worker_id}``: where a worker stands on the ladder and why;
``POST /ladder/{worker_id}/expert-pool``: admission to the expert pool (专家库)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from shegong.contracts.ladder import LadderStep
from shegong.contracts.registry import CertificateLevel
from shegong.kernel.aggregate import DomainError
from shegong.kernel.auth import Ctx, admin_only
from shegong.kernel.db import page, reading
from shegong.kernel.runtime import Runtime
from shegong.registry.domain.worker import Worker
from shegong.registry.ladder.eligibility import standings
from shegong.registry.ladder.process import ladder_facts
from shegong.registry.ladder.rules import evaluate, load_ladder
from shegong.registry.ladder.standing import LadderStanding, standing_id
from shegong.registry.ladder.sweep import evaluate_all
from shegong.registry.projections.workers import certificates as certificate_rows
from shegong.registry.projections.workers import workers


class AdmitToExpertPool(BaseModel):
    model_config = ConfigDict(extra="forbid")
    admitted_on: date | None = None


def ladder_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(prefix="/ladder", tags=["ladder"])
    steps = load_ladder()

    @router.get("", summary="Who is eligible for a ladder step, with the reasons (进阶名单)")
    async def eligibility_list(
        step: Annotated[LadderStep | None, Query(description="senior_review / expert_pool")] = None,
        eligible: Annotated[bool | None, Query(description="only the (not) eligible")] = None,
        department: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    ) -> dict[str, Any]:
        """The latest decision per worker and step, newest first; each rule says what it
        asks (in Chinese and English), whether it is met and what the worker has."""
        cond = []
        if step is not None:
            cond.append(standings.c.step == step)
        if eligible is not None:
            cond.append(standings.c.eligible == eligible)
        if department is not None:
            cond.append(standings.c.department == department)
        joined = standings.outerjoin(workers, workers.c.worker_id == standings.c.worker_id)
        query = (
            select(standings, workers.c.name, workers.c.organization)
            .select_from(joined)
            .where(*cond)
            .order_by(standings.c.as_of.desc(), standings.c.worker_id, standings.c.step)
        )
        async with reading(runtime.engine) as conn:
            total, rows = await page(conn, query, limit, offset)
        labels = {s.key: (s.label, s.label_zh) for s in steps}
        items = [
            {
                **r._asdict(),
                "step_label": labels.get(r.step, (r.step, r.step))[0],
                "step_zh": labels.get(r.step, (r.step, r.step))[1],
            }
            for r in rows
        ]
        return {"total": total, "items": items}

    @router.get("/{worker_id}", summary="A worker's ladder eligibility, rule by rule (三级进阶)")
    async def standing(worker_id: str, as_of: date | None = None) -> dict[str, Any]:
        day = _day(as_of)
        async with reading(runtime.engine) as conn:
            rows = await conn.execute(
                select(certificate_rows.c.level, certificate_rows.c.certified_on).where(
                    certificate_rows.c.worker_id == worker_id
                )
            )
            certs = [(CertificateLevel(r.level), r.certified_on) for r in rows]
            facts = await ladder_facts(conn, worker_id, certs)
        async with runtime.store.transaction() as tx:
            worker = await tx.load(Worker, worker_id)
            if worker is not None:  # this node's own record is the freshest
                certs = [(c.level, c.certified_on) for c in worker.certificates]
                facts = await ladder_facts(tx.conn, worker_id, certs)
            ladder = await tx.load(LadderStanding, standing_id(worker_id))
        if worker is None and not certs and not facts.training and not facts.appraisals:
            raise DomainError(f"no worker {worker_id} (yet)", field="worker_id", code="not_found")
        levels = [lv for lv, d in certs if d <= day]
        highest = max(levels, key=lambda lv: lv.rank) if levels else None
        return {
            "worker_id": worker_id,
            "as_of": day,
            "highest_certificate": highest,
            "highest_certificate_zh": highest.zh if highest else None,
            "certificates": [
                {"level": lv, "certified_on": d} for lv, d in sorted(certs, key=lambda c: c[1])
            ],
            "training_hours": sum(h for _, h in facts.training),
            "appraisals": [
                {"period": p, "grade": g, "grade_zh": g.zh} for p, g, _ in facts.appraisals
            ],
            "expert_pool_admitted_on": ladder.admitted_on if ladder else None,
            "steps": [d.as_dict() for d in evaluate(steps, facts, day)],
        }

    @router.post(
        "/evaluate",
        summary="Re-evaluate every worker of this node now (city admin only)",
        dependencies=[Depends(admin_only)],
    )
    async def evaluate_now(ctx: Ctx, as_of: date | None = None) -> dict[str, Any]:
        """Rules that depend on time (a certificate held N years) change without an event:
        this publishes every decision that changed (the registry also does it daily, at
        REGISTRY_LADDER_SWEEP_AT). Every department's workers: the administrator's; the
        decisions name the key that asked."""
        return await evaluate_all(runtime.store, steps, _day(as_of), ctx)

    @router.post(
        "/{worker_id}/expert-pool",
        status_code=201,
        summary="Admit to the expert pool (专家库; city admin only)",
        dependencies=[Depends(admin_only)],
    )
    async def admit(worker_id: str, cmd: AdmitToExpertPool, ctx: Ctx) -> dict[str, Any]:
        """The expert pool is the city's (like its import): the administrator admits;
        the event names the key that did (and the person in ``X-Actor``)."""
        day = cmd.admitted_on or date.today()
        async with runtime.store.transaction(ctx) as tx:
            worker = await tx.load(Worker, worker_id)
            if worker is None:
                raise DomainError(
                    f"no worker {worker_id} on this registry node",
                    field="worker_id",
                    code="not_found",
                )
            tx.ctx = replace(ctx, department=worker.profile.get("department"))
            certs = [(c.level, c.certified_on) for c in worker.certificates]
            facts = await ladder_facts(tx.conn, worker_id, certs)
            decision = next(d for d in evaluate(steps, facts, day) if d.step == "expert_pool")
            ladder = await tx.load(LadderStanding, standing_id(worker_id)) or LadderStanding(
                standing_id(worker_id)
            )
            ladder.admit_to_expert_pool(decision, day)
            events = await tx.save(ladder)
        return {
            "worker_id": worker_id,
            "admitted_on": day,
            "decision": decision.as_dict(),
            "events": [{"type": e.type, "id": e.id, "sequence": e.sequence} for e in events],
        }

    return router


def _day(as_of: date | None) -> date:
    """The day a ladder is read or evaluated as of: today, or a day the rules can count
    years back from (a certificate held N years) — 1900 to 2100."""
    if as_of is None:
        return date.today()
    if not date(1900, 1, 1) <= as_of <= date(2100, 12, 31):
        raise DomainError(
            f"as_of {as_of} is outside 1900–2100 / 日期应在1900年至2100年之间", field="as_of"
        )
    return as_of
