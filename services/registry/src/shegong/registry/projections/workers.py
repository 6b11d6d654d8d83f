"""The city-wide worker list (人员名册): every registry node's workers, from the stream.

Each department may run its own registry node; this read model follows
``registry.events`` from all of them, so any node can search the whole city. It keeps
per-aggregate order: version n is applied only on top of version n - 1.
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
    UniqueConstraint,
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
from shegong.kernel.events.versioned_rows import VersionedRows
from shegong.kernel.ops import raw_sql

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
        self._rows = VersionedRows(workers, "worker_id", "highest_certificate", _higher, "worker")
        self._certs: list[dict[str, Any]] = []

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        if envelope.aggregate_type != "worker":
            return
        if isinstance(event, WorkerRegistered):
            row = event.model_dump(
                mode="python",
                exclude={
                    "type",
                    "region",
                    "phone_hash",
                    "id_number_parts",
                    "id_number_swaps_hash",
                    "document_type",
                    "document_hash",
                    "birth_year_by_age",
                    "phone_parts",
                    "other_phones_hash",
                    "former_name",
                },
            )
            row.update(event.region.model_dump())
            self._rows.add(
                event.worker_id,
                {
                    **_EMPTY_ROW,
                    **_codes(row),
                    "version": envelope.aggregate_version,
                    "source": envelope.source,
                },
            )
            return
        values: dict[str, Any] = {}
        certificate: CertificateLevel | None = None
        if isinstance(event, WorkerProfileUpdated):
            for name in event.changed:
                if name == "region":
                    if event.region is not None:
                        values.update(event.region.model_dump())
                elif name not in ("phone_hash", "phone_parts", "other_phones_hash", "former_name"):
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
        self._rows.advance(
            envelope.subject,
            envelope.aggregate_version,
            _codes(values),
            certificate.value if certificate else None,
        )

    async def flush(self, conn: AsyncConnection) -> None:
        await self._rows.flush(conn)
        if self._certs:
            await raw_sql.insert_rows(conn, certificates, self._certs)

    def committed(self) -> None:
        self._reset()

    def rolled_back(self) -> None:
        self._reset()


def _higher(level: str, than: str | None) -> bool:
    return than is None or CertificateLevel(than).rank < CertificateLevel(level).rank


def _codes(row: dict[str, Any]) -> dict[str, Any]:
    """Enums as their stable codes."""
    return {k: (v.value if hasattr(v, "value") else v) for k, v in row.items()}
