"""The bus guarantees, on a real Redis: relay, consumer groups, claimer, DLQ, gaps.

Every test has its own stream prefix and database; the tally read model *adds* on each
application, so a duplicate or a loss shows in its totals.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from typing import ClassVar

import pytest
from faststream.redis import RedisBroker
from redis.asyncio import Redis
from sqlalchemy import select

from shegong.contracts import Envelope
from shegong.contracts.events import Upcaster
from shegong.kernel.events.feed import Feeds
from shegong.kernel.events.projection import ProjectionRunner
from shegong.kernel.events.relay import OutboxRelay
from shegong.kernel.events.schema import projection_positions
from shegong.kernel.events.store import EventStore
from shegong.kernel.events.subscription import StreamSubscription, dlq_stream
from shegong.kernel.ops.db import reading
from shegong.kernel.testing import (
    TALLY_STREAM,
    BatchedTallyProjection,
    Counted,
    Counter,
    Poisoned,
    TallyProjection,
    eventually,
    tally_rows,
)


async def count(store: EventStore, counter_id: str, times: int = 1, by: int = 1) -> None:
    for _ in range(times):
        async with store.transaction() as tx:
            c = await tx.load(Counter, counter_id) or Counter(counter_id)
            c.count(by)
            await tx.save(c)


@contextlib.asynccontextmanager
async def consumer(
    redis_url: str,
    redis: Redis,
    store: EventStore,
    stream: str,
    *,
    group: str = "g",
    name: str = "c1",
    claim_idle_ms: int = 300,
    max_attempts: int = 3,
    projection: TallyProjection | None = None,
    background: bool = True,
) -> AsyncIterator[StreamSubscription]:
    """A tally read model in ``store``'s database, fed from ``stream`` via FastStream;
    its claimer and watchdog running as a service's do (``background``), else the test
    starts them."""
    runner = ProjectionRunner(
        store.engine,
        projection or TallyProjection(),
        Feeds({store.identity.source: store}),
        max_attempts=max_attempts,
    )
    await runner.create_schema()
    broker = RedisBroker(redis_url)
    sub = StreamSubscription(
        broker,
        redis,
        runner,
        stream=stream,
        group=group,
        consumer=name,
        batch_size=50,
        polling_ms=50,
        claim_idle_ms=claim_idle_ms,
        catch_up_s=0,
    )
    await sub.prepare()
    await broker.start()
    if background:
        sub.start_background()
    try:
        yield sub
    finally:
        if background:
            await sub.stop()
        await broker.stop()


@contextlib.asynccontextmanager
async def relay_running(store: EventStore, redis: Redis, stream: str) -> AsyncIterator[OutboxRelay]:
    relay = OutboxRelay(store, redis, stream, batch_size=7, idle_poll_s=0.1)
    task = asyncio.create_task(relay.run())
    try:
        yield relay
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await relay.leadership.release()


async def test_stream_entries_are_plain_cloudevents(store, redis, stream_prefix) -> None:
    stream = TALLY_STREAM.stream_key(stream_prefix)
    await count(store, "a", 3)
    relay = OutboxRelay(store, redis, stream)
    assert await relay.publish_once() == 3
    entries = await redis.xrange(stream)
    fields = {k.decode(): v.decode() for k, v in entries[0][1].items()}
    assert fields["specversion"] == "1.0" and fields["type"] == "Counted"
    assert fields["subject"] == "a" and fields["sequence"] == "1"
    assert fields["data"] == '{"by":1}'
    assert "__data__" not in fields
    assert await relay.checkpoint() == 3 and await relay.publish_once() == 0


async def test_the_relay_publishes_what_this_process_committed_without_reading_it_back(
    store, redis, stream_prefix, monkeypatch
) -> None:
    """The events a leading relay's process commits are published from memory; a position
    another writer committed (another process on the same database: here another store
    instance) is read from the store, and the stream is the store's events in order."""
    stream = TALLY_STREAM.stream_key(stream_prefix)
    other = EventStore(store.engine, store.identity)  # another process's store
    relay = OutboxRelay(store, redis, stream, batch_size=100)
    store.keep_committed(True)
    reads: list[int] = []
    read_after = store.read_after

    async def counted(position: int, limit: int = 1000) -> list[Envelope]:
        reads.append(position)
        return await read_after(position, limit)

    monkeypatch.setattr(store, "read_after", counted)
    await count(store, "a", 3)
    assert await relay.publish_once() == 3 and reads == []  # from memory
    await count(other, "b", 2)  # positions 4, 5: not this process's
    await count(store, "a", 2)  # 6, 7
    assert await relay.publish_once() == 4 and reads == [3]  # the gap: read from the store
    assert await relay.publish_once() == 0
    entries = await redis.xrange(stream)
    assert [int(f[b"sequence"]) for _, f in entries] == [1, 2, 3, 4, 5, 6, 7]
    assert [f[b"id"].decode() for _, f in entries] == [e.id for e in await read_after(0)]
    published = [Envelope.from_wire(f) for _, f in entries]
    assert published == await read_after(0)  # what the store holds, field for field
    store.keep_committed(False)  # not leading: nothing kept
    await count(store, "c", 1)
    assert store.committed_after(7, 100) is None


