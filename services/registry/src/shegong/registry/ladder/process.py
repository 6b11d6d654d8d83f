"""The closed loop in the registry (培训—考核—晋升): a process manager on
``training.events``.

A passed national exam (``ExamResultRecorded`` passed) becomes ``WorkerCertified`` on the
worker — recorded by the registry node that owns the worker, in the same transaction as
the projection's position, so a redelivery can never certify twice (and the worker
aggregate refuses a repeat anyway). Completed training hours and appraisals are kept for
the ladder's rules; after each, the worker's eligibility is re-evaluated and every
changed decision is published.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import Column, Date, Float, MetaData, String, Table, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts import Envelope, Event
from shegong.contracts.registry import REGISTRY_STREAM, CertificateLevel, WorkerCertified
from shegong.contracts.training import (
    TRAINING_STREAM,
    AppraisalGrade,
    AssessmentRecorded,
    ExamResultRecorded,
    TrainingCompleted,
)
from shegong.kernel.aggregate import DomainError
from shegong.kernel.projection import Projection
from shegong.kernel.store import CommandContext, EventStore, Transaction
from shegong.registry.domain.worker import Worker
from shegong.registry.ladder.rules import Decision, Facts, Step, evaluate, load_ladder
from shegong.registry.ladder.standing import LadderStanding, standing_id

log = logging.getLogger("shegong.registry.ladder")

metadata = MetaData()

ladder_training = Table(
    "lr_training",
    metadata,
    Column("worker_id", String(64), primary_key=True),
    Column("session_id", String(64), primary_key=True),
    Column("completed_on", Date, nullable=False),
    Column("hours", Float, nullable=False),
)

ladder_appraisals = Table(
    "lr_appraisals",
    metadata,
    Column("worker_id", String(64), primary_key=True),
    Column("period", String(32), primary_key=True),
    Column("grade", String(32), nullable=False),
    Column("assessed_on", Date, nullable=False),
)


async def ladder_facts(
    conn: AsyncConnection, worker_id: str, certificates: list[tuple[CertificateLevel, date]]
) -> Facts:
    training = await conn.execute(
        select(ladder_training.c.completed_on, ladder_training.c.hours).where(
            ladder_training.c.worker_id == worker_id
        )
    )
    appraisals = await conn.execute(
        select(ladder_appraisals).where(ladder_appraisals.c.worker_id == worker_id)
    )
    return Facts(
        certificates=certificates,
        training=[(r.completed_on, r.hours) for r in training],
        appraisals=[(r.period, AppraisalGrade(r.grade), r.assessed_on) for r in appraisals],
    )


class LadderProcess(Projection):
    name = "ladder"
    contract = TRAINING_STREAM
    handles = frozenset({"AssessmentRecorded", "ExamResultRecorded", "TrainingCompleted"})
    ignores = frozenset(
        {
            "AccessRecorded",
            "ApiKeyIssued",
            "ApiKeyRevoked",
            "AttendanceRecorded",
            "BaseRegistered",
            "EnrolmentAccepted",
            "SessionScheduled",
        }
    )
    metadata = metadata

    def __init__(self, store: EventStore, steps: list[Step] | None = None) -> None:
        self.store = store
        self.steps = steps or load_ladder()

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        if isinstance(event, TrainingCompleted):
            key = (ladder_training.c.worker_id == event.worker_id) & (
                ladder_training.c.session_id == event.session_id
            )
            await conn.execute(delete(ladder_training).where(key))
            await conn.execute(
                ladder_training.insert().values(
                    worker_id=event.worker_id,
                    session_id=event.session_id,
                    completed_on=event.completed_on,
                    hours=event.hours,
                )
            )
        elif isinstance(event, AssessmentRecorded):
            key = (ladder_appraisals.c.worker_id == event.worker_id) & (
                ladder_appraisals.c.period == event.period
            )
            await conn.execute(delete(ladder_appraisals).where(key))
            await conn.execute(
                ladder_appraisals.insert().values(
                    worker_id=event.worker_id,
                    period=event.period,
                    grade=event.grade.value,
                    assessed_on=event.assessed_on,
                )
            )
        elif not (isinstance(event, ExamResultRecorded) and event.passed):
            return
        worker_id = event.worker_id  # type: ignore[attr-defined]
        tx = Transaction(
            self.store,
            conn,
            CommandContext(
                actor="registry.ladder",
                correlation_id=envelope.correlation_id,
                causation_id=envelope.id,
            ),
        )
        worker = await tx.load(Worker, worker_id)
        if worker is None:
            return  # another registry node owns this worker and decides for them
        tx.ctx = CommandContext(
            actor="registry.ladder",
            department=worker.profile.get("department"),
            correlation_id=envelope.correlation_id,
            causation_id=envelope.id,
        )
        if isinstance(event, ExamResultRecorded):
            await self._certify(tx, worker, event)
        await self.decide(tx, worker, date.today())

    async def _certify(self, tx: Transaction, worker: Worker, event: ExamResultRecorded) -> None:
        level = CertificateLevel(event.level)
        certified_on = event.certified_on or date(event.exam_year, 12, 31)
        try:
            if worker.certify(level, certified_on, event.certificate_no, date.today()):
                await tx.save(worker)
                log.info(
                    "worker %s certified %s from the %d exam", worker.id, level, event.exam_year
                )
        except DomainError as err:
            # A fact the worker's record refuses (a certificate number already used for
            # another level): retrying cannot help; the refusal is logged, not looped on.
            log.warning("exam result for %s not recorded as a certificate: %s", worker.id, err)

    async def decide(self, tx: Transaction, worker: Worker, as_of: date) -> list[Decision]:
        certificates = [(c.level, c.certified_on) for c in worker.certificates]
        facts = await ladder_facts(tx.conn, worker.id, certificates)
        decisions = evaluate(self.steps, facts, as_of)
        standing = await tx.load(LadderStanding, standing_id(worker.id)) or LadderStanding(
            standing_id(worker.id)
        )
        standing.decide(decisions, as_of)
        await tx.save(standing)
        return decisions


class LadderCertificateWatch(Projection):
    """Certificates recorded any other way (a roster, the API) move the ladder too."""

    name = "ladder_certificates"
    contract = REGISTRY_STREAM
    handles = frozenset({"WorkerCertified"})
    ignores = frozenset(
        {
            "AccessRecorded",
            "ApiKeyIssued",
            "ApiKeyRevoked",
            "CensusModelAdopted",
            "CensusPairDecided",
            "CensusTrainingRequested",
            "DepartmentRegistered",
            "ExpertAdmitted",
            "ExpertPoolAdmitted",
            "LadderEligibilityChanged",
            "PairQueuedForReview",
            "PersonalDataViewed",
            "RecordsLinked",
            "RecordsUnlinked",
            "RegionDefined",
            "WorkerLeft",
            "WorkerProfileUpdated",
            "WorkerRegistered",
        }
    )
    metadata = MetaData()

    def __init__(self, process: LadderProcess) -> None:
        self.process = process
        # Below the lowest level any rule asks for, a certificate cannot change a decision
        # (a bulk roster of assistant certificates costs nothing here).
        levels = [
            CertificateLevel(rule["level"]).rank
            for step in process.steps
            for rule in step.rules
            if rule["kind"] == "certificate_held"
        ]
        self.min_rank = min(levels, default=0)

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        if (
            not isinstance(event, WorkerCertified)
            or envelope.source != self.process.store.identity.source
            or event.level.rank < self.min_rank
        ):
            return
        tx = Transaction(
            self.process.store,
            conn,
            CommandContext(
                actor="registry.ladder",
                department=envelope.department,
                correlation_id=envelope.correlation_id,
                causation_id=envelope.id,
            ),
        )
        worker = await tx.load(Worker, event.worker_id)
        if worker is not None:
            await self.process.decide(tx, worker, date.today())
