"""Command handlers: load, decide, save — one transaction each.

Who may change what (issue 7): a department key changes only its own department's
records — the bases it owns, the sessions held at them (schedule, enrol, sign in,
complete, import a sign-in sheet) and the appraisals of its own workers; and it enrols,
signs in and completes only its own workers (their hours count on their department's
ladder), even in its own sessions. A base's owner
is the department named when it was registered (the caller's by default); a session's
is its base's, or the scheduling department's when it has no base; a record owned by
no department (the city's, or written before records named one) is the city
administrator's alone. Admin keys may do anything; auditor and service keys never get
here (the kernel refuses their writes at the edge).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.training import AssessmentRecorded, BaseRegistered, SessionScheduled
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.store import CommandContext, EventStore, Transaction
from shegong.kernel.web.auth import AuthError, refuse_other_department
from shegong.training.domain.commands import (
    Complete,
    Enrol,
    RecordAssessment,
    RegisterBase,
    ScheduleSession,
    SignIn,
)
from shegong.training.domain.records import Assessment, TrainingBase, assessment_id
from shegong.training.domain.session import Session
from shegong.training.projections.workforce import trainees


def _events(envelopes: list[Any]) -> list[dict[str, Any]]:
    return [{"type": e.type, "id": e.id, "sequence": e.sequence} for e in envelopes]


class TrainingCommands:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def register_base(self, cmd: RegisterBase, ctx: CommandContext) -> dict[str, Any]:
        base_id = cmd.base_id or f"base-{uuid.uuid4().hex[:12]}"
        department = cmd.department or ctx.department
        refuse_other_department(ctx, department)
        async with self.store.transaction(ctx) as tx:
            if await tx.load(TrainingBase, base_id) is not None:
                raise DomainError(
                    f"base {base_id} exists",
                    field="base_id",
                    code="duplicate",
                    zh=f"基地 {base_id} 已存在",
                )
            event = BaseRegistered(
                base_id=base_id,
                **cmd.model_dump(exclude={"base_id", "department"}),
                department=department,
            )
            saved = await tx.save(TrainingBase.register(event))
        return {"base": event.data(), "events": _events(saved)}

    async def schedule(self, cmd: ScheduleSession, ctx: CommandContext) -> dict[str, Any]:
        session_id = cmd.session_id or f"session-{uuid.uuid4().hex[:12]}"
        async with self.store.transaction(ctx) as tx:
            if cmd.base_id:
                base = await tx.load(TrainingBase, cmd.base_id)
                if base is None:
                    raise DomainError(
                        f"no base {cmd.base_id} (基地不存在)", field="base_id", code="not_found"
                    )
                if cmd.department is not None and cmd.department != base.department:
                    raise DomainError(
                        f"a session at base {cmd.base_id} is held by the base's department "
                        f"({base.department or 'the city'}), not {cmd.department!r} "
                        "(在基地举办的班次归属该基地所属部门)",
                        field="department",
                    )
                department = base.department
            else:
                department = cmd.department or ctx.department
            refuse_other_department(ctx, department)
            if await tx.load(Session, session_id) is not None:
                raise DomainError(
                    f"session {session_id} exists",
                    field="session_id",
                    code="duplicate",
                    zh=f"培训场次 {session_id} 已存在",
                )
            event = SessionScheduled(
                session_id=session_id,
                **cmd.model_dump(exclude={"session_id", "department"}),
                department=department,
            )
            session = Session.schedule(event)
            saved = await tx.save(session)
        return {"session": session.view(), "events": _events(saved)}

    async def enrol(self, session_id: str, cmd: Enrol, ctx: CommandContext) -> dict[str, Any]:
        async with self.store.transaction(ctx) as tx:
            session = await self.session(tx, session_id)
            refuse_other_worker(ctx, await known_worker(tx.conn, cmd.worker_id), cmd.worker_id)
            accepted = session.enrol(cmd.worker_id)
            saved = await tx.save(session)
        return {"accepted": accepted, "session": session.view(), "events": _events(saved)}

    async def sign_in(self, session_id: str, cmd: SignIn, ctx: CommandContext) -> dict[str, Any]:
        async with self.store.transaction(ctx) as tx:
            session = await self.session(tx, session_id)
            refuse_other_worker(ctx, await known_worker(tx.conn, cmd.worker_id), cmd.worker_id)
            recorded = session.attend(cmd.worker_id, cmd.signed_at or datetime.now(UTC))
            saved = await tx.save(session)
        return {"recorded": recorded, "session": session.view(), "events": _events(saved)}

    async def complete(self, session_id: str, cmd: Complete, ctx: CommandContext) -> dict[str, Any]:
        async with self.store.transaction(ctx) as tx:
            session = await self.session(tx, session_id)
            refuse_other_worker(ctx, await known_worker(tx.conn, cmd.worker_id), cmd.worker_id)
            session.complete(
                cmd.worker_id, cmd.hours, cmd.score, cmd.completed_on or session.held_on
            )
            saved = await tx.save(session)
        return {"session": session.view(), "events": _events(saved)}

    async def complete_all(self, session_id: str, ctx: CommandContext) -> dict[str, Any]:
        """Everyone who attended completes with the session's hours (结业) — for a
        department key, everyone of its own department; the others (enrolled by the
        administrator) are left for the administrator and listed as ``skipped``."""
        skipped: list[str] = []
        async with self.store.transaction(ctx) as tx:
            session = await self.session(tx, session_id)
            pending = sorted(session.attended - session.completed)
            if ctx.role == "department" and pending:
                rows = await tx.conn.execute(
                    select(trainees.c.worker_id, trainees.c.department).where(
                        trainees.c.worker_id.in_(pending)
                    )
                )
                theirs = {r.worker_id: r.department for r in rows}
                skipped = [w for w in pending if theirs.get(w) != ctx.department]
            for worker_id in pending:
                if worker_id not in skipped:
                    session.complete(worker_id, None, None, session.held_on)
            saved = await tx.save(session)
        return {"session": session.view(), "events": _events(saved), "skipped": skipped}

    async def assess(self, cmd: RecordAssessment, ctx: CommandContext) -> dict[str, Any]:
        event = AssessmentRecorded(
            worker_id=cmd.worker_id,
            period=cmd.period,
            score=cmd.score,
            grade=cmd.grade,
            assessed_on=cmd.assessed_on or date.today(),
        )
        stream = assessment_id(cmd.worker_id, cmd.period)
        async with self.store.transaction(ctx) as tx:
            # An appraisal is the worker's own department's record.
            refuse_other_department(ctx, await known_worker(tx.conn, cmd.worker_id))
            assessment = await tx.load(Assessment, stream) or Assessment(stream)
            changed = assessment.assess(event)
            saved = await tx.save(assessment)
        return {"recorded": changed, "assessment": event.data(), "events": _events(saved)}

    @staticmethod
    async def session(tx: Transaction, session_id: str) -> Session:
        """The session, for a change by the context's caller: refused (403) when it is
        held by another department than a department key's own."""
        session = await tx.load(Session, session_id)
        if session is None:
            raise DomainError(
                f"no session {session_id} (培训班次不存在)", field="session_id", code="not_found"
            )
        if session.department is None and session.base_id:
            # Scheduled before sessions named their department: the base's.
            base = await tx.load(TrainingBase, session.base_id)
            session.department = base.department if base else None
        refuse_other_department(tx.ctx, session.department)
        return session


def refuse_other_worker(ctx: CommandContext, department: str, worker_id: str) -> None:
    """A department enrols, signs in and completes its own workers only: their hours and
    completions count on their own department's ladder (SECURITY.md). 403 otherwise,
    without saying whose worker it is."""
    if ctx.role == "department" and department != ctx.department:
        raise AuthError(
            403,
            f"worker {worker_id} is not among department {ctx.department!r}'s workers: a "
            "department enrols, signs in and completes only its own workers",
            f"该人员不在本部门（{ctx.department}）人员中：部门只能为本部门人员报名、签到、结业",
            field="worker_id",
        )


async def known_worker(conn: AsyncConnection, worker_id: str) -> str:
    """The worker's department; not_found for a worker the registry never told of."""
    found = await conn.scalar(
        select(trainees.c.department).where(trainees.c.worker_id == worker_id)
    )
    if found is None:
        raise DomainError(
            f"no worker {worker_id} in the registry's events (yet) (人员库中无此人)",
            field="worker_id",
            code="not_found",
        )
    return str(found)
