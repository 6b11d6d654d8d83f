"""Command → read model: how fast shegong's registry turns HTTP commands into a read model,
next to the best raw redis-py produce/consume loop measured in the same run.

    uv run python bench/bench_command_to_read_model.py [--events N] [--database sqlite|postgresql]

See bench/README.md for what the figures mean.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from bench_shared import (
    WATCHED,
    Service,
    baseline,
    command,
    command_calls,
    create_pg_database,
    delete_prefix,
    describe_pg,
    drop_pg_database,
    pct,
    pg_transactions,
    read_model_total,
    start_sampler,
    start_service,
    wait_ready,
)
from redis.asyncio import Redis
from redis.exceptions import ResponseError

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
GROUP = "bench"


@dataclass
class Timeline:
    """Progress seen from Redis alone (no load on the service): XLEN and the group's acks."""

    t0: float
    n: int
    published_at: float | None = None
    acked_at: float | None = None

    async def follow(self, redis: Redis, stream: str, every: float = 0.05) -> None:
        while self.acked_at is None:
            await asyncio.sleep(every)
            try:
                published = int(await redis.xlen(stream))
                groups = await redis.xinfo_groups(stream)
            except ResponseError:  # stream not there yet
                continue
            acked = 0
            for g in groups:
                read = g.get("entries-read") or 0
                acked = max(acked, int(read) - int(g.get("pending") or 0))
            now = time.perf_counter() - self.t0
            if published >= self.n and self.published_at is None:
                self.published_at = now
            if acked >= self.n:
                self.acked_at = now


@dataclass
class ShegongResult:
    commands_per_s: float
    latencies_ms: list[float]
    commands_done_s: float
    read_model_done_s: float
    backlog_at_commands_end: int
    drain_s: float
    timeline: Timeline
    entry: dict[bytes, bytes]
    service_cpu_s: float | None
    client_cpu_s: float
    redis_calls: dict[str, int]
    health_per_s: float
    health_cpu_ms: float | None  # service CPU per GET /health of the floor
    commands_cpu_s: float | None  # service CPU from the first command to the last answer
    workers_cpu_s: float  # the service's worker processes (the census), same span as service


async def http_floor(client: httpx.AsyncClient, n: int, concurrency: int) -> float:
    """GET /health, same client and concurrency: what HTTP alone costs (no DB, no bus)."""
    counter = iter(range(n))

    async def worker() -> None:
        for _ in counter:
            (await client.get("/health")).raise_for_status()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / (time.perf_counter() - t0)


async def run_shegong(
    n: int,
    concurrency: int,
    service: Service,
    redis: Redis,
    stream: str,
    sampler_out: str | None = None,
    native: bool = False,
) -> ShegongResult:
    limits = httpx.Limits(max_connections=concurrency + 2, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=service.url, limits=limits, timeout=60) as client:
        await wait_ready(client, service)
        if await read_model_total(client) != 0:
            raise RuntimeError("the read model is not empty at start")
        floor_cpu0 = service.cpu_s()
        health_per_s = await http_floor(client, n, concurrency)
        floor_cpu1 = service.cpu_s()
        latencies: list[float] = []
        errors: list[str] = []
        counter = iter(range(n))
        calls0 = await command_calls(redis)
        sampler = start_sampler(service.proc.pid, sampler_out, native) if sampler_out else None
        cpu0, client_cpu0 = service.cpu_s(), time.process_time()
        workers_cpu0 = service.workerscpu_s()
        t0 = time.perf_counter()
        timeline = Timeline(t0, n)
        follower = asyncio.create_task(timeline.follow(redis, stream))

        async def worker() -> None:
            for i in counter:
                started = time.perf_counter()
                reply = await client.post("/workers", json=command(i))
                latencies.append((time.perf_counter() - started) * 1000)
                if reply.status_code != 201:
                    errors.append(f"{reply.status_code} {reply.text[:300]}")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        commands_done = time.perf_counter() - t0
        cpu_commands = service.cpu_s()
        if errors:
            follower.cancel()
            raise RuntimeError(f"{len(errors)} commands failed, first: {errors[0]}")
        total_at_end = await read_model_total(client)
        drain_start = time.perf_counter()
        deadline = drain_start + max(60.0, n / 20)
        total = total_at_end
        while total < n:
            if time.perf_counter() > deadline or service.proc.poll() is not None:
                follower.cancel()
                raise RuntimeError(f"read model stuck at {total}/{n}:\n{service.tail()}")
            await asyncio.sleep(0.01)
            total = await read_model_total(client)
        done = time.perf_counter()
        cpu1, client_cpu1 = service.cpu_s(), time.process_time()
        workers_cpu1 = service.workerscpu_s()
        if sampler is not None:
            sampler.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            sampler.wait(30)
        calls1 = await command_calls(redis)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(follower, 5)
        follower.cancel()
        entry = (await redis.xrange(stream, count=1))[0][1]
    return ShegongResult(
        commands_per_s=n / commands_done,
        latencies_ms=latencies,
        commands_done_s=commands_done,
        read_model_done_s=done - t0,
        backlog_at_commands_end=n - total_at_end,
        drain_s=done - drain_start,
        timeline=timeline,
        entry=entry,
        service_cpu_s=None if cpu0 is None or cpu1 is None else cpu1 - cpu0,
        client_cpu_s=client_cpu1 - client_cpu0,
        redis_calls={c: calls1[c] - calls0[c] for c in WATCHED},
        health_per_s=health_per_s,
        health_cpu_ms=None
        if floor_cpu0 is None or floor_cpu1 is None
        else (floor_cpu1 - floor_cpu0) / n * 1000,
        commands_cpu_s=None if cpu0 is None or cpu_commands is None else cpu_commands - cpu0,
        workers_cpu_s=workers_cpu1 - workers_cpu0,
    )


