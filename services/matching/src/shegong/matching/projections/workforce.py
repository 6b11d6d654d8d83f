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

from sqlalchemy import Column, Date, Integer, MetaData, String, Table, delete, select, update
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
from shegong.matching.adapters.candidates_table import set_identity, set_left
from shegong.matching.domain.taxonomy import skill_code

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

    def __init__(self, default_capacity: int = 3) -> None:
        self.default_capacity = default_capacity

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        if isinstance(event, RegionDefined):
            await conn.execute(delete(regions).where(regions.c.code == event.code))
            await conn.execute(
                regions.insert().values(
                    code=event.code, name=event.name, level=event.level, parent=event.parent
                )
            )
        elif isinstance(event, WorkerRegistered):
            await conn.execute(delete(workers).where(workers.c.worker_id == event.worker_id))
            await conn.execute(
                workers.insert().values(
                    worker_id=event.worker_id,
                    name=event.name,
                    organization=event.organization,
                    region=region_code(event.region),
                    certificate_rank=0,
                    department=event.department,
                    record_key=census_record_key(
                        event.department, event.record_id, event.worker_id
                    ),
                )
            )
            await set_identity(
                conn,
                event.worker_id,
                self.default_capacity,
                kind=ProviderKind.SOCIAL_WORKER.value,
                name=event.name,
                region=region_code(event.region),
                organisation=event.organization,
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
                await self._update(conn, event.worker_id, values)
                if "organization" in values:
                    values["organisation"] = values.pop("organization")
                await set_identity(conn, event.worker_id, self.default_capacity, **values)
        elif isinstance(event, WorkerCertified):
            rank = await conn.scalar(
                select(workers.c.certificate_rank).where(workers.c.worker_id == event.worker_id)
            )
            if rank is None:
                raise LookupError(f"WorkerCertified before WorkerRegistered: {event.worker_id}")
            if event.level.rank > rank:
                await self._update(conn, event.worker_id, {"certificate_rank": event.level.rank})
                await set_identity(
                    conn, event.worker_id, self.default_capacity, certificate_rank=event.level.rank
                )
        elif isinstance(event, WorkerLeft):
            await self._update(conn, event.worker_id, {"left_on": event.left_on})
            await set_left(conn, event.worker_id, event.left_on)
        elif isinstance(event, RecordsLinked):
            a, b = sorted((event.a, event.b))
            if a != b:
                await conn.execute(delete(links).where((links.c.a == a) & (links.c.b == b)))
                await conn.execute(links.insert().values(a=a, b=b, rule=event.rule))
        elif isinstance(event, RecordsUnlinked):
            a, b = sorted((event.a, event.b))
            await conn.execute(delete(links).where((links.c.a == a) & (links.c.b == b)))

    async def _update(self, conn: AsyncConnection, worker_id: str, values: dict[str, Any]) -> None:
        await conn.execute(update(workers).where(workers.c.worker_id == worker_id).values(**values))


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
