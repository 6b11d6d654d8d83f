"""The city census as it runs: department records in, persons out, every decision an event.

:class:`CensusProjection` follows ``registry.events`` from every registry node. Each worker
event becomes a census record (``department:record_id``) fed to the incremental
:class:`~.linkage.Linker`; its decisions are appended as ``RecordsLinked`` /
``RecordsUnlinked`` (a spanning forest of each person: :mod:`.announce`) and
``PairQueuedForReview`` (one ``census`` aggregate: a total order) in the same
transaction as the read models and the projection's position. A clerk's
``CensusPairDecided`` goes the same path and sticks through later imports.

Replay. The partition is a function of the records and the clerks' decisions, whatever
their order, so rebuilding the read models from the feeds gives the same persons. The
decisions already in the log are not written twice: ``census_state.high_water`` keeps
the last position per source that was processed with events emitted, and a rebuild
replays up to it silently (it survives the rebuild; it is not part of the read model).

Where: in a worker process of the registry's by default (``REGISTRY_CENSUS_PROCESS``),
with the service's database and event store. The linker lives in memory, loaded from the
read models on the first batch, after a failed one, and when a replica moved the census.
When it learns again: :mod:`.learning`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts import Envelope, Event
from shegong.contracts.registry import (
    REGISTRY_STREAM,
    CensusPairDecided,
    CensusTrainingRequested,
    ExpertAdmitted,
    ExpertPoolAdmitted,
    ExpertPoolLeft,
    WorkerCertified,
    WorkerLeft,
    WorkerProfileUpdated,
    WorkerRegistered,
    census_record_key,
)
from shegong.kernel.events.read_model import Projection
from shegong.kernel.events.store import Append, CommandContext, EventStore, Transaction
from shegong.kernel.ops import raw_sql
from shegong.registry.census import certificates as held
from shegong.registry.census.announce import announce_batch, any_announced
from shegong.registry.census.arrivals import Arrivals
from shegong.registry.census.experts import ExpertPool
from shegong.registry.census.learning import learn, learn_when_due
from shegong.registry.census.linkage import CensusConflict, Decision, Linker, MatchModel
from shegong.registry.census.names import warm_names
from shegong.registry.census.tables import (
    CENSUS_AGGREGATE,
    announced,
    census_state,
    certificates,
    decisions,
    links,
    metadata,
    records,
    reviews,
)
from shegong.registry.census.writes import (
    BatchWrites,
    census_record,
    decision_event,
    link_rows,
    model_event,
    moved_rows,
    new_certificates,
    profile_values,
    record_row,
    review_rows,
    write_decisions,
    write_moved,
    write_pairs,
)

log = logging.getLogger("shegong.registry.census")

# Not its own link events.
_CONSUMED = frozenset({"worker", "census-decision", "census-training", "expert", "ladder"})


class CensusProjection(Projection):
    name = "census"
    contract = REGISTRY_STREAM
    aggregates = _CONSUMED
    handles = frozenset(
        {
            "ExpertPoolLeft",
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
    staged = True  # the linker computes outside the write transaction
    # Its work per event is small next to its wait for the write lock behind the other
    # projections' batches (≈ 1.5 s a turn under ``shegong up``): more per turn.
    min_batch = 1000

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
        self._refold = False  # rm_census_announced is empty: fold it from the log
        self._batch_conn: AsyncConnection | None = None
        self._clear_batch()

    def _clear_batch(self) -> None:
        self._inserts: dict[str, dict[str, Any]] = {}
        self._updates: dict[str, dict[str, Any]] = {}
        self._certs: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._decided: dict[tuple[str, str], dict[str, Any]] = {}
        self._status: dict[tuple[str, str], str | None] = {}
        self._pool = ExpertPool()  # admitted and left, by ID hash
        self._out: list[Decision] = []  # every decision of the batch (for the read models)
        self._emit: list[Decision] = []  # those not yet in the log (to append as events)
        self._seen: dict[str, int] = {}
        self._adopted: list[MatchModel] = []  # models learned in this batch
        self._train_due = False  # a fresh record made the census due to learn again
        self._writes: BatchWrites | None = None
        self._arrivals = Arrivals()  # registered in the batch, not yet in the linker
        self._appended: list[Envelope] = []  # the batch's events as appended (for the relay)

    def rolled_back(self) -> None:
        self._reset()

    def committed(self) -> None:
        writes, appended, self._batch_conn = self._writes, self._appended, None
        self._clear_batch()
        if writes is not None:  # prepared and written: rm_census_announced too
            self._refold = False
            if writes.events:
                self.store.notify_committed(len(writes.events), appended)

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
            # The name dictionaries (OpenCC, pinyin) load off the loop, not at a first name.
            await asyncio.to_thread(warm_names)
            self._model = MatchModel.from_dict(row.model) if row and row.model else None
            await self._load(conn)
            self._version = version
            self._high_water = {k: int(v) for k, v in (row.high_water if row else {}).items()}
            self._refold = version > 0 and not await any_announced(conn)
        self._batch_conn = conn
        assert self.linker is not None
        return self.linker

    async def _load(self, conn: AsyncConnection) -> None:
        # The model in use scores the records as they load; learning resumes after.
        linker = Linker(model=self._model) if self._model else Linker()
        self.linker = linker
        self._key_of, self._pending, self._waiting = {}, {}, {}
        certs = await held.load_certificates(conn)
        for r in await conn.execute(select(records).order_by(records.c.key)):
            linker.add(census_record(r._mapping, certs.get(r.key)))
            self._key_of[r.worker_id] = r.key
        for d in await conn.execute(select(decisions).order_by(decisions.c.decided_at)):
            if d.status != "refused":
                self._try_decide(linker, d.a, d.b, d.same, d.by)
        linker.drain_changes()
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
        # Replaying what the log already holds (a rebuild) uses the model in use as it is:
        # given the model, the partition is the same whatever the order; learning is for
        # records the census has not seen.
        fresh = envelope.sequence > self._high_water.get(envelope.source, 0)
        if self._arrivals and not self._arrivals.keeps(event, self._key_of, self._waiting, fresh):
            self._enter(linker)  # the event reads or changes the linker: the batch's in first
        before = len(self._out)
        model_version = linker.model.version
        if isinstance(event, WorkerRegistered):
            self._registered(linker, event, fresh)
        elif isinstance(event, WorkerProfileUpdated):
            self._updated(linker, event)
        elif isinstance(event, WorkerCertified):  # stored, and weighed: the record re-scored
            key = self._known(event.worker_id)
            cert, code = held.from_event(key, event)
            self._certs[tuple(cert.values())] = cert  # (key, level, certified_on, no)
            if not self._arrivals.certify(key, code):  # in the linker already
                self._out.extend(linker.update(held.with_certificate(linker.record(key), code)))
        elif isinstance(event, WorkerLeft):
            self._set(self._known(event.worker_id), {"left_on": event.left_on})
        elif isinstance(event, CensusPairDecided):
            self._clerk(linker, event, envelope)
        elif isinstance(event, CensusTrainingRequested) and fresh:
            # A rebuild replays with the model in use; only a new request learns again.
            self._out.extend(await learn(linker))
        elif isinstance(event, ExpertPoolAdmitted):
            key = self._known(event.worker_id)
            await self._pool.pool_admitted(conn, key, event, self._inserts, self._certs)
        elif isinstance(event, ExpertPoolLeft):
            await self._pool.pool_left(conn, self._known(event.worker_id), event, self._inserts)
        elif isinstance(event, ExpertAdmitted):
            self._pool.expert_admitted(event)
        if fresh and isinstance(event, WorkerRegistered):
            self._train_due = True  # learned at the batch's end if due (``learn_when_due``)
        self._adopt(linker, model_version)
        if fresh:
            self._emit.extend(self._out[before:])

    def _adopt(self, linker: Linker, version: int) -> None:
        if linker.model.version != version:  # learned meanwhile: an event of its own
            self._model = linker.model
            self._adopted.append(linker.model)

    def _known(self, worker_id: str) -> str:
        key = self._key_of.get(worker_id)
        if key is None:
            raise LookupError(f"census: worker {worker_id} is not registered (out of order?)")
        return key

    def _registered(self, linker: Linker, event: WorkerRegistered, fresh: bool) -> None:
        key = census_record_key(event.department, event.record_id, event.worker_id)
        if key in linker or key in self._arrivals:
            # The registry keeps department keys unique; a second worker under one key
            # (two nodes claiming one department) is logged and left out of the census.
            log.warning("census: %s is taken; worker %s left out", key, event.worker_id)
            return
        row = record_row(key, event)
        self._inserts[key] = row
        self._key_of[event.worker_id] = key
        if key in self._waiting:  # a clerk's decision waits for it: in now
            self._out.extend(linker.add(census_record(row)))
        else:  # it enters the linker with the batch's certificates of it (``arrivals``)
            self._arrivals.hold(census_record(row), fresh)
        for pair in sorted(self._waiting.pop(key, ())):
            if pair in self._pending and all(k in linker for k in pair):
                same, by = self._pending.pop(pair)
                self._status[pair] = self._try_decide(linker, *pair, same, by)

    def _enter(self, linker: Linker) -> None:
        """The batch's held registrations into the linker (``arrivals``)."""
        for out, fresh in self._arrivals.enter(linker):
            self._out.extend(out)
            if fresh:
                self._emit.extend(out)

    def _updated(self, linker: Linker, event: WorkerProfileUpdated) -> None:
        key = self._known(event.worker_id)
        values, linkage = profile_values(event)
        if not values:
            return
        self._set(key, values)
        if linkage:
            self._out.extend(linker.update(dataclasses.replace(linker.record(key), **linkage)))

    def _set(self, key: str, values: dict[str, Any]) -> None:
        target = self._inserts[key] if key in self._inserts else self._updates.setdefault(key, {})
        target.update(values)

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

    async def prepare(self, conn: AsyncConnection) -> None:
        """Everything the batch's writes need, computed before the write transaction (the
        projection is staged: ``conn`` only reads)."""
        linker = self.linker
        assert linker is not None
        self._enter(linker)
        if self._train_due:  # only fresh registrations make it due: its decisions are news
            version, after = linker.model.version, self._seen.get(self.store.identity.source)
            learned = await learn_when_due(conn, linker, after)
            self._out.extend(learned)
            self._emit.extend(learned)
            self._adopt(linker, version)
        changed_keys, changed_pairs = linker.drain_changes()
        rows = [{**row, "person_id": linker.person_of(key)} for key, row in self._inserts.items()]
        moved = await moved_rows(
            conn, linker, [k for k in changed_keys if k not in self._inserts and k in linker]
        )
        events: list[Event] = [model_event(m) for m in self._adopted]
        fresh, announcing = await announce_batch(conn, linker, self._emit, self._refold)
        events += [decision_event(d) for d in fresh]
        self._writes = BatchWrites(
            rows=rows,
            moved=moved,
            certificates=await new_certificates(conn, self._certs),
            links=link_rows(self._out),
            reviews=review_rows(linker, changed_pairs),
            announced=announcing,
            events=events,
        )

    async def flush(self, conn: AsyncConnection) -> None:
        writes = self._writes
        assert writes is not None, "prepare() comes first"
        for start in range(0, len(writes.rows), 1000):
            await raw_sql.insert_rows(conn, records, writes.rows[start : start + 1000])
        for key, values in self._updates.items():
            await conn.execute(update(records).where(records.c.key == key).values(**values))
        await write_moved(conn, writes.moved)
        if writes.certificates:
            await raw_sql.insert_rows(conn, certificates, writes.certificates)
        await write_pairs(conn, links, writes.links)
        await write_pairs(conn, reviews, writes.reviews)
        await write_pairs(conn, announced, writes.announced)
        await write_decisions(conn, self._status, self._decided)
        await self._pool.write(conn)
        await self._append_events(conn, writes.events)

    async def _append_events(self, conn: AsyncConnection, events: list[Event]) -> None:
        high_water = dict(self._high_water)
        for source, seq in self._seen.items():
            high_water[source] = max(high_water.get(source, 0), seq)
        version = self._version
        if events:
            tx = Transaction(self.store, conn, CommandContext(actor="census"))
            self._appended = await tx.append_many(
                [Append(CENSUS_AGGREGATE, "census", version, events)]
            )
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
