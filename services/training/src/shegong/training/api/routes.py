"""The training service's HTTP API (FastAPI; OpenAPI at /docs)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.contracts.registry import CertificateLevel
from shegong.contracts.training import SessionKind, Tier
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.ops.db import page, reading
from shegong.kernel.web.access_log import POLLED, audited_read
from shegong.kernel.web.auth import Ctx
from shegong.training.api.models import (
    TRAINEE_DIGESTS,
    AssessmentResult,
    BaseResult,
    BaseRow,
    ExamPage,
    OverdueReport,
    SessionDetail,
    SessionListed,
    SessionResult,
    Trainee,
    TrainingIndicators,
)
from shegong.training.application.handlers import TrainingCommands
from shegong.training.domain.commands import (
    Complete,
    Enrol,
    RecordAssessment,
    RegisterBase,
    ScheduleSession,
    SignIn,
)
from shegong.training.projections.records import attendance, bases, exams, sessions
from shegong.training.projections.workforce import trainees
from shegong.training.reports.indicators import training_indicators
from shegong.training.reports.obligations import overdue_report
from shegong.training.reports.person_record import person_record


def training_router(commands: TrainingCommands, engine: AsyncEngine) -> APIRouter:
    router = APIRouter(tags=["training"])

    @router.post(
        "/bases",
        status_code=201,
        summary="Register a training or practice base",
        response_model=BaseResult,
    )
    async def register_base(cmd: RegisterBase, ctx: Ctx) -> dict[str, Any]:
        return await commands.register_base(cmd, ctx)

    @router.get("/bases", summary="The training network (培训网络)", response_model=list[BaseRow])
    async def list_bases() -> list[dict[str, Any]]:
        async with reading(engine) as conn:
            return [r._asdict() for r in await conn.execute(select(bases).order_by(bases.c.name))]

    @router.post(
        "/sessions",
        status_code=201,
        summary="Schedule a session (排课)",
        response_model=SessionResult,
        response_model_exclude_unset=True,
    )
    async def schedule(cmd: ScheduleSession, ctx: Ctx) -> dict[str, Any]:
        return await commands.schedule(cmd, ctx)

    @router.get(
        "/sessions",
        summary="Sessions, newest first, with base and labels",
        response_model=list[SessionListed],
        response_model_exclude_unset=True,
    )
    async def list_sessions(
        year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    ) -> list[dict[str, Any]]:
        query = (
            select(
                sessions,
                bases.c.name.label("base_name"),
                bases.c.tier.label("tier"),
                bases.c.region.label("region"),
            )
            .join(bases, bases.c.base_id == sessions.c.base_id, isouter=True)
            .order_by(sessions.c.held_on.desc())
        )
        if year:
            query = query.where(
                sessions.c.held_on >= date(year, 1, 1), sessions.c.held_on <= date(year, 12, 31)
            )
        async with reading(engine) as conn:
            return [_labelled(r._asdict()) for r in await conn.execute(query)]

    @router.get(
        "/sessions/{session_id}",
        summary="One session with its attendance",
        response_model=SessionDetail,
        response_model_exclude_unset=True,
        dependencies=[Depends(audited_read("session_attendance", POLLED))],
    )
    async def get_session(session_id: str) -> dict[str, Any]:
        async with reading(engine) as conn:
            row = (
                await conn.execute(select(sessions).where(sessions.c.session_id == session_id))
            ).first()
            if row is None:
                raise DomainError(
                    "no such session: session_id",
                    field="session_id",
                    code="not_found",
                    zh="没有该培训班次：session_id",
                )
            present = await conn.execute(
                select(attendance.c.worker_id, attendance.c.signed_at, trainees.c.name)
                .join(trainees, trainees.c.worker_id == attendance.c.worker_id, isouter=True)
                .where(attendance.c.session_id == session_id)
                .order_by(attendance.c.signed_at)
            )
            return {**_labelled(row._asdict()), "attendance": [a._asdict() for a in present]}

    @router.post(
        "/sessions/{session_id}/enrolments",
        summary="Enrol a worker (报名)",
        response_model=SessionResult,
        response_model_exclude_unset=True,
    )
    async def enrol(session_id: str, cmd: Enrol, ctx: Ctx) -> dict[str, Any]:
        return await commands.enrol(session_id, cmd, ctx)

    @router.post(
        "/sessions/{session_id}/attendance",
        summary="Record a sign-in (签到)",
        response_model=SessionResult,
        response_model_exclude_unset=True,
    )
    async def sign_in(session_id: str, cmd: SignIn, ctx: Ctx) -> dict[str, Any]:
        return await commands.sign_in(session_id, cmd, ctx)

    @router.post(
        "/sessions/{session_id}/completions",
        summary="Record a completion (结业)",
        response_model=SessionResult,
        response_model_exclude_unset=True,
    )
    async def complete(session_id: str, cmd: Complete, ctx: Ctx) -> dict[str, Any]:
        return await commands.complete(session_id, cmd, ctx)

    @router.post(
        "/sessions/{session_id}/complete",
        summary="Everyone who attended completes",
        response_model=SessionResult,
        response_model_exclude_unset=True,
    )
    async def complete_all(session_id: str, ctx: Ctx) -> dict[str, Any]:
        return await commands.complete_all(session_id, ctx)

    @router.post(
        "/assessments",
        status_code=201,
        summary="Record an appraisal (考核)",
        response_model=AssessmentResult,
    )
    async def assess(cmd: RecordAssessment, ctx: Ctx) -> dict[str, Any]:
        return await commands.assess(cmd, ctx)

    @router.get(
        "/workforce/{worker_id}",
        summary="A worker as training knows them, with their census person's training",
        response_model=Trainee,
    )
    async def trainee(worker_id: str) -> dict[str, Any]:
        async with reading(engine) as conn:
            row = (
                await conn.execute(select(trainees).where(trainees.c.worker_id == worker_id))
            ).first()
            person = await person_record(conn, worker_id) if row is not None else None
        if row is None:
            raise DomainError(
                "no such trainee (yet): worker_id",
                field="worker_id",
                code="not_found",
                zh="没有该人员的培训记录（或尚未同步）：worker_id",
            )
        found = row._asdict()
        for digest in TRAINEE_DIGESTS:
            found.pop(digest)
        return {**found, "person": person}

    return router


def _labelled(row: dict[str, Any]) -> dict[str, Any]:
    """Codes with their Chinese labels beside them, for people reading the answer."""
    row["kind_zh"] = SessionKind(row["kind"]).zh
    if row.get("tier"):
        row["tier_zh"] = Tier(row["tier"]).zh
    return row


def reports_router(
    engine: AsyncEngine, window_days: int, new_hires_from: date | None = None
) -> APIRouter:
    router = APIRouter(tags=["reports"])

    @router.get(
        "/indicators/training",
        summary="Training indicators for a year (培训指标)",
        response_model=TrainingIndicators,
    )
    async def indicators(
        year: Annotated[int, Query(ge=2000, le=2100)],
        region: Annotated[str | None, Query(description="Region path, e.g. 安定区")] = None,
        as_of: Annotated[
            date | None, Query(description="a day of the year: the year so far (default 31 Dec)")
        ] = None,
    ) -> dict[str, Any]:
        if as_of is not None and as_of.year != year:
            raise DomainError(
                f"as_of: {as_of} is not a day of {year}",
                field="as_of",
                zh=f"as_of：{as_of} 不在 {year} 年内",
            )
        async with reading(engine) as conn:
            return await training_indicators(conn, year, window_days, region, as_of, new_hires_from)

    @router.get(
        "/exams",
        summary="National exam results (考试成绩), newest year first",
        response_model=ExamPage,
        dependencies=[Depends(audited_read("exam_results"))],
    )
    async def exam_results(
        year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
        level: Annotated[
            CertificateLevel | None, Query(description="assistant/intermediate/senior")
        ] = None,
        passed: bool | None = None,
        department: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    ) -> dict[str, Any]:
        """Each result with the worker as training knows them (name, organization, masked ID
        number); ``passed`` results have become certificates in the registry by themselves."""
        cond = []
        if year is not None:
            cond.append(exams.c.exam_year == year)
        if level is not None:
            cond.append(exams.c.level == level.value)
        if passed is not None:
            cond.append(exams.c.passed == passed)
        if department is not None:
            cond.append(trainees.c.department == department)
        joined = exams.outerjoin(trainees, trainees.c.worker_id == exams.c.worker_id)
        query = (
            select(
                exams.c.worker_id,
                exams.c.exam_year,
                exams.c.level,
                exams.c.passed,
                trainees.c.name,
                trainees.c.department,
                trainees.c.organization,
                trainees.c.id_number_masked,
            )
            .select_from(joined)
            .where(*cond)
            .order_by(exams.c.exam_year.desc(), exams.c.level, exams.c.worker_id)
        )
        async with reading(engine) as conn:
            total, rows = await page(conn, query, limit, offset)
        items = [{**r._asdict(), "level_zh": CertificateLevel(r.level).zh} for r in rows]
        return {"total": total, "items": items}

    @router.get(
        "/obligations/prejob/overdue",
        summary="Overdue pre-job training (逾期岗前培训)",
        response_model=OverdueReport,
        dependencies=[Depends(audited_read("prejob_overdue", POLLED))],
    )
    async def overdue(
        region: str | None = None,
        organization: str | None = None,
        as_of: date | None = None,
    ) -> dict[str, Any]:
        async with reading(engine) as conn:
            return await overdue_report(
                conn, window_days, as_of or date.today(), region, organization, new_hires_from
            )

    return router