async def test_group_created_after_publishing_gets_every_event(
    store, redis, redis_url, stream_prefix
) -> None:
    stream = TALLY_STREAM.stream_key(stream_prefix)
    await count(store, "early", 5)
    await OutboxRelay(store, redis, stream).publish_once()
    async with consumer(redis_url, redis, store, stream):
        await eventually(lambda: _tally_is(store, {"early": (5, 5)}))


# The tally writes per event; the batched tally as a bulk read model does (in ``flush``):
# both must apply a redelivered event once and keep a batch's other events past a poison.
BOTH_TALLIES = pytest.mark.parametrize("tally", [TallyProjection, BatchedTallyProjection])


@BOTH_TALLIES
async def test_relay_crash_after_xadd_republishes_and_read_model_applies_once(
    store, redis, redis_url, stream_prefix, monkeypatch, tally
) -> None:
    stream = TALLY_STREAM.stream_key(stream_prefix)
    await count(store, "k", 20)
    relay = OutboxRelay(store, redis, stream, batch_size=7)
    original = relay._save_checkpoint

    async def crash(*args, **kwargs) -> None:  # killed after XADD, before the checkpoint
        raise KeyboardInterrupt("relay killed mid-batch")

    monkeypatch.setattr(relay, "_save_checkpoint", crash)
    with pytest.raises(KeyboardInterrupt):
        await relay.publish_once()
    assert await redis.xlen(stream) == 7 and await relay.checkpoint() == 0

    monkeypatch.setattr(relay, "_save_checkpoint", original)  # restarted
    while await relay.publish_once():
        pass
    assert await redis.xlen(stream) == 27  # 7 sent twice
    async with consumer(redis_url, redis, store, stream, projection=tally()):
        await eventually(lambda: _tally_is(store, {"k": (20, 20)}))
        await eventually(lambda: _no_pending(redis, stream, "g"))


async def test_redis_down_commands_accepted_then_all_published(
    store, tmp_path, stream_prefix
) -> None:
    from shegong.platform.bus_server import start_bus_server

    server = start_bus_server(tmp_path / "bus", prefer="redis-server")
    port = int(server.url.rsplit(":", 1)[1].split("/")[0])
    client = Redis.from_url(server.url, socket_connect_timeout=0.5, socket_timeout=1)
    stream = TALLY_STREAM.stream_key(stream_prefix)
    try:
        async with relay_running(store, client, stream) as relay:
            await count(store, "r", 5)
            await eventually(lambda: _xlen_is(client, stream, 5))
            server.stop()
            await count(store, "r", 30)  # commands keep arriving while Redis is down
            assert await store.head() == 35
            server = start_bus_server(tmp_path / "bus", prefer="redis-server", port=port)
            await eventually(lambda: _xlen_is(client, stream, 35), timeout=30)
            # The checkpoint commits just after the XADDs land: wait for it, not race it.
            await eventually(lambda: _checkpoint_is(relay, 35))
        sequences = [int(f[b"sequence"]) for _, f in await client.xrange(stream)]
        assert sequences == list(range(1, 36))  # in commit order, none missing
    finally:
        await client.aclose()
        server.stop()


@BOTH_TALLIES
async def test_always_failing_event_goes_to_dlq_and_later_events_flow(
    store, redis, redis_url, stream_prefix, tally
) -> None:
    stream = TALLY_STREAM.stream_key(stream_prefix)
    await count(store, "p", 2)
    async with store.transaction() as tx:
        await tx.append("p", "counter", 2, [Poisoned()])
    await count(store, "p", 3)
    await OutboxRelay(store, redis, stream).publish_once()
    async with consumer(redis_url, redis, store, stream, max_attempts=3, projection=tally()) as sub:
        await eventually(lambda: _xlen_is(redis, dlq_stream(stream), 1))
        await eventually(lambda: _tally_is(store, {"p": (5, 5)}))
        await eventually(lambda: _no_pending(redis, stream, "g"))
        await count(store, "p", 1)
        await OutboxRelay(store, redis, stream).publish_once()
        await eventually(lambda: _tally_is(store, {"p": (6, 6)}))
    ((_, dead),) = await redis.xrange(dlq_stream(stream))
    assert dead[b"type"] == b"Poisoned" and b"poisoned event" in dead[b"dlq_error"]
    assert int(dead[b"dlq_attempts"]) == 3
    assert sub.dead_lettered == 1


