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

from dataclasses import dataclass, field
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
    select,
    update,
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
from shegong.kernel.events.read_model import Projection

metadata = MetaData()

trainees = Table(
    "tr_workers",
    metadata,
    Column("worker_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("department", String(64), nullable=False, index=True),
    Column("name", String(64), nullable=False),
    Column("id_number_hash", String(64), index=True),
    Column("id_number_masked", String(32)),
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


class OutOfOrder(RuntimeError):
    """An event for version n arrived while the read model holds another version."""


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
        self._new: dict[str, dict[str, Any]] = {}  # registered in this batch
        self._changed: dict[str, _Change] = {}  # stored workers the batch changes
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
            if event.worker_id in self._new or event.worker_id in self._changed:
                raise OutOfOrder(f"worker {event.worker_id} registered twice")
            region = event.region
            self._new[event.worker_id] = {
                "worker_id": event.worker_id,
                "version": envelope.aggregate_version,
                "department": event.department,
                "name": event.name,
                "id_number_hash": event.id_number_hash,
                "id_number_masked": event.id_number_masked,
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
                "record_key": census_record_key(event.department, event.record_id, event.worker_id),
            }
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
        elif isinstance(event, WorkerLeft):
            values["left_on"] = event.left_on
        elif isinstance(event, WorkerCertified):
            certificate = event.level
        self._advance(envelope, values, certificate)

    def _advance(
        self, envelope: Envelope, values: dict[str, Any], certificate: CertificateLevel | None
    ) -> None:
        """Version n on top of n - 1: in memory for a worker the batch registered or
        changed already, checked against the stored version at ``flush`` otherwise."""
        worker_id, version = envelope.subject, envelope.aggregate_version
        new = self._new.get(worker_id)
        change = self._changed.get(worker_id)
        current = new["version"] if new else change.version if change else None
        if current is not None and current != version - 1:
            raise OutOfOrder(
                f"worker {worker_id}: version {version} does not follow the read model's "
                f"version {current}"
            )
        if new is not None:
            new.update(values, version=version)
            if certificate is not None and _higher(certificate, new["highest_certificate"]):
                new["highest_certificate"] = certificate.value
            return
        if change is None:
            change = self._changed[worker_id] = _Change(expected=version - 1, version=version)
        change.version = version
        change.values.update(values)
        if certificate is not None and _higher(certificate, change.certificate):
            change.certificate = certificate.value

    async def flush(self, conn: AsyncConnection) -> None:
        rows = list(self._new.values())
        for start in range(0, len(rows), 500):
            await conn.execute(trainees.insert(), rows[start : start + 500])
        await self._flush_changes(conn)
        if self._links:
            await conn.execute(
                delete(links).where(
                    (links.c.a == bindparam("pa")) & (links.c.b == bindparam("pb"))
                ),
                [{"pa": a, "pb": b} for a, b in self._links],
            )
            made = [{"a": a, "b": b, "rule": r} for (a, b), r in self._links.items() if r]
            if made:
                await conn.execute(links.insert(), made)

    async def _flush_changes(self, conn: AsyncConnection) -> None:
        """The stored workers' changes: their versions and certificates read in a query
        per 500, then one UPDATE per set of columns changed."""
        ids = sorted(self._changed)
        stored: dict[str, tuple[int, str | None]] = {}
        for start in range(0, len(ids), 500):
            rows = await conn.execute(
                select(
                    trainees.c.worker_id, trainees.c.version, trainees.c.highest_certificate
                ).where(trainees.c.worker_id.in_(ids[start : start + 500]))
            )
            stored.update({r.worker_id: (int(r.version), r.highest_certificate) for r in rows})
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for worker_id in ids:
            change = self._changed[worker_id]
            version, highest = stored.get(worker_id, (None, None))
            if version != change.expected:
                raise OutOfOrder(
                    f"worker {worker_id}: version {change.expected + 1} does not follow the "
                    f"read model's version {version}"
                )
            values = dict(change.values)
            if change.certificate is not None and _higher(
                CertificateLevel(change.certificate), highest
            ):
                values["highest_certificate"] = change.certificate
            row = {f"v_{k}": v for k, v in values.items()}
            groups.setdefault(tuple(sorted(values)), []).append(
                {**row, "w": worker_id, "v": change.version}
            )
        for columns, params in groups.items():
            await conn.execute(
                update(trainees)
                .where(trainees.c.worker_id == bindparam("w"))
                .values(version=bindparam("v"), **{c: bindparam(f"v_{c}") for c in columns})
                .execution_options(synchronize_session=False),
                params,
            )


@dataclass
class _Change:
    """A stored worker's changes in a batch: from version ``expected`` to ``version``."""

    expected: int
    version: int
    values: dict[str, Any] = field(default_factory=dict)
    certificate: str | None = None  # the highest certificate the batch told of


def _higher(level: CertificateLevel, than: str | None) -> bool:
    return than is None or CertificateLevel(than).rank < level.rank
