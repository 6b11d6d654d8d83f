"""The event store (事件存储): each service's source of truth, in its own SQL database.

Append is atomic with optimistic concurrency: ``UNIQUE(stream_id, version)`` plus an
explicit expected-version check, so a conflict is a clear :class:`ConcurrencyError`,
never an overwrite. Appends are serialised (SQLite: BEGIN IMMEDIATE; PostgreSQL: an
EXCLUSIVE table lock) and each event gets ``position = max + 1``: positions are dense
and in commit order, so the event log is also the outbox and the pull feed — a reader
that follows positions can never miss a row that committed late.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shegong.contracts import Envelope, Event, StreamContract
from shegong.kernel.events import statements as sql
from shegong.kernel.events.aggregate import Aggregate
from shegong.kernel.events.committed import CommittedWindow
from shegong.kernel.events.envelopes import _aware, _construct_envelope, _stub
from shegong.kernel.events.ids import uuid4_strings
from shegong.kernel.events.schema import metadata
from shegong.kernel.ops import raw_sql, tracing
from shegong.kernel.ops.db import is_postgres, read_once, reading, writing
from shegong.kernel.ops.raw_sql import RawResult, Step
from shegong.kernel.web.correlation import correlation_id_or_new

A = TypeVar("A", bound=Aggregate)


class ConcurrencyError(Exception):
    """Someone else appended to this aggregate first: reload and decide again."""

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"{stream_id}: expected version {expected}, but the store is at "
            f"{actual if actual >= 0 else 'a newer one'} "
            "(changed by another command meanwhile; reload and retry)"
        )
        self.stream_id, self.expected, self.actual = stream_id, expected, actual


@dataclass(frozen=True)
class CommandContext:
    """Who asked, on whose behalf, and which conversation it belongs to.

    The correlation id defaults to the conversation in progress (the HTTP request's
    ``X-Correlation-ID``, the event a consumer is handling), else a fresh one.

    ``role`` is the caller's role when it came through an API key (``auth.py``): a
    ``department`` context may change only records of its own ``department``."""

    actor: str | None = None
    department: str | None = None
    correlation_id: str = field(default_factory=correlation_id_or_new)
    causation_id: str | None = None
    role: str | None = None
    key_id: str | None = None  # the API key's id (access records name it, round 13)


@dataclass(frozen=True)
class EventStoreIdentity:
    """Who this store speaks as on the bus."""

    service: str
    source: str
    contract: StreamContract


class EventStore:
    """Append, load and read a service's events. One instance per service process."""

    def __init__(self, engine: AsyncEngine, identity: EventStoreIdentity) -> None:
        self.engine = engine
        self.identity = identity
        self.appended_total = 0  # events committed by this process (metrics)
        self._listeners: list[Callable[[], None]] = []
        self._committed = CommittedWindow()  # for this process's relay, while it leads

    async def create_schema(self) -> None:
        async with writing(self.engine) as conn:
            await conn.run_sync(metadata.create_all)

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Called after a transaction that appended events commits (wakes the relay)."""
        self._listeners.append(listener)

    def notify_committed(self, appended: int = 0, envelopes: Sequence[Envelope] = ()) -> None:
        """Tell the listeners that appended events are committed (for code that appends
        through a :class:`Transaction` on a connection it commits itself); ``appended``
        is how many, for the metrics; ``envelopes``, the events themselves (the
        transaction's ``appended``), kept for :meth:`committed_after`."""
        self.appended_total += appended
        self._committed.add(envelopes)
        for listener in self._listeners:
            listener()

    def keep_committed(self, keep: bool) -> None:
        """Keep the events this process commits for :meth:`committed_after` (a relay
        that publishes), or stop and forget them."""
        self._committed.keep(keep)

    def committed_after(self, position: int, limit: int) -> list[Envelope] | None:
        """The events after ``position`` as this process committed them (``committed``),
        or None: read the store."""
        return self._committed.after(position, limit)

    @asynccontextmanager
    async def transaction(self, ctx: CommandContext | None = None) -> AsyncIterator[Transaction]:
        """One unit of work: load aggregates, save them, write side tables, commit once."""
        async with writing(self.engine) as conn:
            tx = Transaction(self, conn, ctx or CommandContext())
            yield tx
        if tx.appended:
            self.notify_committed(len(tx.appended), tx.appended)

    async def read_after(self, position: int, limit: int = 1000) -> list[Envelope]:
        """The feed: events with position > ``position``, in order."""
        rows = await read_once(self.engine, sql.AFTER, {"after": position, "limit": limit})
        return [self._envelope(row._mapping) for row in rows]

    async def head(self) -> int:
        async with reading(self.engine) as conn:
            return int(await conn.scalar(sql.HEAD) or 0)

    def _envelope(self, row: Any) -> Envelope:
        # Rows of our own store were validated when appended: construct without
        # re-validating (the feed and every rebuild go through here, row by row).
        return _construct_envelope(
            {
                "id": row["event_id"],
                "type": row["type"],
                "schema_version": row["schema_version"],
                "source": self.identity.source,
                "service": self.identity.service,
                "department": row["department"],
                "subject": row["stream_id"],
                "aggregate_type": row["aggregate_type"],
                "aggregate_version": row["version"],
                "sequence": row["position"],
                "time": _aware(row["occurred_at"]),
                "recorded_time": _aware(row["recorded_at"]),
                "actor": row["actor"],
                "correlation_id": row["correlation_id"],
                "causation_id": row["causation_id"],
                "traceparent": row.get("traceparent"),
                "data": row["data"],
            }
        )


class Transaction:
    """A unit of work on one connection; commit happens when the block exits cleanly."""

    def __init__(self, store: EventStore, conn: AsyncConnection, ctx: CommandContext) -> None:
        self.store, self.conn, self.ctx = store, conn, ctx
        self.appended: list[Envelope] = []
        self._head: int | None = None  # known once this transaction holds the append lock
        # Streams' versions read or written while holding the append lock: nobody else
        # can move them before this transaction ends, so a save checks against these
        # instead of asking the database again.
        self._versions: dict[str, int] = {}
        self._lock_held = False  # on PostgreSQL: LOCK TABLE sent in this transaction

    async def load(self, cls: type[A], aggregate_id: str) -> A | None:
        rows = (await self.conn.execute(sql.HISTORY, {"stream_id": aggregate_id})).all()
        contract = self.store.identity.contract
        history = [
            contract.decode(_stub(aggregate_id, r.type, r.schema_version, r.data)) for r in rows
        ]
        if self._head is not None:  # read under the lock: the stream's version now
            self._versions[aggregate_id] = rows[-1].version if rows else 0
        if not history:
            return None
        return cls.rehydrate(aggregate_id, history)

    async def save(self, aggregate: Aggregate) -> list[Envelope]:
        return await self.save_all([aggregate])

    async def save_with(
        self, aggregate: Aggregate, then: Sequence[Step], *, commit: bool = False
    ) -> tuple[list[Envelope], list[RawResult]]:
        """:meth:`save`, then ``then`` (``raw_sql`` statements of the same unit of work),
        on PostgreSQL in the insert's round trip; their results in order.

        ``commit``: the unit of work ends here — on PostgreSQL its COMMIT goes in the same
        trip (``raw_sql.execute_all``: ``then``'s steps must fail as SQL errors, nothing
        runs after), a moved version failing the insert (a :class:`ConcurrencyError`)."""
        pending = aggregate.collect_pending()
        start = aggregate.version - len(pending)
        batches = [Append(aggregate.id, aggregate.type_name, start, pending)] if pending else []
        return await self._append_traced(batches, then, commit)

    async def lock_with(self, steps: Sequence[Step]) -> list[RawResult]:
        """Take the append lock (held until commit) and run ``steps`` under it, on
        PostgreSQL in the lock's round trip (a check that must not race another)."""
        lock = self._lock_steps()
        results = await raw_sql.execute_all(self.conn, [*lock, *steps])
        self._lock_held = True
        return results[len(lock) :]

    def _lock_steps(self) -> list[Step]:  # SQLite: BEGIN IMMEDIATE took the lock
        pg = is_postgres(self.store.engine) and not self._lock_held
        return [(sql.RAW_LOCK_PG, {})] if pg else []

    async def save_all(self, aggregates: Sequence[Aggregate]) -> list[Envelope]:
        """Append every aggregate's pending events in one go (bulk imports)."""
        batches = []
        for aggregate in aggregates:
            pending = aggregate.collect_pending()
            if pending:
                start = aggregate.version - len(pending)
                batches.append(Append(aggregate.id, aggregate.type_name, start, pending))
        return await self.append_many(batches)

    async def append(
        self,
        stream_id: str,
        aggregate_type: str,
        expected_version: int,
        events: Sequence[Event],
        *,
        occurred_at: datetime | None = None,
    ) -> list[Envelope]:
        return await self.append_many(
            [Append(stream_id, aggregate_type, expected_version, events, occurred_at)]
        )

    async def append_many(self, batches: Sequence[Append]) -> list[Envelope]:
        """Check every expected version, then insert all events with dense positions.

        Three statements for any number of aggregates (a version query per 500 ids, one
        head query per transaction, one multi-row insert) — bulk paths stay bulk; two for
        one aggregate (its version and the head in one query, the insert).
        """
        return (await self._append_traced(batches, (), False))[0]

    async def _append_traced(
        self, batches: Sequence[Append], then: Sequence[Step], commit: bool
    ) -> tuple[list[Envelope], list[RawResult]]:
        if not batches:
            return [], await raw_sql.execute_all(self.conn, then, commit=commit)
        with tracing.span(
            f"{self.store.identity.contract.name} append",
            attributes={
                "shegong.service": self.store.identity.service,
                "shegong.aggregates": len(batches),
                "shegong.events": sum(len(b.events) for b in batches),
            },
        ):
            return await self._append_many(batches, tracing.current_traceparent(), then, commit)

    async def _append_many(
        self,
        batches: Sequence[Append],
        traceparent: str | None,
        then: Sequence[Step],
        commit: bool,
    ) -> tuple[list[Envelope], list[RawResult]]:
        conn = self.conn
        ids = [b.stream_id for b in batches]
        if len(set(ids)) != len(ids):
            raise ValueError("append_many: one batch per aggregate")
        now = datetime.now(UTC)
        ctx = self.ctx
        rows: list[dict[str, Any]] = []
        # Drawn at once: a system call per id gives up the GIL, under the lock (ids.py).
        event_ids = iter(uuid4_strings(sum(len(b.events) for b in batches)))
        for b in batches:
            for i, ev in enumerate(b.events, start=1):
                rows.append(
                    {
                        "event_id": next(event_ids),
                        "stream_id": b.stream_id,
                        "aggregate_type": b.aggregate_type,
                        "version": b.expected_version + i,
                        "type": ev.type,
                        "schema_version": type(ev).schema_version,
                        "department": ctx.department,
                        "actor": ctx.actor,
                        "correlation_id": ctx.correlation_id,
                        "causation_id": ctx.causation_id,
                        "occurred_at": b.occurred_at or now,
                        "recorded_at": now,
                        "data": ev.data(),
                        "traceparent": traceparent,
                    }
                )
        if len(rows) == 1 and self._head is None:
            results = await self._append_one(batches[0], rows[0], then, commit)
        else:
            await self._check_versions(batches)
            head = self._head
            assert head is not None
            for row in rows:
                head += 1
                row["position"] = head
            try:
                # On the driver (``raw_sql``): SQLAlchemy's executemany built every row's
                # parameters anew — ≈ 7 % of the host's GIL under a big import (round 11).
                await raw_sql.execute(conn, sql.RAW_INSERT, rows)
            except IntegrityError as err:
                b = batches[0]
                raise ConcurrencyError(b.stream_id, b.expected_version, -1) from err
            self._head = head
            results = await raw_sql.execute_all(conn, then, commit=commit)
        for b in batches:
            self._versions[b.stream_id] = b.expected_version + len(b.events)
        envelopes = [self.store._envelope(r) for r in rows]
        self.appended.extend(envelopes)
        return envelopes, results

    async def _append_one(
        self, batch: Append, row: dict[str, Any], then: Sequence[Step], commit: bool
    ) -> list[RawResult]:
        """One event: the lock, the insert (it checks the version and takes the next
        position itself), ``then`` — compiled once, on the driver's connection, in one
        round trip on PostgreSQL (``raw_sql``; bench/README.md, rounds 11 and 15)."""
        params = {**row, "expected": batch.expected_version}
        lock = self._lock_steps()
        strict = commit and is_postgres(self.store.engine)
        insert = sql.RAW_INSERT_ONE_OR_FAIL if strict else sql.RAW_INSERT_ONE
        try:
            results = await raw_sql.execute_all(
                self.conn, [*lock, (insert, params), *then], commit=commit
            )
        except IntegrityError as err:
            raise ConcurrencyError(batch.stream_id, batch.expected_version, -1) from err
        self._lock_held = True
        position = results[len(lock)].scalar()
        if position is None:  # the version was not the one expected: nothing inserted
            actual = await self.stream_version(batch.stream_id)
            raise ConcurrencyError(batch.stream_id, batch.expected_version, actual)
        row["position"] = self._head = int(position)
        return results[len(lock) + 1 :]

    async def _check_versions(self, batches: Sequence[Append]) -> None:
        conn = self.conn
        ids = [b.stream_id for b in batches]
        actual: dict[str, int] = {}
        if len(batches) == 1 and self._head is None:
            await self._take_lock()
            row = (await conn.execute(sql.HEAD_AND_VERSION, {"stream_id": ids[0]})).one()
            self._head, actual[ids[0]] = int(row[0]), int(row[1])
        elif len(batches) == 1:
            known = self._versions.get(ids[0])
            actual[ids[0]] = (
                known
                if known is not None
                else int(await conn.scalar(sql.VERSION, {"stream_id": ids[0]}) or 0)
            )
        else:
            await self.lock()
            for chunk in range(0, len(ids), 500):
                versions = await conn.execute(sql.VERSIONS, {"ids": ids[chunk : chunk + 500]})
                actual.update({r[0]: int(r[1]) for r in versions})
        for b in batches:
            if actual.get(b.stream_id, 0) != b.expected_version:
                raise ConcurrencyError(b.stream_id, b.expected_version, actual.get(b.stream_id, 0))

    async def stream_version(self, stream_id: str) -> int:
        """The version of one stream (an aggregate's, or a log's such as the views of
        one record): the number of its events, 0 when it has none. Take :meth:`lock`
        first when an append follows, so that nobody appends in between."""
        return int(await self.conn.scalar(sql.VERSION, {"stream_id": stream_id}) or 0)

    async def lock(self) -> int:
        """Take the append lock now (held until commit) and return the head position.

        Appends take it anyway; call it first when a check made before appending must
        not race another transaction (a uniqueness check, say).
        """
        if self._head is None:
            await self._take_lock()
            self._head = int(await self.conn.scalar(sql.HEAD) or 0)
        return self._head

    async def _take_lock(self) -> None:
        # SQLite: BEGIN IMMEDIATE took the write lock already (``db.writing``). PostgreSQL:
        # a statement of its own, so that the next one's snapshot sees every commit.
        if is_postgres(self.store.engine) and not self._lock_held:
            await self.conn.execute(sql.LOCK_PG)
            self._lock_held = True


@dataclass(frozen=True)
class Append:
    """Events for one aggregate, expected to land on top of ``expected_version``."""

    stream_id: str
    aggregate_type: str
    expected_version: int
    events: Sequence[Event]
    occurred_at: datetime | None = None
