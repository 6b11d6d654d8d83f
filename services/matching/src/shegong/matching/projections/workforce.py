"""Who can serve, from the other services' events.

``WorkforceProjection`` follows ``registry.events``: social workers (certificate level,
region, active or not), the region tree and the census's links between department
records of one person (``RecordsLinked`` / ``RecordsUnlinked``: ``mx_links``, by record
key — ``department:record_id``, the worker id when the department gave none).
``TrainingProjection`` follows ``training.events``: the skills each worker completed
training in, and when.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Column, Date, Integer, MetaData, String, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts import Envelope, Event
from shegong.contracts.matching import ProviderKind
from shegong.contracts.registry import (
    REGISTRY_STREAM,
    RecordsLinked,
    RecordsUnlinked,
    Region,
    RegionDefined,
    WorkerCertified,
    WorkerLeft,
    WorkerProfileUpdated,
    WorkerRegistered,
    census_record_key,
)
from shegong.contracts.training import TRAINING_STREAM, TrainingCompleted
from shegong.kernel.events.read_model import Projection
from shegong.matching.domain.taxonomy import skill_code
from shegong.matching.projections.workforce_batch import Worker, WorkforceBatch

workforce_metadata = MetaData()

workers = Table(
    "mx_workers",
    workforce_metadata,
    Column("worker_id", String(64), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("organization", String(128)),
    Column("region", String(200), nullable=False, index=True),
    Column("certificate_rank", Integer, nullable=False),
    Column("left_on", Date),
    # The department whose roster the worker is on (matching_0002; NULL for rows a
    # projection filled before it, until the read model is rebuilt).
    Column("department", String(64)),
    # The census's name for this record, ``department:record_id`` (matching_0003; NULL
    # for rows filled before it, until the read model is rebuilt).
    Column("record_key", String(200), index=True),
)

# Pairs of department records the census says are one person (a < b). A person is a
# connected component of these links; matching offers an order to one record of a
# person and counts the load of all of them (``application/persons.py``).
links = Table(
    "mx_links",
    workforce_metadata,
    Column("a", String(200), primary_key=True),
    Column("b", String(200), primary_key=True, index=True),
    Column("rule", String(64), nullable=False),
)

regions = Table(
    "mx_regions",
    workforce_metadata,
    Column("code", String(200), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("level", String(16), nullable=False),
    Column("parent", String(200), index=True),
)

training_metadata = MetaData()

trained = Table(
    "mx_trained",
    training_metadata,
    Column("worker_id", String(64), primary_key=True),
    Column("skill", String(64), primary_key=True),
    Column("last_completed_on", Date, nullable=False),
    Column("kind", String(32)),
)


def region_code(region: Region | None) -> str:
    if region is None:
        return ""
    return "/".join(p for p in (region.county, region.township, region.community) if p)


class WorkforceProjection(Projection):
    """Also keeps the social workers' rows of the candidate table (``provider_state``)
    in step, in the same transaction; their load and record stay matching's own."""

    name = "workforce"
    contract = REGISTRY_STREAM
    handles = frozenset(
        {
            "RecordsLinked",
            "RecordsUnlinked",
            "RegionDefined",
            "WorkerCertified",
            "WorkerLeft",
            "WorkerProfileUpdated",
            "WorkerRegistered",
        }
    )
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
        }
    )
    metadata = workforce_metadata

    # A turn at the database per 1,000 stream entries (most of them skipped undecoded).
    min_batch = 1000

    def __init__(self, default_capacity: int = 3) -> None:
        self.default_capacity = default_capacity
        self._batch = self._new_batch()

    def _new_batch(self) -> WorkforceBatch:
        return WorkforceBatch(workers, links, regions, self.default_capacity)

    def committed(self) -> None:
        self._batch = self._new_batch()

    def rolled_back(self) -> None:
        self._batch = self._new_batch()

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        """Remembers what the event changes; ``flush`` writes the batch (``WorkforceBatch``)."""
        batch = self._batch
        if isinstance(event, RegionDefined):
            batch.regions[event.code] = {
                "code": event.code,
                "name": event.name,
                "level": event.level,
                "parent": event.parent,
            }
        elif isinstance(event, WorkerRegistered):
            worker = await batch.registered(
                conn,
                {
                    "worker_id": event.worker_id,
                    "name": event.name,
                    "organization": event.organization,
                    "region": region_code(event.region),
                    "certificate_rank": 0,
                    "left_on": None,
                    "department": event.department,
                    "record_key": census_record_key(
                        event.department, event.record_id, event.worker_id
                    ),
                },
            )
            batch.identity(
                worker,
                {
                    "kind": ProviderKind.SOCIAL_WORKER.value,
                    "name": event.name,
                    "region": region_code(event.region),
                    "organisation": event.organization,
                },
            )
        elif isinstance(event, WorkerProfileUpdated):
            values: dict[str, Any] = {}
            if "name" in event.changed and event.name:
                values["name"] = event.name
            if "organization" in event.changed:
                values["organization"] = event.organization
            if "region" in event.changed:
                values["region"] = region_code(event.region)
            if values:
                worker = batch.worker(event.worker_id)
                _set(worker, values)
                if "organization" in values:
                    values["organisation"] = values.pop("organization")
                batch.identity(worker, values)
        elif isinstance(event, WorkerCertified):
            batch.certified(event.worker_id, event.level.rank)
        elif isinstance(event, WorkerLeft):
            worker = batch.worker(event.worker_id)
            _set(worker, {"left_on": event.left_on})
            worker.left_on = event.left_on
        elif isinstance(event, RecordsLinked):
            a, b = sorted((event.a, event.b))
            if a != b:
                batch.links[(a, b)] = event.rule
        elif isinstance(event, RecordsUnlinked):
            a, b = sorted((event.a, event.b))
            batch.links[(a, b)] = None

    async def flush(self, conn: AsyncConnection) -> None:
        await self._batch.flush(conn)


def _set(worker: Worker, values: dict[str, Any]) -> None:
    """mx_workers' columns: in the batch's row for a worker it registered, else an update."""
    (worker.row if worker.row is not None else worker.values).update(values)


class TrainingProjection(Projection):
    name = "training-skills"
    contract = TRAINING_STREAM
    handles = frozenset({"TrainingCompleted"})
    ignores = frozenset(
        {
            "LecturerAssigned",
            "AccessRecorded",
            "ApiKeyIssued",
            "ApiKeyRevoked",
            "AssessmentRecorded",
            "AttendanceRecorded",
            "BaseRegistered",
            "EnrolmentAccepted",
            "ExamResultRecorded",
            "SessionScheduled",
        }
    )
    metadata = training_metadata

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        if not isinstance(event, TrainingCompleted):
            return
        for skill in {skill_code(s) for s in event.skills if s.strip()}:
            await _upsert_training(conn, event.worker_id, skill, event.completed_on, event.kind)


async def _upsert_training(
    conn: AsyncConnection, worker_id: str, skill: str, on: date, kind: Any
) -> None:
    key = (trained.c.worker_id == worker_id) & (trained.c.skill == skill)
    last = await conn.scalar(select(trained.c.last_completed_on).where(key))
    if last is None:
        await conn.execute(
            trained.insert().values(
                worker_id=worker_id, skill=skill, last_completed_on=on, kind=kind.value
            )
        )
    elif on > last:
        await conn.execute(update(trained).where(key).values(last_completed_on=on, kind=kind.value))
