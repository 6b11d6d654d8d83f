"""Training's read models from its own stream: bases, sessions, attendance, completions,
appraisals and exam results — what the lists, obligations and indicators query."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    delete,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts import Envelope, Event
from shegong.contracts.training import (
    TRAINING_STREAM,
    AssessmentRecorded,
    AttendanceRecorded,
    BaseRegistered,
    EnrolmentAccepted,
    ExamResultRecorded,
    SessionScheduled,
    TrainingCompleted,
)
from shegong.kernel.events.read_model import Projection

metadata = MetaData()

bases = Table(
    "tr_bases",
    metadata,
    Column("base_id", String(64), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("tier", String(16), nullable=False),
    Column("region", String(200)),
    # The owning department (training_0002; NULL: the city's, or filled before it).
    Column("department", String(64), index=True),
)

sessions = Table(
    "tr_sessions",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("kind", String(32), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("held_on", Date, nullable=False, index=True),
    Column("hours", Float, nullable=False),
    Column("base_id", String(64)),
    Column("capacity", Integer),
    Column("audience", String(200)),
    Column("enrolled", Integer, nullable=False, default=0),
    # The holding department (training_0002; NULL: the city's, or filled before it).
    Column("department", String(64), index=True),
)

attendance = Table(
    "tr_attendance",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("worker_id", String(64), primary_key=True),
    Column("signed_at", DateTime(timezone=True), nullable=False),
    Column("source", String(16), nullable=False),
)

completions = Table(
    "tr_completions",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("worker_id", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("hours", Float, nullable=False),
    Column("score", Float),
    Column("completed_on", Date, nullable=False),
)

assessments = Table(
    "tr_assessments",
    metadata,
    Column("worker_id", String(64), primary_key=True),
    Column("period", String(32), primary_key=True),
    Column("grade", String(32), nullable=False),
    Column("score", Float),
    Column("assessed_on", Date, nullable=False),
)

exams = Table(
    "tr_exams",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("worker_id", String(64), nullable=False, index=True),
    Column("exam_year", Integer, nullable=False),
    Column("level", String(16), nullable=False),
    Column("passed", Boolean, nullable=False),
    UniqueConstraint("worker_id", "exam_year", "level"),
)


class TrainingRecordsProjection(Projection):
    name = "training_records"
    contract = TRAINING_STREAM
    handles = frozenset(
        {
            "AssessmentRecorded",
            "AttendanceRecorded",
            "BaseRegistered",
            "EnrolmentAccepted",
            "ExamResultRecorded",
            "SessionScheduled",
            "TrainingCompleted",
        }
    )
    ignores = frozenset({"LecturerAssigned", "AccessRecorded", "ApiKeyIssued", "ApiKeyRevoked"})
    metadata = metadata

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        if isinstance(event, BaseRegistered):
            await conn.execute(
                bases.insert().values(
                    base_id=event.base_id,
                    name=event.name,
                    kind=event.kind.value,
                    tier=event.tier.value,
                    region=event.region,
                    department=event.department,
                )
            )
        elif isinstance(event, SessionScheduled):
            await conn.execute(
                sessions.insert().values(
                    session_id=event.session_id,
                    kind=event.kind.value,
                    title=event.title,
                    held_on=event.held_on,
                    hours=event.hours,
                    base_id=event.base_id,
                    capacity=event.capacity,
                    audience=event.audience,
                    enrolled=0,
                    department=event.department,
                )
            )
        elif isinstance(event, EnrolmentAccepted):
            await conn.execute(
                update(sessions)
                .where(sessions.c.session_id == event.session_id)
                .values(enrolled=sessions.c.enrolled + 1)
            )
        elif isinstance(event, AttendanceRecorded):
            await conn.execute(
                attendance.insert().values(
                    session_id=event.session_id,
                    worker_id=event.worker_id,
                    signed_at=event.signed_at,
                    source=event.source,
                )
            )
        elif isinstance(event, TrainingCompleted):
            await conn.execute(
                completions.insert().values(
                    session_id=event.session_id,
                    worker_id=event.worker_id,
                    kind=event.kind.value,
                    hours=event.hours,
                    score=event.score,
                    completed_on=event.completed_on,
                )
            )
        elif isinstance(event, AssessmentRecorded):
            key = (assessments.c.worker_id == event.worker_id) & (
                assessments.c.period == event.period
            )
            await conn.execute(delete(assessments).where(key))
            await conn.execute(
                assessments.insert().values(
                    worker_id=event.worker_id,
                    period=event.period,
                    grade=event.grade.value,
                    score=event.score,
                    assessed_on=event.assessed_on,
                )
            )
        elif isinstance(event, ExamResultRecorded):
            await conn.execute(
                exams.insert().values(
                    worker_id=event.worker_id,
                    exam_year=event.exam_year,
                    level=event.level,
                    passed=event.passed,
                )
            )
