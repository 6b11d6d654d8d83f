"""The bus on its own: events committed in bulk → relay → Redis → subscription →
committed read model in another process, beside raw redis-py in the same run.

    uv run python bench/bench_bus.py [--events 100000] [--database sqlite|postgresql]

See bench/README.md for what the figures mean.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench_shared import (
    baseline,
    create_pg_database,
    delete_prefix,
    start_sampler,
)
from bench_shared import drop_pg_database as drop_pg
from redis.asyncio import Redis
from sqlalchemy import select

from shegong.kernel.events.feed import Feeds
from shegong.kernel.events.relay import OutboxRelay
from shegong.kernel.events.schema import metadata, projection_positions
from shegong.kernel.events.store import Append, EventStore, EventStoreIdentity
from shegong.kernel.ops.db import create_engine, reading
from shegong.kernel.ops.redis_client import redis_client
from shegong.kernel.testing import (
    TALLY_STREAM,
    BatchedTallyProjection,
    Counted,
    TallyProjection,
    tally_rows,
)

# The consumer's read model: the kernel's tally writes per event (a SELECT and an UPDATE,
# to show a duplicate), the batched tally writes a batch's counters once in ``flush`` as
# a bulk read model does (the census, the registry's workers); both add, so either shows
# an event applied twice or lost.
READ_MODELS = {"tally": TallyProjection, "batched": BatchedTallyProjection}

PRODUCER = "/shegong/tally/bench"
COUNTERS = 1000


def store_for(url: str) -> EventStore:
    identity = EventStoreIdentity(service="tally", source=PRODUCER, contract=TALLY_STREAM)
    return EventStore(create_engine(url), identity)


async def append_all(store: EventStore, n: int, batch: int) -> float:
    """``n`` events, ``batch`` per transaction, over 1,000 counters → events/s."""
    await store.create_schema()
    t0 = time.perf_counter()
    version: dict[str, int] = {}
    done = 0
    while done < n:
        size = min(batch, n - done)
        appends = []
        for i in range(size):
            counter = f"c{(done + i) % COUNTERS}"
            appends.append(Append(counter, "counter", version.get(counter, 0), [Counted(by=1)]))
        # one batch per aggregate per transaction
        by_counter: dict[str, Append] = {}
        for a in appends:
            if a.stream_id in by_counter:
                prev = by_counter[a.stream_id]
                by_counter[a.stream_id] = Append(
                    a.stream_id, "counter", prev.expected_version, [*prev.events, *a.events]
                )
            else:
                by_counter[a.stream_id] = a
        async with store.transaction() as tx:
            await tx.append_many(list(by_counter.values()))
        for a in by_counter.values():
            version[a.stream_id] = a.expected_version + len(a.events)
        done += size
    return n / (time.perf_counter() - t0)


# --------------------------------------------------------------------------- consumer


def consumer_main(args: dict[str, Any], ready: Any, stop: Any, out: Any) -> None:
    """The other service: its own database, a subscription on the producer's stream."""
    asyncio.run(_consume(args, ready, stop, out))


async def _consume(args: dict[str, Any], ready: Any, stop: Any, out: Any) -> None:
    from faststream.redis import RedisBroker

    from shegong.kernel.events.projection import ProjectionRunner
    from shegong.kernel.events.subscription import StreamSubscription

    engine = create_engine(args["consumer_url"])
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.run_sync(TallyProjection.metadata.create_all)
    producer = store_for(args["producer_url"])  # its feed, for a gap (there should be none)
    feeds = Feeds()
    feeds.add(PRODUCER, producer)
    runner = ProjectionRunner(engine, READ_MODELS[args["read_model"]](), feeds)
    broker = RedisBroker(args["redis_url"], logger=None)
    redis = redis_client(args["redis_url"])  # as a service's runtime makes it
    sub = StreamSubscription(
        broker,
        redis,
        runner,
        stream=args["stream"],
        group="bench.tally",
        consumer="bench-1",
        batch_size=args["sub_batch"],
        catch_up_s=0,
    )
    await sub.prepare()
    await broker.start()
    cpu0 = time.process_time()
    ready.set()
    while not stop.is_set():
        await asyncio.sleep(0.05)
    out.put(time.process_time() - cpu0)
    await sub.stop()
    await broker.stop()
    await redis.aclose()
    await producer.engine.dispose()
    await engine.dispose()


async def position(engine: Any) -> int:
    async with reading(engine) as conn:
        value = await conn.scalar(
            select(projection_positions.c.position).where(
                projection_positions.c.projection == "tally"
            )
        )
    return int(value or 0)


# --------------------------------------------------------------------------- main