# --------------------------------------------------------------------------- main


async def main_async(args: argparse.Namespace) -> int:
    n, prefix = args.events, f"bench-{uuid.uuid4().hex[:10]}:"
    stream = f"{prefix}registry.events"
    redis = Redis.from_url(args.redis_url)
    info = await redis.info("server")
    redis_desc = f"Redis {info.get('redis_version', '?')} at {args.redis_url}"
    data_dir = Path(tempfile.mkdtemp(prefix="shegong-bench-"))
    pg_name: str | None = None
    service: Service | None = None
    try:
        if args.database == "postgresql":
            db_desc = describe_pg(args.database_url)
            pg_name, database_url = create_pg_database(args.database_url)
            db_desc += f" (database {pg_name}, dropped after)"
        else:
            database_url = f"sqlite:///{data_dir}/registry.db"
            db_desc = "SQLite (aiosqlite, WAL) in a temp dir"
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": args.redis_url,
            "STREAM_PREFIX": prefix,
            "PII_HASH_KEY": "bench-key-0123456789abcdef012345",  # 32 characters
            "DATA_DIR": str(data_dir),
            "LOG_LEVEL": "WARNING",
            "CATCH_UP_S": "0",
        }
        service = start_service(env, data_dir, args.profile)
        print(f"registry on {service.url}, {n} commands, {args.concurrency} clients …", flush=True)
        result = await run_shegong(
            n, args.concurrency, service, redis, stream, args.py_spy, args.native
        )
        service.stop()  # the baseline gets the machine to itself
        warnings = [w for w in service.warnings() if "shegong.auth" not in w]
        pg_xacts = pg_transactions(args.database_url, pg_name) if pg_name else None
        entry_bytes = sum(len(k) + len(v) for k, v in result.entry.items())
        runs = [
            await baseline(redis, f"{prefix}baseline", result.entry, n)
            for _ in range(args.baseline_runs)
        ]
        base = statistics.median(runs)
        one_field = {b"data": b"x" * entry_bytes}
        base_one = statistics.median(
            [
                await baseline(redis, f"{prefix}baseline", one_field, n)
                for _ in range(args.baseline_runs)
            ]
        )
    finally:
        if service is not None:
            service.stop()
        removed = await delete_prefix(redis, prefix)
        await redis.aclose()
        if pg_name is not None:
            drop_pg_database(args.database_url, pg_name)
        shutil.rmtree(data_dir, ignore_errors=True)

    e2e = n / result.read_model_done_s
    tl = result.timeline
    lat = result.latencies_ms
    rows = [
        ("events (N)", f"{n}"),
        ("entry size", f"{entry_bytes} B in {len(result.entry)} fields (a real WorkerRegistered)"),
        (
            "baseline: XADD ×1000 + XREADGROUP/XACK",
            f"{base:,.0f} entries/s (median of {len(runs)})",
        ),
        ("  same bytes in 1 field (parsing cost)", f"{base_one:,.0f} entries/s"),
        ("HTTP floor: GET /health, same clients", f"{result.health_per_s:,.0f} requests/s"),
        ("shegong: POST /workers", f"{result.commands_per_s:,.0f} commands/s"),
        (
            "  ratio POST /workers / HTTP floor",
            f"{result.commands_per_s / result.health_per_s:.3f}  (target ≥ 0.5)",
        ),
        (
            "  latency p50 / p99 (p90, max)",
            f"{pct(lat, 0.50):.1f} ms / {pct(lat, 0.99):.1f} ms "
            f"({pct(lat, 0.90):.1f}, {max(lat):.0f} ms)",
        ),
        ("shegong: first command → read model has N", f"{e2e:,.0f} events/s"),
        ("  ratio shegong e2e / baseline", f"{e2e / base:.4f}  (1/{base / e2e:,.0f})"),
        ("  commands done at", f"{result.commands_done_s:.2f} s"),
        (
            "  all published (XLEN = N) at",
            f"{tl.published_at:.2f} s" if tl.published_at is not None else "?",
        ),
        ("  all acked by the projection at", f"{tl.acked_at:.2f} s" if tl.acked_at else "?"),
        ("  read model = N at", f"{result.read_model_done_s:.2f} s"),
        (
            "  read-model backlog when commands ended",
            f"{result.backlog_at_commands_end} events, drained in {result.drain_s * 1000:.0f} ms"
            + (
                f" ({result.backlog_at_commands_end / result.drain_s:,.0f} events/s)"
                if result.backlog_at_commands_end and result.drain_s > 0
                else ""
            ),
        ),
        (
            "  CPU: service / bench client",
            (
                f"{result.service_cpu_s:.1f} s ({result.service_cpu_s / n * 1000:.2f} ms/command)"
                if result.service_cpu_s is not None
                else "?"
            )
            + f" / {result.client_cpu_s:.1f} s, over {result.read_model_done_s:.1f} s wall",
        ),
        (
            "  CPU of its worker processes (census)",
            f"{result.workers_cpu_s:.1f} s ({result.workers_cpu_s / n * 1000:.2f} ms/command)",
        ),
        (
            "  CPU while commands ran / per GET /health",
            (
                f"{result.commands_cpu_s / n * 1000:.2f} ms/command"
                if result.commands_cpu_s is not None
                else "?"
            )
            + (
                f" / {result.health_cpu_ms:.2f} ms/request (the floor's)"
                if result.health_cpu_ms is not None
                else ""
            ),
        ),
        (
            "  Redis calls per command (server-wide)",
            ", ".join(f"{c} {v / n:.2f}" for c, v in result.redis_calls.items()),
        ),
        (
            "  relay batch / projection batch (avg)",
            f"{n / max(result.redis_calls['exec'], 1):.1f} / "
            f"{n / max(result.redis_calls['xack'], 1):.1f} events",
        ),
        *(
            [("  PostgreSQL transactions per command", f"{pg_xacts / n:.1f} (whole run)")]
            if pg_xacts is not None
            else []
        ),
        (
            "service warnings / errors logged",
            f"{len(warnings)}" + (f", first: {warnings[0][:160]}" if warnings else ""),
        ),
        ("Redis", redis_desc),
        ("database", db_desc),
        ("cleanup", f"process stopped, {removed} stream keys deleted"),
    ]
    width = max(len(k) for k, _ in rows)
    print()
    print(f"{'metric':<{width}} | value")
    print(f"{'-' * width}-|-{'-' * 50}")
    for k, v in rows:
        print(f"{k:<{width}} | {v}")
    if args.profile:
        print(f"\ncProfile of the service written to {args.profile}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=2000, help="N commands / events")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL admin URL; a fresh database is created from it and dropped after",
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent HTTP clients")
    parser.add_argument("--baseline-runs", type=int, default=3)
    parser.add_argument(
        "--profile", metavar="PATH", help="run the service under cProfile, stats to PATH"
    )
    parser.add_argument(
        "--py-spy",
        metavar="PATH",
        help="sample the service with py-spy from the first command until the read model "
        "has N (folded stacks to PATH; `bench/profile_summary.py PATH` sums them)",
    )
    parser.add_argument(
        "--native",
        action="store_true",
        help="with --py-spy: C frames too (syscalls, thread wake-ups); pauses at each sample",
    )
    args = parser.parse_args()
    if args.events < 1:
        parser.error("--events must be ≥ 1")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
