"""The city census as it runs: department records in, persons out, every decision an event.

:class:`CensusProjection` follows ``registry.events`` from every registry node (each
department may run its own). Each worker event becomes a census record
(``department:record_id``) fed to the incremental :class:`~.linkage.Linker`; every
``Link`` / ``Unlink`` / ``Review`` the linker decides is appended to the registry's own
event store as ``RecordsLinked`` / ``RecordsUnlinked`` / ``PairQueuedForReview`` (one
``census`` aggregate, so their order is total), in the same transaction as the read
models and the projection's position: the census, its audit trail and its progress
never disagree. A clerk's ``CensusPairDecided`` goes through the same path and sticks
through later imports (the linker remembers decisions).

Replay. The partition is a function of the records and the clerks' decisions, whatever
their order, so rebuilding the read models from the feeds gives the same persons. The
decisions already in the log are not written twice: ``census_state.high_water`` keeps
the last position per source that was processed with events emitted, and a rebuild
replays up to it silently (it survives the rebuild; it is not part of the read model).

Memory. The linker lives in memory (≈1 KB per record). It is loaded from
``rm_census_records`` and ``rm_census_decisions`` on the first batch, after a failed batch,
and whenever ``census_state.version`` shows that another replica moved the census.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    JSON,
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
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts import Envelope, Event
from shegong.contracts.registry import (
    REGISTRY_STREAM,
    CensusModelAdopted,
    CensusPairDecided,
    CensusTrainingRequested,
    CertificateLevel,
    ExpertAdmitted,
    ExpertPoolAdmitted,
    PairQueuedForReview,
    RecordsLinked,
    RecordsUnlinked,
    WorkerCertified,
    WorkerLeft,
    WorkerProfileUpdated,
    WorkerRegistered,
    census_record_key,
)
from shegong.kernel.projection import Projection
from shegong.kernel.store import Append, CommandContext, EventStore, Transaction
from shegong.registry.census.linkage import (
    CensusConflict,
    CensusRecord,
    Decision,
    Link,
    Linker,
    MatchModel,
    Review,
    Unlink,
)

log = logging.getLogger("shegong.registry.census")

metadata = MetaData()

records = Table(
    "rm_census_records",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("worker_id", String(64), nullable=False, unique=True),
    Column("department", String(64), nullable=False, index=True),
    Column("record_id", String(64)),
    Column("name", String(64), nullable=False),
    Column("gender", String(8)),
    Column("birth_date", Date),
    Column("id_hash", String(64), index=True),
    Column("id_masked", String(32)),
    Column("id_parts", String(64)),
    Column("phone_hash", String(64)),
    Column("phone_masked", String(32)),
    Column("organization", String(128)),
    Column("org_type", String(32)),
    Column("post", String(32)),
    Column("county", String(64)),
    Column("township", String(64)),
    Column("community", String(64)),
    Column("hired_on", Date),
    Column("left_on", Date),
    Column("person_id", String(200), nullable=False, index=True),
)

certificates = Table(
    "rm_census_certificates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, index=True),
    Column("level", String(16), nullable=False),
    Column("certified_on", Date, nullable=False),
    Column("certificate_no", String(64)),
    UniqueConstraint("key", "level", "certified_on", "certificate_no"),
)

links = Table(
    "rm_census_links",
    metadata,
    Column("a", String(200), primary_key=True),
    Column("b", String(200), primary_key=True, index=True),
    Column("rule", String(64), nullable=False),
    Column("score", Float, nullable=False),
    Column("evidence", JSON, nullable=False),
)

reviews = Table(
    "rm_census_review",
    metadata,
    Column("a", String(200), primary_key=True),
    Column("b", String(200), primary_key=True),
    Column("reason", String(128), nullable=False),
    Column("score", Float, nullable=False),
    Column("evidence", JSON, nullable=False),
)

decisions = Table(
    "rm_census_decisions",
    metadata,
    Column("a", String(200), primary_key=True),
    Column("b", String(200), primary_key=True),
    Column("same", Boolean, nullable=False),
    Column("by", String(128), nullable=False),
    Column("note", String(500)),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),  # applied | pending | refused
    Column("status_reason", String(300)),
)

experts = Table(
    "rm_census_experts",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("id_masked", String(32), nullable=False),
    Column("name", String(64), nullable=False),
    Column("admitted_on", Date, nullable=False),
    Column("level", String(16), nullable=False),
)

# Kept through a rebuild of the read models (it says which decisions the log already holds).
state_metadata = MetaData()
census_state = Table(
    "census_state",
    state_metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),  # the census aggregate's version
    Column("high_water", JSON, nullable=False),  # source -> last position emitted for
    Column("model", JSON),  # the match model in use (MatchModel.as_dict), None: the default
)

CENSUS_AGGREGATE = "census"
# Not its own link events.
_CONSUMED = frozenset({"worker", "census-decision", "census-training", "expert", "ladder"})
_ROW_FIELDS = (
    "name",
    "phone_hash",
    "phone_masked",
    "organization",
    "org_type",
    "post",
    "hired_on",
)


def _code(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


class CensusProjection(Projection):
    name = "census"
    contract = REGISTRY_STREAM
    aggregates = _CONSUMED
    handles = frozenset(
        {
            "CensusPairDecided",
            "CensusTrainingRequested",
            "ExpertAdmitted",
            "ExpertPoolAdmitted",
            "WorkerCertified",
            "WorkerLeft",
            "WorkerProfileUpdated",
            "WorkerRegistered",
        }
    )
    ignores = frozenset({"LadderEligibilityChanged"})
    metadata = metadata

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._reset()

    # ---------------------------------------------------------------- state

    def _reset(self) -> None:
        self.linker: Linker | None = None
        self._version = 0
        self._model: MatchModel | None = None
        self._high_water: dict[str, int] = {}
        self._key_of: dict[str, str] = {}  # worker_id -> record key
        # Clerks' decisions that name a record not (yet) in the census.
        self._pending: dict[tuple[str, str], tuple[bool, str]] = {}
        self._waiting: dict[str, set[tuple[str, str]]] = {}
        self._batch_conn: AsyncConnection | None = None
        self._clear_batch()

    def _clear_batch(self) -> None:
        self._inserts: dict[str, dict[str, Any]] = {}
        self._updates: dict[str, dict[str, Any]] = {}
        self._certs: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._decided: dict[tuple[str, str], dict[str, Any]] = {}
        self._status: dict[tuple[str, str], str | None] = {}
        self._experts: dict[str, dict[str, Any]] = {}
        self._out: list[Decision] = []  # every decision of the batch (for the read models)
        self._emit: list[Decision] = []  # those not yet in the log (to append as events)
        self._seen: dict[str, int] = {}
        self._adopted: list[MatchModel] = []  # models learned in this batch

    def rolled_back(self) -> None:
        self._reset()

    def committed(self) -> None:
        emitted = len(self._emit) + len(self._adopted)
        self._batch_conn = None
        self._clear_batch()
        if emitted:
            self.store.notify_committed(emitted)

    async def _begin(self, conn: AsyncConnection) -> Linker:
        """First event of a batch: make sure memory equals the database."""
        if self._batch_conn is conn and self.linker is not None:
            return self.linker
        self._clear_batch()
        row = (
            await conn.execute(
                select(
                    census_state.c.version, census_state.c.high_water, census_state.c.model
                ).where(census_state.c.id == 1)
            )
        ).first()
        version = int(row.version) if row else 0
        if self.linker is None or version != self._version:
            self._model = MatchModel.from_dict(row.model) if row and row.model else None
            await self._load(conn)
            self._version = version
            self._high_water = {k: int(v) for k, v in (row.high_water if row else {}).items()}
        self._batch_conn = conn
        assert self.linker is not None
        return self.linker

    async def _load(self, conn: AsyncConnection) -> None:
        # The model in use scores the records as they load; learning resumes after.
        linker = Linker(model=self._model) if self._model else Linker()
        self.linker = linker
        self._key_of, self._pending, self._waiting = {}, {}, {}
        for r in await conn.execute(select(records).order_by(records.c.key)):
            linker.add(_census_record(r._mapping))
            self._key_of[r.worker_id] = r.key
        for d in await conn.execute(select(decisions).order_by(decisions.c.decided_at)):
            if d.status != "refused":
                self._try_decide(linker, d.a, d.b, d.same, d.by)
        linker.drain_changes()
        linker.auto_train = True
        self._out.clear()
        log.info("census loaded: %d records", len(linker))

    def _try_decide(self, linker: Linker, a: str, b: str, same: bool, by: str) -> str | None:
        """Apply a clerk's decision; ``None`` when applied, else ``pending`` / ``refused: …``."""
        missing = [k for k in (a, b) if k not in linker]
        if missing:
            self._pending[(a, b)] = (same, by)
            for key in missing:
                self._waiting.setdefault(key, set()).add((a, b))
            return "pending"
        try:
            self._out.extend(linker.decide(a, b, same, by))
        except CensusConflict as err:
            return f"refused: {err}"
        return None

    # ---------------------------------------------------------------- events

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        linker = await self._begin(conn)
        self._seen[envelope.source] = max(self._seen.get(envelope.source, 0), envelope.sequence)
        before = len(self._out)
        # Replaying what the log already holds (a rebuild) uses the model in use as it is:
        # given the model, the partition is the same whatever the order; learning is for
        # records the census has not seen.
        fresh = envelope.sequence > self._high_water.get(envelope.source, 0)
        linker.auto_train = fresh
        model_version = linker.model.version
        if isinstance(event, WorkerRegistered):
            self._registered(linker, event)
        elif isinstance(event, WorkerProfileUpdated):
            self._updated(linker, event)
        elif isinstance(event, WorkerCertified):
            cert = {
                "key": self._known(event.worker_id),
                "level": event.level.value,
                "certified_on": event.certified_on,
                "certificate_no": event.certificate_no,
            }
            self._certs[tuple(cert.values())] = cert  # (key, level, certified_on, no)
        elif isinstance(event, WorkerLeft):
            self._set(self._known(event.worker_id), {"left_on": event.left_on})
        elif isinstance(event, CensusPairDecided):
            self._clerk(linker, event, envelope)
        elif isinstance(event, CensusTrainingRequested) and fresh:
            # A rebuild replays with the model in use; only a new request learns again.
            self._out.extend(linker.train())
        elif isinstance(event, ExpertPoolAdmitted):
            await self._ladder_admission(conn, event)
        elif isinstance(event, ExpertAdmitted):
            self._experts[event.id_number_hash] = {
                "id_hash": event.id_number_hash,
                "id_masked": event.id_number_masked,
                "name": event.name,
                "admitted_on": event.admitted_on,
                "level": event.level.value,
            }
        if linker.model.version != model_version:
            self._model = linker.model
            self._adopted.append(linker.model)
        if fresh:
            self._emit.extend(self._out[before:])

    async def _ladder_admission(self, conn: AsyncConnection, event: ExpertPoolAdmitted) -> None:
        """The ladder admitted a worker: the person holding that record's valid ID number
        is in the pool (a record without a valid ID number cannot be counted as a person
        across departments, and is logged)."""
        key = self._known(event.worker_id)
        row = self._inserts.get(key)
        if row is None:
            found = (
                await conn.execute(
                    select(records.c.id_hash, records.c.id_masked, records.c.name).where(
                        records.c.key == key
                    )
                )
            ).first()
            row = dict(found._mapping) if found is not None else {}
        if not row.get("id_hash"):
            log.warning("census: expert %s has no valid ID number; not counted", key)
            return
        held = [
            CertificateLevel(r.level)
            for r in await conn.execute(
                select(certificates.c.level).where(
                    certificates.c.key.in_(
                        select(records.c.key).where(records.c.id_hash == row["id_hash"])
                    )
                    & (certificates.c.certified_on <= event.admitted_on)
                )
            )
        ] + [
            CertificateLevel(c["level"])
            for c in self._certs.values()
            if c["key"] == key and c["certified_on"] <= event.admitted_on
        ]
        highest = max(held, key=lambda level: level.rank, default=CertificateLevel.INTERMEDIATE)
        self._experts[row["id_hash"]] = {
            "id_hash": row["id_hash"],
            "id_masked": row["id_masked"],
            "name": row["name"],
            "admitted_on": event.admitted_on,
            "level": highest.value,
        }

    def _known(self, worker_id: str) -> str:
        key = self._key_of.get(worker_id)
        if key is None:
            raise LookupError(f"census: worker {worker_id} is not registered (out of order?)")
        return key

    def _registered(self, linker: Linker, event: WorkerRegistered) -> None:
        key = census_record_key(event.department, event.record_id, event.worker_id)
        if key in linker:
            # The registry keeps department keys unique; a second worker under one key
            # (two nodes claiming one department) is logged and left out of the census.
            log.warning("census: %s is taken; worker %s left out", key, event.worker_id)
            return
        row: dict[str, Any] = {
            "key": key,
            "worker_id": event.worker_id,
            "department": event.department,
            "record_id": event.record_id,
            "name": event.name,
            "gender": _code(event.gender),
            "birth_date": event.birth_date,
            "id_hash": event.id_number_hash,
            "id_masked": event.id_number_masked,
            "id_parts": event.id_number_parts,
            "phone_hash": event.phone_hash,
            "phone_masked": event.phone_masked,
            "organization": event.organization,
            "org_type": _code(event.org_type),
            "post": _code(event.post),
            "county": event.region.county,
            "township": event.region.township,
            "community": event.region.community,
            "hired_on": event.hired_on,
            "left_on": None,
        }
        self._inserts[key] = row
        self._key_of[event.worker_id] = key
        self._out.extend(linker.add(_census_record(row)))
        for pair in sorted(self._waiting.pop(key, ())):
            if pair in self._pending and all(k in linker for k in pair):
                same, by = self._pending.pop(pair)
                self._status[pair] = self._try_decide(linker, *pair, same, by)

    def _updated(self, linker: Linker, event: WorkerProfileUpdated) -> None:
        key = self._known(event.worker_id)
        values: dict[str, Any] = {}
        for name in event.changed:
            if name == "region":
                if event.region is not None:
                    values.update(event.region.model_dump())
            elif name in _ROW_FIELDS:
                values[name] = _code(getattr(event, name))
        if not values:
            return
        self._set(key, values)
        linkage = {k: v for k, v in values.items() if k in _LINKAGE_COLUMNS}
        if linkage:
            self._out.extend(linker.update(dataclasses.replace(linker.record(key), **linkage)))

    def _set(self, key: str, values: dict[str, Any]) -> None:
        if key in self._inserts:
            self._inserts[key].update(values)
        else:
            self._updates.setdefault(key, {}).update(values)

    def _clerk(self, linker: Linker, event: CensusPairDecided, envelope: Envelope) -> None:
        a, b = sorted((event.a, event.b))
        self._pending.pop((a, b), None)
        why = self._try_decide(linker, a, b, event.same, event.by)
        self._decided[(a, b)] = {
            "a": a,
            "b": b,
            "same": event.same,
            "by": event.by,
            "note": event.note,
            "decided_at": envelope.time,
        }
        self._status[(a, b)] = why

    # ---------------------------------------------------------------- writing

    async def flush(self, conn: AsyncConnection) -> None:
        linker = self.linker
        assert linker is not None
        changed_keys, changed_pairs = linker.drain_changes()
        if self._inserts:
            rows = [
                {**row, "person_id": linker.person_of(key)} for key, row in self._inserts.items()
            ]
            for start in range(0, len(rows), 1000):
                await conn.execute(records.insert(), rows[start : start + 1000])
        for key, values in self._updates.items():
            await conn.execute(update(records).where(records.c.key == key).values(**values))
        moved = [
            {"k": key, "p": linker.person_of(key)}
            for key in changed_keys
            if key not in self._inserts and key in linker
        ]
        if moved:
            await conn.execute(
                update(records)
                .where(records.c.key == bindparam("k"))
                .values(person_id=bindparam("p"))
                .execution_options(synchronize_session=False),
                moved,
            )
        await self._write_certificates(conn)
        await self._write_links(conn)
        await self._write_reviews(conn, linker, changed_pairs)
        await self._write_decisions(conn)
        for row in self._experts.values():
            await conn.execute(delete(experts).where(experts.c.id_hash == row["id_hash"]))
            await conn.execute(experts.insert().values(**row))
        await self._append_events(conn)

    async def _write_certificates(self, conn: AsyncConnection) -> None:
        """Insert the batch's certificates that are not there yet (a redelivered
        WorkerCertified, or the same certificate reported twice, is one row)."""
        if not self._certs:
            return
        keys = sorted({cert["key"] for cert in self._certs.values()})
        existing: set[tuple[Any, ...]] = set()
        for start in range(0, len(keys), 500):
            rows = await conn.execute(
                select(
                    certificates.c.key,
                    certificates.c.level,
                    certificates.c.certified_on,
                    certificates.c.certificate_no,
                ).where(certificates.c.key.in_(keys[start : start + 500]))
            )
            existing.update(tuple(r) for r in rows)
        new = [cert for ident, cert in self._certs.items() if ident not in existing]
        if new:
            await conn.execute(certificates.insert(), new)

    async def _write_links(self, conn: AsyncConnection) -> None:
        final: dict[tuple[str, str], Link | None] = {}
        for d in self._out:
            if isinstance(d, Link):
                final[(d.a, d.b)] = d
            elif isinstance(d, Unlink):
                final[(d.a, d.b)] = None
        if not final:
            return
        await _delete_pairs(conn, links, final)
        rows = [
            {"a": a, "b": b, "rule": link.rule, "score": link.score, "evidence": link.evidence}
            for (a, b), link in final.items()
            if link is not None
        ]
        if rows:
            await conn.execute(links.insert(), rows)

    async def _write_reviews(
        self, conn: AsyncConnection, linker: Linker, changed: set[tuple[str, str]]
    ) -> None:
        if not changed:
            return
        pairs = sorted(changed)
        await _delete_pairs(conn, reviews, pairs)
        rows = []
        for pair in pairs:
            review = linker.in_queue(pair)
            if review is not None:
                rows.append(
                    {
                        "a": review.a,
                        "b": review.b,
                        "reason": review.reason,
                        "score": review.score,
                        "evidence": review.evidence,
                    }
                )
        if rows:
            await conn.execute(reviews.insert(), rows)

    async def _write_decisions(self, conn: AsyncConnection) -> None:
        for pair, why in self._status.items():
            row = self._decided.get(pair)
            status = "applied" if why is None else why.split(":")[0]
            if row is not None:
                await conn.execute(
                    delete(decisions).where((decisions.c.a == pair[0]) & (decisions.c.b == pair[1]))
                )
                await conn.execute(
                    decisions.insert().values(**row, status=status, status_reason=why)
                )
            else:  # a waiting decision whose records have now arrived
                await conn.execute(
                    update(decisions)
                    .where((decisions.c.a == pair[0]) & (decisions.c.b == pair[1]))
                    .values(status=status, status_reason=why)
                )

    async def _append_events(self, conn: AsyncConnection) -> None:
        high_water = dict(self._high_water)
        for source, seq in self._seen.items():
            high_water[source] = max(high_water.get(source, 0), seq)
        version = self._version
        events: list[Event] = [_model_event(m) for m in self._adopted]
        events += [_event(d) for d in self._emit]
        if events:
            tx = Transaction(self.store, conn, CommandContext(actor="census"))
            await tx.append_many([Append(CENSUS_AGGREGATE, "census", version, events)])
            version += len(events)
        if version == self._version and high_water == self._high_water and not self._adopted:
            return
        values: dict[str, Any] = {"version": version, "high_water": high_water}
        if self._adopted:
            values["model"] = self._adopted[-1].as_dict()
        moved = await conn.execute(
            update(census_state)
            .where((census_state.c.id == 1) & (census_state.c.version == self._version))
            .values(**values)
        )
        if moved.rowcount != 1:
            if self._version != 0:
                raise RuntimeError("census: another replica moved the census meanwhile")
            await conn.execute(census_state.insert().values(id=1, **values))
        self._version, self._high_water = version, high_water