class CountersOnly(TallyProjection):
    aggregates: ClassVar[frozenset[str] | None] = frozenset({"counter"})


async def test_an_entry_of_an_aggregate_not_read_is_skipped_without_decoding_its_data(
    store, redis, redis_url, stream_prefix
) -> None:
    stream = TALLY_STREAM.stream_key(stream_prefix)
    await count(store, "k", 2)
    (first, *_) = await store.read_after(0)
    other = first.model_copy(update={"aggregate_type": "gauge", "source": "/shegong/tally/b"})
    wire = {**other.to_wire(), "data": "{not json"}  # would go to the DLQ if decoded
    await redis.xadd(stream, wire)
    await OutboxRelay(store, redis, stream).publish_once()
    async with consumer(redis_url, redis, store, stream, projection=CountersOnly()) as sub:
        await eventually(lambda: _tally_is(store, {"k": (2, 2)}))
        await eventually(lambda: _no_pending(redis, stream, "g"))
        assert (await sub.runner.positions()).get("/shegong/tally/b") == 1
    assert await redis.xlen(dlq_stream(stream)) == 0


async def _equals(value: Awaitable[object], expected: object) -> bool:
    return await value == expected


class PoisonIgnored(TallyProjection):
    handles = frozenset({"Counted"})
    ignores = frozenset({"Poisoned"})


async def test_an_event_of_an_ignored_type_is_skipped_and_its_position_stored_once_quiet(
    store, redis, redis_url, stream_prefix
) -> None:
    """Applying ``Poisoned`` raises: an ignored type is never decoded nor applied. The
    batches that bring only such entries write nothing, and their positions are stored
    once the reader is quiet (not in a write of their own per batch)."""
    stream = TALLY_STREAM.stream_key(stream_prefix)
    await count(store, "q", 2)
    await OutboxRelay(store, redis, stream).publish_once()

    async def stored() -> int | None:
        async with reading(store.engine) as conn:
            return await conn.scalar(
                select(projection_positions.c.position).where(
                    projection_positions.c.projection == "tally"
                )
            )

    async with consumer(
        redis_url, redis, store, stream, projection=PoisonIgnored(), background=False
    ) as sub:
        sub.start_background()
        try:
            await eventually(lambda: _tally_is(store, {"q": (2, 2)}))
            assert await stored() == 2
            async with store.transaction() as tx:
                await tx.append("q", "counter", 2, [Poisoned(), Poisoned()])
            await OutboxRelay(store, redis, stream).publish_once()
            await eventually(lambda: _no_pending(redis, stream, "g"))
            assert (await sub.runner.positions())[store.identity.source] == 4
            await eventually(lambda: _equals(stored(), 4))
            assert await tally_rows(store.engine) == {"q": (2, 2)}
        finally:
            await sub.stop()
    assert await redis.xlen(dlq_stream(stream)) == 0


async def test_killed_consumers_pending_entries_are_claimed_by_another(
    store, redis, redis_url, stream_prefix
) -> None:
    stream = TALLY_STREAM.stream_key(stream_prefix)
    await count(store, "z", 4)
    await OutboxRelay(store, redis, stream).publish_once()
    await redis.xgroup_create(stream, "g", id="0")
    taken = await redis.xreadgroup("g", "dead-pod", {stream: ">"}, count=10)
    assert len(taken[0][1]) == 4  # delivered to a consumer that then died without acking
    async with consumer(redis_url, redis, store, stream, name="new-pod", claim_idle_ms=200):
        await eventually(lambda: _tally_is(store, {"z": (4, 4)}))
        await eventually(lambda: _no_pending(redis, stream, "g"))


async def test_gap_in_a_sources_positions_is_filled_from_its_feed(
    store, redis, redis_url, stream_prefix
) -> None:
    stream = TALLY_STREAM.stream_key(stream_prefix)
    await count(store, "gap", 10)
    feed = await store.read_after(0)
    lost = {3, 4, 5, 8}  # trimmed away or lost with Redis's last second
    for env in feed:
        if env.sequence not in lost:
            await redis.xadd(stream, env.to_wire())
    async with consumer(redis_url, redis, store, stream):
        await eventually(lambda: _tally_is(store, {"gap": (10, 10)}))


