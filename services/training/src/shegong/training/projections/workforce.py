"""Training's own view of the workforce (培训视角的人员库), from ``registry.events`` only.

It keeps what training needs: who a worker is (name, keyed hashes of ID number and phone
to resolve sign-in sheets), where they work (organisation, region), when they were hired
or registered (the pre-job obligation) and whether they left. Per-aggregate order is
guarded: version n is applied only on top of version n - 1.

It also keeps the census's links between department records of one human
(``RecordsLinked`` / ``RecordsUnlinked``: ``tr_links``, by record key —
``department:record_id``, the worker id when the department gave none). A person is a
connected component of those links (``reports/persons.py``); training records facts per
department record and counts them per person when it reads, so a link or an unlink moves
a record's facts to its new person at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts import Envelope, Event
from shegong.contracts.registry import (
    REGISTRY_STREAM,
    CertificateLevel,
    RecordsLinked,
    RecordsUnlinked,
    WorkerCertified,
    WorkerLeft,
    WorkerProfileUpdated,
    WorkerRegistered,
    census_record_key,
)
from shegong.kernel.data.names import name_key
from shegong.kernel.events.read_model import Projection
from shegong.kernel.events.versioned_rows import VersionedRows
from shegong.kernel.ops import raw_sql

metadata = MetaData()

trainees = Table(
    "tr_workers",
    metadata,
    Column("worker_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("department", String(64), nullable=False, index=True),
    Column("name", String(64), nullable=False, index=True),
    # the name as compared (kernel ``name_key``: 劉麗華 is 刘丽华, 阿依古丽·买买提 is
    # 阿依古丽买买提): a sheet of names finds its people by it (training_0007)
    Column("name_key", String(64), index=True),
    Column("id_number_hash", String(64), index=True),
    Column("id_number_masked", String(32)),
    # the registry's keyed digests of the number's parts ('r.b.o.c'): 身份证后四位 on a
    # sheet of names tells namesakes apart by them (training_0008)
    Column("id_number_parts", String(64)),
    Column("phone_hash", String(64), index=True),
    Column("phone_masked", String(32)),
    Column("organization", String(128), index=True),
    Column("county", String(64)),
    Column("township", String(64)),
    Column("community", String(64)),
    Column("region", String(200), index=True),
    Column("hired_on", Date),
    Column("registered_on", Date, nullable=False),
    Column("left_on", Date),
    Column("highest_certificate", String(16)),
    # The census's name for this record, ``department:record_id`` (training_0004; NULL
    # for rows filled before it, until the read model is rebuilt).
    Column("record_key", String(200), index=True),
)

# Pairs of department records the census says are one person (a < b).
links = Table(
    "tr_links",
    metadata,
    Column("a", String(200), primary_key=True),
    Column("b", String(200), primary_key=True, index=True),
    Column("rule", String(64), nullable=False),
)


def region_path(county: str | None, township: str | None, community: str | None) -> str | None:
    parts = [p for p in (county, township, community) if p]
    return "/".join(parts) or None


class WorkforceProjection(Projection):
    name = "training_workforce"
    contract = REGISTRY_STREAM
    handles = frozenset(
        {
            "RecordsLinked",
            "RecordsUnlinked",
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
            "RegionDefined",
        }
    )
    metadata = metadata
    # A turn at the database per 1,000 stream entries (most of them skipped undecoded).
    min_batch = 1000

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        # A batch's writes, done in a few statements at its end (``flush``): a statement
        # per event cost more than the event (a hop to the database thread and back each,
        # under a shared GIL). Later events of a worker change its pending row here.
        self._rows = VersionedRows(trainees, "worker_id", "highest_certificate", _higher, "worker")
        self._links: dict[tuple[str, str], str | None] = {}  # pair -> rule (None: unlinked)

    def committed(self) -> None:
        self._reset()

    def rolled_back(self) -> None:
        self._reset()

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        if isinstance(event, RecordsLinked | RecordsUnlinked):
            a, b = sorted((event.a, event.b))
            linked = isinstance(event, RecordsLinked) and a != b
            self._links[(a, b)] = event.rule if linked else None
            return
        if envelope.aggregate_type != "worker":
            return
        if isinstance(event, WorkerRegistered):
            region = event.region
            self._rows.add(
                event.worker_id,
                {
                    "worker_id": event.worker_id,
                    "version": envelope.aggregate_version,
                    "department": event.department,
                    "name": event.name,
                    "name_key": name_key(event.name),
                    "id_number_hash": event.id_number_hash,
                    "id_number_masked": event.id_number_masked,
                    "id_number_parts": event.id_number_parts,
                    "phone_hash": event.phone_hash,
                    "phone_masked": event.phone_masked,
                    "organization": event.organization,
                    "county": region.county,
                    "township": region.township,
                    "community": region.community,
                    "region": region_path(region.county, region.township, region.community),
                    "hired_on": event.hired_on,
                    "registered_on": envelope.time.date(),
                    "left_on": None,
                    "highest_certificate": None,
                    "record_key": census_record_key(
                        event.department, event.record_id, event.worker_id
                    ),
                },
            )
            return
        values: dict[str, Any] = {}
        certificate: CertificateLevel | None = None
        if isinstance(event, WorkerProfileUpdated):
            for name in event.changed:
                if name == "region" and event.region is not None:
                    r = event.region
                    values.update(
                        county=r.county,
                        township=r.township,
                        community=r.community,
                        region=region_path(r.county, r.township, r.community),
                    )
                elif name in ("name", "phone_hash", "phone_masked", "organization", "hired_on"):
                    values[name] = getattr(event, name)
                    if name == "name" and event.name is not None:
                        values["name_key"] = name_key(event.name)
        elif isinstance(event, WorkerLeft):
            values["left_on"] = event.left_on
        elif isinstance(event, WorkerCertified):
            certificate = event.level
        self._rows.advance(
            envelope.subject,
            envelope.aggregate_version,
            values,
            certificate.value if certificate else None,
        )

    async def flush(self, conn: AsyncConnection) -> None:
        await self._rows.flush(conn)
        if self._links:
            await conn.execute(
                delete(links).where(
                    (links.c.a == bindparam("pa")) & (links.c.b == bindparam("pb"))
                ),
                [{"pa": a, "pb": b} for a, b in self._links],
            )
            made = [{"a": a, "b": b, "rule": r} for (a, b), r in self._links.items() if r]
            if made:
                await raw_sql.insert_rows(conn, links, made)


def _higher(level: str, than: str | None) -> bool:
    return than is None or CertificateLevel(than).rank < CertificateLevel(level).rank
