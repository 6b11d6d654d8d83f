"""The event store on SQLite and PostgreSQL: append, load, feed, optimistic concurrency."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from sqlalchemy import event

from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.store import CommandContext, ConcurrencyError, EventStore
from shegong.kernel.testing import Counted, Counter


async def test_append_load_and_feed_in_commit_order(store: EventStore) -> None:
    async with store.transaction(CommandContext(actor="alice", department="civil-affairs")) as tx:
        a = Counter("a")
        a.count(2)
        a.count(3)
        await tx.save(a)
    async with store.transaction() as tx:
        b = Counter("b")
        b.count(7)
        await tx.save(b)
    async with store.transaction() as tx:
        loaded = await tx.load(Counter, "a")
    assert loaded is not None and loaded.total == 5 and loaded.version == 2

    feed = await store.read_after(0)
    assert [(e.subject, e.aggregate_version, e.sequence) for e in feed] == [
        ("a", 1, 1),
        ("a", 2, 2),
        ("b", 1, 3),
    ]
    assert feed[0].actor == "alice" and feed[0].department == "civil-affairs"
    assert feed[0].data == {"by": 2}
    assert [e.sequence for e in await store.read_after(1, limit=1)] == [2]
    assert await store.head() == 3


async def test_stale_expected_version_is_a_clear_conflict(store: EventStore) -> None:
    async with store.transaction() as tx:
        c = Counter("c")
        c.count()
        await tx.save(c)
    with pytest.raises(ConcurrencyError, match="expected version 0, but the store is at 1"):
        async with store.transaction() as tx:
            await tx.append("c", "counter", 0, [Counted(by=1)])
    assert await store.head() == 1  # nothing half-written


async def test_concurrent_appends_one_wins_one_conflicts(store: EventStore) -> None:
    async with store.transaction() as tx:
        c = Counter("race")
        c.count()
        await tx.save(c)

    barrier = asyncio.Barrier(2)

    async def increment() -> str:
        try:
            async with store.transaction() as tx:
                counter = await tx.load(Counter, "race")
                assert counter is not None
                await barrier.wait()  # both have read version 1 before either writes
                counter.count()
                await tx.save(counter)
            return "ok"
        except ConcurrencyError:
            return "conflict"

    if store.engine.dialect.name == "sqlite":
        # SQLite serialises whole transactions (BEGIN IMMEDIATE): the second cannot
        # even read until the first commits, so stage the race on loaded copies.
        async with store.transaction() as tx:
            first = await tx.load(Counter, "race")
        async with store.transaction() as tx:
            second = await tx.load(Counter, "race")
        assert first is not None and second is not None
        first.count()
        second.count()
        results = []
        for agg in (first, second):
            try:
                async with store.transaction() as tx:
                    await tx.save(agg)
                results.append("ok")
            except ConcurrencyError:
                results.append("conflict")
    else:
        results = await asyncio.gather(increment(), increment())
    assert sorted(results) == ["conflict", "ok"]
    async with store.transaction() as tx:
        final = await tx.load(Counter, "race")
    assert final is not None and final.version == 2 and final.total == 2


async def test_many_writers_keep_positions_dense(store: EventStore) -> None:
    async def write(i: int) -> None:
        async with store.transaction() as tx:
            c = Counter(f"w{i}")
            c.count(i + 1)
            await tx.save(c)

    await asyncio.gather(*(write(i) for i in range(20)))
    feed = await store.read_after(0)
    assert [e.sequence for e in feed] == list(range(1, 21))


async def test_refused_command_leaves_no_event(store: EventStore) -> None:
    with pytest.raises(DomainError) as err:
        async with store.transaction() as tx:
            c = Counter("x")
            c.count(-1)
            await tx.save(c)
    assert err.value.field == "by"
    assert await store.head() == 0


async def test_a_bulk_append_draws_its_event_ids_at_once(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A system call per id gives up the GIL, under the write lock (events/ids.py).
    calls: list[int] = []
    urandom = os.urandom

    def counted(n: int) -> bytes:
        calls.append(n)
        return urandom(n)

    monkeypatch.setattr(os, "urandom", counted)
    async with store.transaction(CommandContext(correlation_id="bulk")) as tx:
        counters = [Counter(f"u{i}") for i in range(300)]
        for c in counters:
            c.count()
            c.count()
        envelopes = await tx.save_all(counters)
    monkeypatch.undo()
    # once for all 600 ids (another thread of the process may draw a few bytes meanwhile)
    assert calls.count(16 * 600) == 1 and len(calls) < 10
    ids = [e.id for e in envelopes]
    assert len(set(ids)) == 600
    assert all(uuid.UUID(i).version == 4 and str(uuid.UUID(i)) == i for i in ids)
    assert [e.id for e in await store.read_after(0, limit=1000)] == ids


async def test_bulk_append_is_all_or_nothing(store: EventStore) -> None:
    async with store.transaction() as tx:
        first = [Counter(f"b{i}") for i in range(1200)]  # more than one version-query chunk
        for c in first:
            c.count()
        assert len(await tx.save_all(first)) == 1200
    stale = Counter("b7")  # version 0, but the store holds b7 at version 1
    stale.count()
    fresh = Counter("new")
    fresh.count()
    with pytest.raises(ConcurrencyError, match="b7"):
        async with store.transaction() as tx:
            await tx.save_all([fresh, stale])
    feed = await store.read_after(0, limit=5000)
    assert [e.sequence for e in feed] == list(range(1, 1201))
    assert "new" not in {e.subject for e in feed}


async def test_a_stream_loaded_under_the_lock_is_saved_without_asking_its_version(
    store: EventStore,
) -> None:
    """lock → load → save → save: the versions read and written under the append lock
    are what the saves check (nobody else can move them), and a wrong one is still a
    conflict naming the version the stream is at."""
    async with store.transaction() as tx:
        c = Counter("held")
        c.count()
        c.count()
        await tx.save(c)
    executed: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        executed.append(statement)

    engine = store.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        async with store.transaction() as tx:
            await tx.lock()
            loaded = await tx.load(Counter, "held")
            assert loaded is not None and loaded.version == 2
            executed.clear()
            loaded.count(5)
            await tx.save(loaded)
            loaded.count(1)
            await tx.save(loaded)
            saves = list(executed)
            with pytest.raises(ConcurrencyError, match="expected version 3, but the store is at 4"):
                await tx.append("held", "counter", 3, [Counted(by=1)])
    finally:
        event.remove(engine, "before_cursor_execute", record)
    # No version query; and the inserts went to the driver (``raw_sql``), not through
    # SQLAlchemy's per-row parameter work (bench/README.md, census end to end, round 11).
    assert saves == [], saves
    async with store.transaction() as tx:
        again = await tx.load(Counter, "held")
    assert again is not None and again.version == 4 and again.total == 8
