"""A staged projection computes outside the write transaction and still applies each
event exactly once, with its position in the same commit — also when two replicas
apply the same events at the same time, and when a batch fails."""

from __future__ import annotations

import asyncio
import time
from typing import ClassVar

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts import Envelope, Event
from shegong.kernel.events.feed import Feeds
from shegong.kernel.events.projection import EventFailed, ProjectionRunner
from shegong.kernel.ops.db import reading
from shegong.kernel.testing import (
    Counted,
    Poisoned,
    TallyProjection,
    count_up,
    tallies,
    tally_rows,
)

from .conftest import make_store
from .test_raw_sql import DELAY_S, _slow_proxy


class StagedTally(TallyProjection):
    """The tally, kept in memory during the batch and written by ``flush`` only."""

    name: ClassVar[str] = "staged-tally"
    staged = True

    def __init__(self, pause_s: float = 0.0) -> None:
        self.pause_s = pause_s
        self.pending: dict[str, tuple[int, int]] = {}

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        if isinstance(event, Poisoned):
            raise ValueError("poisoned event")
        assert isinstance(event, Counted)
        if envelope.subject not in self.pending:
            row = (
                await conn.execute(select(tallies).where(tallies.c.counter_id == envelope.subject))
            ).first()
            self.pending[envelope.subject] = (row.total, row.applied) if row else (0, 0)
        total, applied = self.pending[envelope.subject]
        self.pending[envelope.subject] = (total + event.by, applied + 1)

    async def prepare(self, conn: AsyncConnection) -> None:
        await asyncio.sleep(self.pause_s)  # the linker's seconds, outside the write lock

    async def flush(self, conn: AsyncConnection) -> None:
        for counter_id, (total, applied) in self.pending.items():
            await conn.execute(tallies.delete().where(tallies.c.counter_id == counter_id))
            await conn.execute(
                tallies.insert().values(counter_id=counter_id, total=total, applied=applied)
            )

    def committed(self) -> None:
        self.pending = {}

    def rolled_back(self) -> None:
        self.pending = {}


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_two_replicas_applying_the_same_events_at_once_apply_each_once(
    database_url: str,
) -> None:
    store = await make_store(database_url)
    other = await make_store(database_url)
    try:
        for counter in ("a", "b", "c"):
            await count_up(store, counter, 7)
        feed = await store.read_after(0)
        runners = [
            ProjectionRunner(s.engine, StagedTally(pause_s=0.2), Feeds({s.identity.source: s}))
            for s in (store, other)
        ]
        await runners[0].create_schema()
        # Both read the same positions, compute, then race for the write: one commits,
        # the other finds the positions moved, starts over and finds only duplicates.
        results = await asyncio.gather(*(r.process(feed) for r in runners))
        assert sorted(r.applied for r in results) == [0, 21]
        assert await tally_rows(store.engine) == {"a": (7, 7), "b": (7, 7), "c": (7, 7)}
        assert await runners[0].positions() == {store.identity.source: 21}
    finally:
        await other.engine.dispose()
        await store.engine.dispose()


async def test_a_failed_staged_batch_keeps_nothing_and_one_runner_applies_in_turn(
    sqlite_url: str,
) -> None:
    store = await make_store(sqlite_url)
    try:
        await count_up(store, "x", 3)
        async with store.transaction() as tx:
            await tx.append("x", "counter", 3, [Poisoned()])
        feed = await store.read_after(0)
        runner = ProjectionRunner(
            store.engine, StagedTally(), Feeds({store.identity.source: store})
        )
        await runner.create_schema()
        with pytest.raises(EventFailed):
            await runner.process(feed)
        assert await tally_rows(store.engine) == {}
        assert await runner.positions() == {}
        # The Redis reader and the feed catch-up of one runner never interleave a batch.
        first, second = await asyncio.gather(runner.process(feed[:3]), runner.process(feed[:2]))
        assert (first.applied, second.duplicates) == (3, 2)
        assert await tally_rows(store.engine) == {"x": (3, 3)}
    finally:
        await store.engine.dispose()


class TimedTally(StagedTally):
    """The staged tally, noting when its batch reached ``prepare`` (its reads done)."""

    def __init__(self) -> None:
        super().__init__()
        self.prepared_at = 0.0

    async def prepare(self, conn: AsyncConnection) -> None:
        self.prepared_at = time.perf_counter()


async def test_a_staged_batch_reads_on_postgres_without_begin_or_rollback(
    postgres_url: str,
) -> None:
    """A staged batch's reads (positions, dead letters, the projection's own) only read,
    and are checked again under the write lock: on PostgreSQL they run in autocommit —
    each statement one wait for the server, no BEGIN before them (nor ROLLBACK after)."""
    url = make_url(postgres_url)
    proxy = await _slow_proxy(url.host or "127.0.0.1", url.port or 5432)
    port = proxy.sockets[0].getsockname()[1]
    store = await make_store(url.set(host="127.0.0.1", port=port).render_as_string(False))
    try:
        await count_up(store, "a", 2)
        tally = TimedTally()
        runner = ProjectionRunner(store.engine, tally, Feeds({store.identity.source: store}))
        await runner.create_schema()
        feed = await store.read_after(0)
        await runner.process(feed[:1])  # the connections open; the position stored
        async with reading(store.engine, apart=True) as conn:
            t0 = time.perf_counter()
            await conn.execute(select(tallies))
            await conn.execute(select(tallies))
            two = time.perf_counter() - t0
        assert 2 * DELAY_S <= two < 2.6 * DELAY_S, two
        t0 = time.perf_counter()
        await runner.process(feed[1:])
        # The positions and the dead letters in one wait, the tally's row in another
        # (one by one, three; with a BEGIN, four).
        assert tally.prepared_at - t0 < 2.6 * DELAY_S, tally.prepared_at - t0
        assert await tally_rows(store.engine) == {"a": (2, 2)}
    finally:
        await store.engine.dispose()
        proxy.close()


class TimedWrites(TallyProjection):
    """The tally written event by event (not staged), noting its first event's turn."""

    first_at = 0.0

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        self.first_at = self.first_at or time.perf_counter()
        await super().apply(conn, envelope, event)


async def test_a_batch_starts_its_write_transaction_in_one_round_trip_on_postgres(
    postgres_url: str,
) -> None:
    """A batch's transaction begins, locks its positions and reads the dead letters in
    one wait for the server (``db.writing`` sends the BEGIN at the head of the pipeline:
    psycopg's own BEGIN waited alone, two waits; one by one, three) before the first
    event is applied."""
    url = make_url(postgres_url)
    proxy = await _slow_proxy(url.host or "127.0.0.1", url.port or 5432)
    port = proxy.sockets[0].getsockname()[1]
    store = await make_store(url.set(host="127.0.0.1", port=port).render_as_string(False))
    try:
        await count_up(store, "b", 2)
        tally = TimedWrites()
        runner = ProjectionRunner(store.engine, tally, Feeds({store.identity.source: store}))
        await runner.create_schema()
        feed = await store.read_after(0)
        await runner.process(feed[:1])  # the connection open; the position stored
        tally.first_at = 0.0
        t0 = time.perf_counter()
        await runner.process(feed[1:])
        assert DELAY_S <= tally.first_at - t0 < 1.6 * DELAY_S, tally.first_at - t0
        assert await tally_rows(store.engine) == {"b": (2, 2)}
    finally:
        await store.engine.dispose()
        proxy.close()
