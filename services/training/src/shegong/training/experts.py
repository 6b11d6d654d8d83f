"""Experts at work in training (专家授课): the city expert pool (专家库) as training knows it,
and experts assigned to lecture sessions.

``ExpertRosterProjection`` follows the registry's ``ExpertPoolAdmitted`` /
``ExpertPoolLeft``: who is in the pool now. ``POST /sessions/{id}/lecturers`` assigns an
expert of the pool to a session (refused, in Chinese and English, for anyone not in the
pool or no longer in it) as ``LecturerAssigned`` — one stream per session and expert,
scoped like every change to a session (a department key,
its own sessions only) and named by the key that asked. ``LecturesProjection`` keeps the
deployments; ``GET /experts/{id}/deployments`` lists an expert's lectures and hours.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Column, Date, Float, MetaData, String, Table, delete
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shegong.contracts import Envelope, Event
from shegong.contracts.training import TRAINING_STREAM, LecturerAssigned
from shegong.kernel.events.aggregate import Aggregate, DomainError
from shegong.kernel.events.expert_pool import ExpertPool, ExpertPoolProjection
from shegong.kernel.events.read_model import Projection
from shegong.kernel.events.store import EventStore
from shegong.kernel.ops.db import reading
from shegong.kernel.web.auth import Ctx
from shegong.kernel.web.responses import ApiModel, Number, row_model
from shegong.training.api.models import SavedEventRef
from shegong.training.application.handlers import TrainingCommands
from shegong.training.projections.workforce import trainees

metadata = MetaData()

POOL = ExpertPool("tr_experts")

lectures = Table(
    "tr_lectures",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("expert_id", String(64), primary_key=True, index=True),
    Column("held_on", Date, nullable=False),
    Column("hours", Float, nullable=False),
    Column("department", String(64)),
)


class ExpertRosterProjection(ExpertPoolProjection):
    name = "training_experts"
    pool = POOL
    metadata = POOL.metadata


class LecturesProjection(Projection):
    name = "training_lectures"
    contract = TRAINING_STREAM
    aggregates = frozenset({"lecture"})
    handles = frozenset({"LecturerAssigned"})
    metadata = metadata

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        if isinstance(event, LecturerAssigned):
            key = (lectures.c.session_id == event.session_id) & (
                lectures.c.expert_id == event.expert_id
            )
            await conn.execute(delete(lectures).where(key))
            await conn.execute(
                lectures.insert().values(
                    session_id=event.session_id,
                    expert_id=event.expert_id,
                    held_on=event.held_on,
                    hours=event.hours,
                    department=event.department,
                )
            )


class Lecture(Aggregate):
    """One expert lecturing one session."""

    type_name = "lecture"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.assigned = False

    def assign(self, event: LecturerAssigned) -> None:
        if self.assigned:
            raise DomainError(
                f"{event.expert_id} already lectures session {event.session_id} (已安排该专家授课)",
                field="expert_id",
                code="conflict",
            )
        self.record(event)

    def when_LecturerAssigned(self, e: LecturerAssigned) -> None:
        self.assigned = True


def lecture_id(session_id: str, expert_id: str) -> str:
    """The stream of one expert's lecture in one session (a digest: stream ids are short)."""
    return "lecture:" + hashlib.sha256(f"{session_id}\n{expert_id}".encode()).hexdigest()[:40]


class AssignLecturer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expert_id: str = Field(min_length=1, max_length=64, description="The expert's worker id")
    hours: float | None = Field(
        default=None, ge=0, le=1000, description="Hours taught (default: the session's)"
    )


class LectureView(ApiModel):
    session_id: str
    expert_id: str
    hours: Number
    held_on: date
    department: str | None


class LectureResult(ApiModel):
    lecture: LectureView
    events: list[SavedEventRef]


class PoolMember(row_model(POOL.table)):  # type: ignore[misc]
    """An expert of the pool, with their name and organisation as training knows them."""

    name: str | None
    organization: str | None


class LectureRow(row_model(lectures)):  # type: ignore[misc]
    """One session the expert lectured."""


class Deployments(ApiModel):
    expert_id: str
    in_pool: bool
    hours: Number = Field(description="Hours taught, summed over the lectures")
    lectures: list[LectureRow]


def experts_router(store: EventStore, engine: AsyncEngine) -> APIRouter:
    router = APIRouter(tags=["experts"])

    @router.post(
        "/sessions/{session_id}/lecturers",
        status_code=201,
        summary="Assign an expert of the pool to lecture a session (专家授课)",
        response_model=LectureResult,
    )
    async def assign(session_id: str, cmd: AssignLecturer, ctx: Ctx) -> dict[str, Any]:
        async with store.transaction(ctx) as tx:
            session = await TrainingCommands.session(tx, session_id)  # scoped like any change
            await POOL.require_active(tx.conn, cmd.expert_id, "授课")
            hours = session.hours if cmd.hours is None else cmd.hours
            if hours > session.hours:
                raise DomainError(
                    f"hours {hours} exceed the session's {session.hours} (学时超过本班次学时)",
                    field="hours",
                )
            stream = lecture_id(session_id, cmd.expert_id)
            lecture = await tx.load(Lecture, stream) or Lecture(stream)
            event = LecturerAssigned(
                session_id=session_id,
                expert_id=cmd.expert_id,
                hours=hours,
                held_on=session.held_on,
                department=session.department,
            )
            lecture.assign(event)
            saved = await tx.save(lecture)
        return {
            "lecture": event.data(),
            "events": [{"type": e.type, "id": e.id, "sequence": e.sequence} for e in saved],
        }

    @router.get(
        "/experts",
        summary="The city expert pool as training knows it (专家库)",
        response_model=list[PoolMember],
    )
    async def pool(include_left: bool = False) -> list[dict[str, Any]]:
        shown = (trainees.c.name, trainees.c.organization)
        async with reading(engine) as conn:
            return await POOL.members(conn, trainees, trainees.c.worker_id, shown, include_left)

    @router.get(
        "/experts/{expert_id}/deployments",
        summary="An expert's lectures and hours (专家授课记录)",
        response_model=Deployments,
    )
    async def deployments(expert_id: str) -> dict[str, Any]:
        order = (lectures.c.held_on, lectures.c.session_id)
        async with reading(engine) as conn:
            found = await POOL.deployments(conn, expert_id, lectures, order)
        rows = found.pop("rows")
        return {**found, "lectures": rows}

    return router
