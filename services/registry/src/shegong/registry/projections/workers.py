"""The city-wide worker list (人员名册): every registry node's workers, from the stream.

Each department may run its own registry node; this read model follows
``registry.events`` from all of them, so any node can search the whole city. It keeps
per-aggregate order: version n is applied only on top of version n - 1.
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
    UniqueConstraint,
    bindparam,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts import Envelope, Event
from shegong.contracts.registry import (
    REGISTRY_STREAM,
    CertificateLevel,
    WorkerCertified,
    WorkerLeft,
    WorkerProfileUpdated,
    WorkerRegistered,
)
from shegong.kernel.events.read_model import Projection

metadata = MetaData()

workers = Table(
    "rm_workers",
    metadata,
    Column("worker_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("source", String(200), nullable=False),
    Column("department", String(64), nullable=False, index=True),
    Column("record_id", String(64)),
    Column("name", String(64), nullable=False),
    Column("gender", String(8)),
    Column("birth_date", Date),
    Column("id_number_hash", String(64), index=True),
    Column("id_number_masked", String(32)),
    Column("phone_masked", String(32)),
    Column("organization", String(128)),
    Column("org_type", String(32)),
    Column("post", String(32), index=True),
    Column("county", String(64), index=True),
    Column("township", String(64)),
    Column("community", String(64)),
    Column("hired_on", Date),
    Column("left_on", Date),
    Column("channel", String(64)),
    Column("highest_certificate", String(16), index=True),
)

certificates = Table(
    "rm_worker_certificates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("worker_id", String(64), nullable=False, index=True),
    Column("level", String(16), nullable=False),
    Column("certificate_no", String(64)),
    Column("certified_on", Date, nullable=False),
    UniqueConstraint("worker_id", "level", "certified_on", "certificate_no"),
)

_REGION = ("county", "township", "community")
_EMPTY_ROW: dict[str, Any] = {c.name: None for c in workers.columns}


class OutOfOrder(RuntimeError):
    """An event for version n arrived while the read model holds another version."""


class WorkersProjection(Projection):
    name = "workers"
    contract = REGISTRY_STREAM
    aggregates = frozenset({"worker"})
    handles = frozenset(
        {"WorkerCertified", "WorkerLeft", "WorkerProfileUpdated", "WorkerRegistered"}
    )
    metadata = metadata
    # Under a big import every registry projection queues for the one write lock: a turn
    # per 1,000 entries, not per 200 (most of these entries it skips undecoded).
    min_batch = 1000

    # ``apply`` only reads and remembers; ``flush`` writes: a batch's thousand entries
    # are gone through outside the write lock (the registry's lock is the queue every
    # projection, the census and the imports wait in).
    staged = True

    def __init__(self) -> None:
        # A batch's new workers and certificates, written in one statement each at its
        # end (``flush``): a statement per event cost more than the event (a hop to the
        # database thread and back each). Later events of a new worker change its row
        # here; a stored worker's changes are kept here too and written at the end, its
        # version checked then (one UPDATE per set of columns changed).
        self._reset()

    def _reset(self) -> None:
        self._new: dict[str, dict[str, Any]] = {}
        self._certs: list[dict[str, Any]] = []
        self._changed: dict[str, _Change] = {}

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        if envelope.aggregate_type != "worker":
            return
        if isinstance(event, WorkerRegistered):
            row = event.model_dump(
                mode="python", exclude={"type", "region", "phone_hash", "id_number_parts"}
            )
            row.update(event.region.model_dump())
            if event.worker_id in self._new or event.worker_id in self._changed:
                raise OutOfOrder(f"worker {event.worker_id} registered twice")
            self._new[event.worker_id] = {
                **_EMPTY_ROW,
                **_codes(row),
                "version": envelope.aggregate_version,
                "source": envelope.source,
            }
            return
        values: dict[str, Any] = {}
        certificate: CertificateLevel | None = None
        if isinstance(event, WorkerProfileUpdated):
            for name in event.changed:
                if name == "region":
                    if event.region is not None:
                        values.update(event.region.model_dump())
                elif name != "phone_hash":
                    values[name] = getattr(event, name)
        elif isinstance(event, WorkerLeft):
            values["left_on"] = event.left_on
        elif isinstance(event, WorkerCertified):
            self._certs.append(
                {
                    "worker_id": event.worker_id,
                    "level": event.level.value,
                    "certificate_no": event.certificate_no,
                    "certified_on": event.certified_on,
                }
            )
            certificate = event.level
        self._advance(envelope, _codes(values), certificate)

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
            await conn.execute(workers.insert(), rows[start : start + 500])
        if self._certs:
            await conn.execute(certificates.insert(), self._certs)
        await self._flush_changes(conn)

    async def _flush_changes(self, conn: AsyncConnection) -> None:
        """The stored workers' changes: versions and certificates read in a query per
        500, each version checked, then one UPDATE per set of columns changed."""
        ids = sorted(self._changed)
        stored: dict[str, tuple[int, str | None]] = {}
        for start in range(0, len(ids), 500):
            rows = await conn.execute(
                select(workers.c.worker_id, workers.c.version, workers.c.highest_certificate).where(
                    workers.c.worker_id.in_(ids[start : start + 500])
                )
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
                update(workers)
                .where(workers.c.worker_id == bindparam("w"))
                .values(version=bindparam("v"), **{c: bindparam(f"v_{c}") for c in columns})
                .execution_options(synchronize_session=False),
                params,
            )

    def committed(self) -> None:
        self._reset()

    def rolled_back(self) -> None:
        self._reset()


@dataclass
class _Change:
    """A stored worker's changes in a batch: from version ``expected`` to ``version``."""

    expected: int
    version: int
    values: dict[str, Any] = field(default_factory=dict)
    certificate: str | None = None  # the highest certificate the batch told of


def _higher(level: CertificateLevel, than: str | None) -> bool:
    return than is None or CertificateLevel(than).rank < level.rank


def _codes(row: dict[str, Any]) -> dict[str, Any]:
    """Enums as their stable codes."""
    return {k: (v.value if hasattr(v, "value") else v) for k, v in row.items()}