async def run(args: argparse.Namespace, producer_url: str, consumer_url: str) -> int:
    n, prefix = args.events, f"bench-bus-{uuid.uuid4().hex[:10]}:"
    stream = TALLY_STREAM.stream_key(prefix)
    redis = redis_client(args.redis_url)  # the services' client (runtime.py), for the relay
    plain = Redis.from_url(args.redis_url)  # raw redis-py, for the baseline
    store = store_for(producer_url)
    consumer_engine = create_engine(consumer_url)
    ctx = mp.get_context("spawn")
    ready, stop, out = ctx.Event(), ctx.Event(), ctx.Queue()
    sampler: subprocess.Popen[bytes] | None = None
    child = ctx.Process(
        target=consumer_main,
        args=(
            {
                "producer_url": producer_url,
                "consumer_url": consumer_url,
                "redis_url": args.redis_url,
                "stream": stream,
                "sub_batch": args.subscription_batch,
                "read_model": args.read_model,
            },
            ready,
            stop,
            out,
        ),
    )
    try:
        print(f"appending {n:,} events in transactions of {args.batch:,} …", flush=True)
        append_rate = await append_all(store, n, args.batch)
        child.start()
        if not ready.wait(120):
            raise RuntimeError("the consumer did not start")
        relay = OutboxRelay(store, redis, stream, batch_size=args.relay_batch)
        if args.py_spy:
            assert child.pid is not None
            sampler = start_sampler(child.pid, args.py_spy)
            await asyncio.sleep(1.0)  # py-spy attaches before the clock starts
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        task = asyncio.create_task(relay.run())
        relay_done: float | None = None
        while (seen := await position(consumer_engine)) < n:
            if relay_done is None and relay.published_total >= n:
                relay_done = time.perf_counter() - t0
            if not child.is_alive():
                raise RuntimeError(f"the consumer died at {seen}/{n}")
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - t0
        relay_cpu = time.process_time() - cpu0
        if sampler is not None:
            sampler.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            sampler.wait(30)
        relay.request_stop()
        await task
        stop.set()
        consumer_cpu = out.get(timeout=60)
        child.join(30)
        rows = await tally_rows(consumer_engine)
        applied = sum(a for _, a in rows.values())
        entry = (await redis.xrange(stream, count=1))[0][1]
        runs = [
            await baseline(plain, f"{prefix}baseline", entry, n) for _ in range(args.baseline_runs)
        ]
        base = statistics.median(runs)
    finally:
        stop.set()
        if child.is_alive():
            child.join(10)
            if child.is_alive():
                child.kill()
        await delete_prefix(redis, prefix)
        await redis.aclose()
        await plain.aclose()
        await store.engine.dispose()
        await consumer_engine.dispose()

    ours = n / elapsed
    table = [
        ("events (N)", f"{n:,} over {COUNTERS:,} aggregates"),
        ("append, one transaction per batch", f"{append_rate:,.0f} events/s (batch {args.batch})"),
        ("baseline: raw redis-py XADD ×1000 + XREADGROUP/XACK", f"{base:,.0f} entries/s"),
        ("shegong: store → relay → Redis → read model", f"{ours:,.0f} events/s"),
        ("  ratio shegong / baseline", f"{ours / base:.3f}"),
        ("  relay published all at", f"{relay_done or elapsed:.2f} s"),
        ("  read model had all at", f"{elapsed:.2f} s"),
        (
            "  CPU per event: relay / consumer",
            f"{relay_cpu / n * 1e6:.0f} µs / {consumer_cpu / n * 1e6:.0f} µs",
        ),
        (
            "  read model exactly once",
            f"{'yes' if applied == n and len(rows) == COUNTERS else 'NO'} "
            f"({applied:,} applied, {len(rows):,} rows)",
        ),
        ("read model", f"{args.read_model} ({READ_MODELS[args.read_model].__name__})"),
        ("database", args.database),
    ]
    width = max(len(k) for k, _ in table)
    print(f"\n{'metric':<{width}} | value\n{'-' * width}-|-{'-' * 40}")
    for k, v in table:
        print(f"{k:<{width}} | {v}")
    return 0 if applied == n else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000, help="events per append transaction")
    parser.add_argument("--relay-batch", type=int, default=500, help="the relay's batch size")
    parser.add_argument("--subscription-batch", type=int, default=200, help="XREADGROUP COUNT")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL admin URL; two fresh databases are created from it and dropped after",
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--baseline-runs", type=int, default=3)
    parser.add_argument(
        "--read-model",
        choices=sorted(READ_MODELS),
        default="tally",
        help="tally: a SELECT and an UPDATE per event; batched: each batch's counters "
        "written once (one INSERT and one UPDATE executemany per batch)",
    )
    parser.add_argument(
        "--py-spy",
        metavar="PATH",
        help="sample the consumer with py-spy while the events flow (folded stacks to PATH; "
        "`bench/profile_summary.py PATH --per N` sums them)",
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="shegong-bus-"))
    created: list[str] = []
    try:
        if args.database == "postgresql":
            urls = []
            for _ in range(2):
                name, url = create_pg_database(args.database_url)
                created.append(name)
                urls.append(url)
            producer_url, consumer_url = urls
        else:
            producer_url = f"sqlite:///{tmp}/producer.db"
            consumer_url = f"sqlite:///{tmp}/consumer.db"
        return asyncio.run(run(args, producer_url, consumer_url))
    finally:
        for name in created:
            drop_pg(args.database_url, name)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
