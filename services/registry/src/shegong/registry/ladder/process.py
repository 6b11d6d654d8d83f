"""The closed loop in the registry (培训—考核—晋升): a process manager on
``training.events``.

A passed national exam (``ExamResultRecorded`` passed) becomes ``WorkerCertified`` on the
worker — recorded by the registry node that owns the worker, in the same transaction as
the projection's position, so a redelivery can never certify twice (and the worker
aggregate refuses a repeat anyway). Completed training hours and appraisals are kept
per record for the ladder's rules; after each, the census person the record belongs to is
decided for again and every changed decision is published.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date

from sqlalchemy import MetaData, delete
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts import Envelope, Event
from shegong.contracts.registry import (
    REGISTRY_STREAM,
    CertificateLevel,
    RecordsLinked,
    RecordsUnlinked,
    WorkerCertified,
)
from shegong.contracts.training import (
    TRAINING_STREAM,
    AssessmentRecorded,
    ExamResultRecorded,
    TrainingCompleted,
    exam_certified_on,
)
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.read_model import Projection
from shegong.kernel.events.store import CommandContext, Transaction
from shegong.kernel.events.versioned_rows import rows_by_key
from shegong.registry.census.tables import records as census_records
from shegong.registry.domain.worker import Worker
from shegong.registry.ladder.decide import Ladder
from shegong.registry.ladder.persons import any_ladder_facts, persons_of, with_ladder_facts
from shegong.registry.ladder.replay import HighWaters, first_time
from shegong.registry.ladder.tables import ladder_appraisals, ladder_training, metadata

log = logging.getLogger("shegong.registry.ladder")

__all__ = ["LadderCensusWatch", "LadderCertificateWatch", "LadderProcess", "ladder_appraisals"]


class LadderProcess(Projection):
    name = "ladder"
    contract = TRAINING_STREAM
    handles = frozenset({"AssessmentRecorded", "ExamResultRecorded", "TrainingCompleted"})
    ignores = frozenset(
        {
            "LecturerAssigned",
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

    def __init__(self, ladder: Ladder) -> None:
        self.ladder = ladder
        self.store = ladder.store

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
        if not await first_time(conn, self.name, envelope):
            return  # a rebuild replays it: the facts above are refilled, nothing decided
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
        if worker is not None and isinstance(event, ExamResultRecorded):
            # The node that owns the worker records the certificate; a node with the
            # census decides for the person (its WorkerCertified brings it there).
            tx.ctx = replace(tx.ctx, department=worker.profile.get("department"))
            await self._certify(tx, worker, event, envelope.time.date())
        await self.ladder.decide(tx, worker_id, date.today())

    async def _certify(
        self, tx: Transaction, worker: Worker, event: ExamResultRecorded, recorded_on: date
    ) -> None:
        level = CertificateLevel(event.level)
        certified_on = exam_certified_on(event.exam_year, event.certified_on, recorded_on)
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


class LadderCertificateWatch(Projection):
    """Certificates recorded any other way (a roster, the API) move the ladder too."""

    name = "ladder_certificates"
    contract = REGISTRY_STREAM
    handles = frozenset({"WorkerCertified"})
    ignores = frozenset(
        {
            "ExpertPoolLeft",
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
    min_batch = 1000  # see WorkersProjection
    # ``apply`` only reads (its high waters): a batch's thousand entries are gone through
    # outside the write lock, which ``flush`` takes for its writes and decisions alone.
    staged = True

    def __init__(self, ladder: Ladder) -> None:
        self.ladder = ladder
        # Below the lowest level any rule asks about, a certificate cannot change a
        # decision (with rules that ask only about 社会工作师, an assistant roster costs
        # nothing here).
        levels = [
            CertificateLevel(rule["level"]).rank
            for step in ladder.steps
            for rule in step.rules
            if rule["kind"] in ("certificate_held", "certificate_not_held")
        ]
        self.min_rank = min(levels, default=len(CertificateLevel) + 1)
        self._high_waters = HighWaters(self.name)
        self._due: dict[str, Envelope] = {}  # worker id → the latest news of them

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        if (
            not isinstance(event, WorkerCertified)
            or event.level.rank < self.min_rank
            # Without the census a node decides for its own records only.
            or (not self.ladder.census and envelope.source != self.ladder.store.identity.source)
            or not await self._high_waters.first_time(conn, envelope)
        ):
            return
        self._due.pop(event.worker_id, None)
        self._due[event.worker_id] = envelope  # decided once a batch, after its last news

    async def flush(self, conn: AsyncConnection) -> None:
        await self._high_waters.write(conn)
        await decide_batch(self.ladder, conn, self._due)

    def committed(self) -> None:
        self._due = {}

    def rolled_back(self) -> None:
        self._due = {}
        self._high_waters.forget()


class LadderCensusWatch(Projection):
    """A census link or unlink moves a record's facts to another person: both records'
    persons are decided for again (the census's own read model says who they are now)."""

    name = "ladder_census"
    contract = REGISTRY_STREAM
    aggregates = frozenset({"census"})
    handles = frozenset({"RecordsLinked", "RecordsUnlinked"})
    ignores = frozenset({"CensusModelAdopted", "PairQueuedForReview"})
    metadata = MetaData()
    min_batch = 1000  # see WorkersProjection
    staged = True  # as LadderCertificateWatch

    def __init__(self, ladder: Ladder) -> None:
        self.ladder = ladder
        self._high_waters = HighWaters(self.name)
        self._keys: dict[str, Envelope] = {}  # census key → the latest link of it
        self._due: dict[str, Envelope] = {}  # worker id → the latest link of it (prepare)

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        if not isinstance(
            event, RecordsLinked | RecordsUnlinked
        ) or not await self._high_waters.first_time(conn, envelope):
            return
        for key in (event.a, event.b):
            self._keys.pop(key, None)
            self._keys[key] = envelope

    async def prepare(self, conn: AsyncConnection) -> None:
        """The linked records' workers, read before the write lock: a census record's
        worker never changes, and a link event is published after its records are."""
        keys = list(self._keys)
        found = await rows_by_key(conn, census_records.c.key, (census_records.c.worker_id,), keys)
        worker_of = {key: row.worker_id for key, row in found.items()}
        self._due = {}
        for key in keys:  # in the order of the links (a worker by the latest that named it)
            if key in worker_of:
                self._due.pop(worker_of[key], None)
                self._due[worker_of[key]] = self._keys[key]

    async def flush(self, conn: AsyncConnection) -> None:
        await self._high_waters.write(conn)
        await decide_batch(self.ladder, conn, self._due)

    def committed(self) -> None:
        self._keys, self._due = {}, {}

    def rolled_back(self) -> None:
        self._keys, self._due = {}, {}
        self._high_waters.forget()


async def decide_batch(ladder: Ladder, conn: AsyncConnection, due: dict[str, Envelope]) -> None:
    """Decide once for each person a batch's news touched (``due``: worker id → the news
    of them, oldest first), among those training told of or the ladder decided for
    before (a roster's or a link's news alone is the daily sweep's): the persons and
    their facts found in a few queries for the whole batch, not several per event."""
    if not due or not ladder.decides:
        return
    if not await any_ladder_facts(conn):
        return  # training told of no one, the ladder decided for no one yet
    persons = await persons_of(conn, list(due), ladder.census)
    told = await with_ladder_facts(conn, persons.values())
    decided: set[str] = set()
    for worker_id, envelope in due.items():
        person = persons[worker_id]
        if person.lead not in told or person.lead in decided:
            continue
        decided.add(person.lead)
        tx = Transaction(
            ladder.store,
            conn,
            CommandContext(
                actor="registry.ladder",
                department=envelope.department,
                correlation_id=envelope.correlation_id,
                causation_id=envelope.id,
            ),
        )
        await ladder.decide_found(tx, worker_id, person, date.today())