_LINKAGE_COLUMNS = ("name", "organization", "county", "township", "community", "phone_hash")


async def _delete_pairs(
    conn: AsyncConnection, table: Table, pairs: Iterable[tuple[str, str]]
) -> None:
    """One primary-key delete per pair (a row-value IN list is a table scan on SQLite)."""
    params = [{"pa": a, "pb": b} for a, b in pairs]
    if params:
        await conn.execute(
            delete(table).where((table.c.a == bindparam("pa")) & (table.c.b == bindparam("pb"))),
            params,
        )


def _census_record(row: Any) -> CensusRecord:
    return CensusRecord(
        key=row["key"],
        department=row["department"],
        name=row["name"],
        id_hash=row["id_hash"],
        id_masked=row["id_masked"],
        id_parts=row.get("id_parts"),
        birth_date=row["birth_date"],
        sex=row["gender"],
        phone_hash=row["phone_hash"],
        organization=row["organization"],
        county=row["county"],
        township=row["township"],
        community=row["community"],
    )


def _model_event(model: MatchModel) -> Event:
    data = model.as_dict()
    return CensusModelAdopted(
        version=model.version,
        records=model.records,
        prior=model.prior,
        trained_pairs=model.trained_pairs,
        records_per_person=model.records_per_person,
        levels=data["levels"],
        m=data["m"],
        u=data["u"],
    )


def _event(decision: Decision) -> Event:
    if isinstance(decision, Link):
        return RecordsLinked(
            a=decision.a,
            b=decision.b,
            rule=decision.rule,
            score=decision.score,
            evidence=decision.evidence,
        )
    if isinstance(decision, Unlink):
        return RecordsUnlinked(
            a=decision.a,
            b=decision.b,
            rule=decision.rule,
            reason=decision.reason,
            evidence=decision.evidence,
        )
    assert isinstance(decision, Review)
    return PairQueuedForReview(
        a=decision.a,
        b=decision.b,
        reason=decision.reason,
        score=decision.score,
        evidence=decision.evidence,
    )
