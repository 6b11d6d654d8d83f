"""``GET /ladder/{worker_id}``: where a person stands on the ladder and why (over all of
their census records); ``POST /ladder/{worker_id}/expert-pool``: admission to the expert
pool (专家库), ``…/expert-pool/leave``: leaving it — the city administrator's, named in
the events by the key that asked."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from shegong.contracts.ladder import LadderStep
from shegong.kernel.data.days import Day
from shegong.kernel.data.visible import VisibleText
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.ops.db import page, reading
from shegong.kernel.ops.runtime import Runtime
from shegong.kernel.web.access_log import audited_read
from shegong.kernel.web.auth import Ctx, admin_only
from shegong.registry.ladder.decide import Ladder, load_standing
from shegong.registry.ladder.eligibility import standings
from shegong.registry.ladder.models import (
    Admitted,
    Evaluated,
    LadderPage,
    LadderStandingView,
    LeftPool,
    NotEligiblePage,
)
from shegong.registry.ladder.persons import department_of
from shegong.registry.ladder.rules import evaluate
from shegong.registry.ladder.standing import LadderStanding, standing_id
from shegong.registry.ladder.sweep import evaluate_all
from shegong.registry.ladder.waiting import not_eligible
from shegong.registry.projections.workers import workers


class AdmitToExpertPool(BaseModel):
    model_config = ConfigDict(extra="forbid")
    admitted_on: Day | None = None


class LeaveExpertPool(BaseModel):
    model_config = ConfigDict(extra="forbid")
    left_on: Day | None = None
    reason: VisibleText = Field(min_length=1, max_length=200, description="Why (出库原因)")


def ladder_router(runtime: Runtime, ladder: Ladder) -> APIRouter:
    router = APIRouter(prefix="/ladder", tags=["ladder"])
    steps = ladder.steps

    @router.get(
        "",
        summary="Who is eligible for a ladder step, with the reasons (进阶名单)",
        response_model=LadderPage | NotEligiblePage,
        dependencies=[Depends(audited_read("ladder_list"))],
    )
    async def eligibility_list(
        step: Annotated[
            LadderStep | None,
            Query(description="assistant / intermediate / senior_review / expert_pool"),
        ] = None,
        eligible: Annotated[bool | None, Query(description="only the (not) eligible")] = None,
        department: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    ) -> dict[str, Any]:
        """The latest decision per person and step, newest first; each rule says what it
        asks (in Chinese and English), whether it is met and what the person has.

        ``eligible=false``: everyone not eligible today — each person the ladder decides
        for, evaluated now, with the rules they do not meet (``unmet``)."""
        if eligible is False:
            async with reading(runtime.engine) as conn:
                return await not_eligible(
                    conn, ladder, date.today(), step, department, limit, offset
                )
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

    @router.get(
        "/{worker_id}",
        summary="A person's ladder eligibility, rule by rule (三级进阶)",
        response_model=LadderStandingView,
    )
    async def standing(worker_id: str, as_of: date | None = None) -> dict[str, Any]:
        """Over all of the census person's records (``worker_ids``): what this record's
        person has, and each step's rules as of ``as_of`` (today by default)."""
        day = _day(as_of)
        async with runtime.store.transaction() as tx:
            person, _ = await ladder.person(tx, worker_id)
            facts = await ladder.facts(tx, person)
            admitted = [
                s.admitted_on
                for w in person.worker_ids
                if (s := await tx.load(LadderStanding, standing_id(w))) and s.admitted_on
            ]
            known = await tx.conn.scalar(
                select(workers.c.worker_id).where(workers.c.worker_id.in_(person.worker_ids))
            )
        if known is None and not facts.certificates and not facts.training and not facts.appraisals:
            raise DomainError(
                f"no worker {worker_id} (yet)",
                field="worker_id",
                code="not_found",
                zh=f"没有社工 {worker_id}（或尚未同步）",
            )
        levels = [lv for lv, d in facts.certificates if d <= day]
        highest = max(levels, key=lambda lv: lv.rank) if levels else None
        return {
            "worker_id": worker_id,
            "person_id": person.person_id,
            "worker_ids": list(person.worker_ids),
            "decided_under": person.lead,
            "as_of": day,
            "highest_certificate": highest,
            "highest_certificate_zh": highest.zh if highest else None,
            "certificates": [{"level": lv, "certified_on": d} for lv, d in facts.certificates],
            "training_hours": sum(h for _, h in facts.training),
            "appraisals": [
                {"period": p, "grade": g, "grade_zh": g.zh} for p, g, _ in facts.appraisals
            ],
            "expert_pool_admitted_on": min(admitted) if admitted else None,
            "steps": [d.as_dict() for d in evaluate(steps, facts, day)],
        }

    @router.post(
        "/evaluate",
        summary="Re-evaluate every worker of this node now (city admin only)",
        dependencies=[Depends(admin_only)],
        response_model=Evaluated,
    )
    async def evaluate_now(ctx: Ctx, as_of: date | None = None) -> dict[str, Any]:
        """Rules that depend on time (a certificate held N years) change without an event:
        this publishes every decision that changed (the registry also does it daily, at
        REGISTRY_LADDER_SWEEP_AT). Every department's workers: the administrator's; the
        decisions name the key that asked. Not as of a day after today (round 10: as of
        2100-12-31 the decisions stood as the city's latest — 进阶名单 — until 2100, past
        every daily sweep); ``GET /ladder/{worker_id}?as_of=`` answers "what if"."""
        day = _day(as_of)
        if day > date.today():
            raise DomainError(
                f"as_of {day} is after today: its decisions would stand as the latest until "
                "then; ask GET /ladder/{worker_id}?as_of= for a later day",
                field="as_of",
                zh=f"as_of：{day} 晚于今天，其评定将一直作为最新结果；查看以后的某天请用 "
                "GET /ladder/{worker_id}?as_of=",
            )
        return await evaluate_all(ladder, day, ctx)

    @router.post(
        "/{worker_id}/expert-pool",
        status_code=201,
        summary="Admit to the expert pool (专家库; city admin only)",
        dependencies=[Depends(admin_only)],
        response_model=Admitted,
    )
    async def admit(worker_id: str, cmd: AdmitToExpertPool, ctx: Ctx) -> dict[str, Any]:
        """The expert pool is the city's (like its import): the administrator admits the
        census person (kept under their lead record); the event names the key that did
        (and the person in ``X-Actor``) and the record's department."""
        day = cmd.admitted_on or date.today()
        async with runtime.store.transaction(ctx) as tx:
            person, worker = await ladder.person(tx, worker_id)
            if worker is None and not ladder.census:
                raise DomainError(
                    f"no worker {worker_id} on this registry node",
                    field="worker_id",
                    code="not_found",
                    zh=f"本登记节点上没有社工 {worker_id}",
                )
            if await department_of(tx.conn, person.lead) is None and worker is None:
                raise DomainError(
                    f"no worker {worker_id} (yet)",
                    field="worker_id",
                    code="not_found",
                    zh=f"没有社工 {worker_id}（或尚未同步）",
                )
            for other in person.worker_ids:
                held = await tx.load(LadderStanding, standing_id(other))
                if other != person.lead and held is not None and held.admitted_on is not None:
                    raise DomainError(
                        f"already in the expert pool since {held.admitted_on}, under record "
                        f"{other} (已入库)",
                        field="worker_id",
                        code="conflict",
                    )
            facts = await ladder.facts(tx, person)
            decision = next(
                (d for d in evaluate(steps, facts, day) if d.step == "expert_pool"), None
            )
            if decision is None:
                raise DomainError(
                    "the ladder's rules define no expert_pool step (规则中未定义专家库)",
                    field="worker_id",
                    code="conflict",
                )
            tx.ctx = replace(ctx, department=await department_of(tx.conn, person.lead))
            standing = await load_standing(tx, person.lead)
            standing.admit_to_expert_pool(decision, day)
            events = await tx.save(standing)
        return {
            "worker_id": person.lead,
            "person_id": person.person_id,
            "admitted_on": day,
            "decision": decision.as_dict(),
            "events": [{"type": e.type, "id": e.id, "sequence": e.sequence} for e in events],
        }

    @router.post(
        "/{worker_id}/expert-pool/leave",
        summary="An expert leaves the expert pool (出库; city admin only)",
        dependencies=[Depends(admin_only)],
        response_model=LeftPool,
    )
    async def leave(worker_id: str, cmd: LeaveExpertPool, ctx: Ctx) -> dict[str, Any]:
        """From ``left_on`` (today by default) the expert is no longer offered as a
        lecturer (training) or a supervisor (matching): they follow ``ExpertPoolLeft``."""
        day = _day(cmd.left_on)
        async with runtime.store.transaction(ctx) as tx:
            person, _ = await ladder.person(tx, worker_id)
            held = None
            for other in person.worker_ids:
                found = await tx.load(LadderStanding, standing_id(other))
                if found is not None and found.admitted_on is not None:
                    held = found
            if held is None:
                raise DomainError(
                    f"{worker_id} is not in the expert pool (不在专家库中)",
                    field="worker_id",
                    code="conflict",
                )
            tx.ctx = replace(ctx, department=await department_of(tx.conn, held.worker_id))
            held.leave_expert_pool(day, cmd.reason)
            events = await tx.save(held)
        return {
            "worker_id": held.worker_id,
            "left_on": day,
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