async def test_rebuild_from_feed_equals_live_read_model(
    store, redis, redis_url, stream_prefix
) -> None:
    stream = TALLY_STREAM.stream_key(stream_prefix)
    for i in range(6):
        await count(store, f"c{i}", i + 1, by=i + 1)
    await OutboxRelay(store, redis, stream).publish_once()
    async with consumer(redis_url, redis, store, stream) as sub:
        expected = {f"c{i}": ((i + 1) ** 2, i + 1) for i in range(6)}
        await eventually(lambda: _tally_is(store, expected))
        live = await tally_rows(store.engine)
        assert await sub.runner.rebuild() == 21
        assert await tally_rows(store.engine) == live


async def test_unknown_newer_schema_version_is_dead_lettered_not_spun(
    store, redis, redis_url, stream_prefix
) -> None:
    stream = TALLY_STREAM.stream_key(stream_prefix)
    await count(store, "v", 1)
    (env,) = await store.read_after(0)
    future = Envelope.model_validate({**env.model_dump(), "schema_version": 9})
    await redis.xadd(stream, future.to_wire())
    async with consumer(redis_url, redis, store, stream, max_attempts=2, claim_idle_ms=100):
        await eventually(lambda: _xlen_is(redis, dlq_stream(stream), 1))
        await eventually(lambda: _no_pending(redis, stream, "g"))
    ((_, dead),) = await redis.xrange(dlq_stream(stream))
    assert b"newer than this consumer" in dead[b"dlq_error"]


async def test_counted_upcaster_hook_applies_old_versions() -> None:
    class CountedV2(Counted):
        schema_version = 2
        upcasters: ClassVar[dict[int, Upcaster]] = {1: lambda d: {**d, "by": d["by"] * 10}}

    from shegong.contracts.events import upcast

    assert upcast(CountedV2, 1, {"by": 2}) == {"by": 20}
    assert upcast(CountedV2, 2, {"by": 2}) == {"by": 2}


async def _tally_is(store: EventStore, expected: dict[str, tuple[int, int]]) -> bool:
    return await tally_rows(store.engine) == expected


async def _checkpoint_is(relay: OutboxRelay, position: int) -> bool:
    return await relay.checkpoint() == position


async def _xlen_is(redis: Redis, stream: str, n: int) -> bool:
    try:
        return await redis.xlen(stream) == n
    except Exception:
        return False


async def _no_pending(redis: Redis, stream: str, group: str) -> bool:
    info = await redis.xpending(stream, group)
    return info["pending"] == 0


async def test_stream_and_group_lost_then_recovered_and_refilled_from_feed(
    store, redis, redis_url, stream_prefix
) -> None:
    """Redis restarted without persistence: the stream and the group are gone."""
    stream = TALLY_STREAM.stream_key(stream_prefix)
    await count(store, "lost", 3)
    await OutboxRelay(store, redis, stream).publish_once()
    async with consumer(redis_url, redis, store, stream, background=False) as sub:
        sub.catch_up_s = 0.5
        sub.start_background()
        try:
            await eventually(lambda: _tally_is(store, {"lost": (3, 3)}))
            await redis.delete(stream)  # what a restart without persistence looks like
            await count(store, "lost", 4)  # committed while Redis has forgotten everything
            await eventually(lambda: _tally_is(store, {"lost": (7, 7)}))
            await count(store, "lost", 1)  # and the live path works again
            relay = OutboxRelay(store, redis, stream)
            assert await relay.publish_once() == 5  # (4 never reached Redis before)
            await eventually(lambda: _tally_is(store, {"lost": (8, 8)}))
            assert all(s.running for s in sub._subscribers)
        finally:
            await sub.stop()


async def test_the_readers_stream_options_are_copied_once_not_per_batch(
    store, redis, redis_url, stream_prefix
) -> None:
    """FastStream deep-copies a subscriber's ``StreamSub`` at every read of its options
    (≈ 90 µs, once or more a batch); the subscription's is copied once and still reads
    its own stream (issue 18)."""
    stream = TALLY_STREAM.stream_key(stream_prefix)
    async with consumer(redis_url, redis, store, stream) as sub:
        reader = sub._subscribers[0]
        first = reader.stream_sub
        assert reader.stream_sub is first
        assert (first.name, first.group, first.consumer) == (stream, "g", "c1")
        await count(store, "a", 2)
        async with relay_running(store, redis, stream):
            await eventually(lambda: _tally_is(store, {"a": (2, 2)}))
        assert reader.stream_sub is first
