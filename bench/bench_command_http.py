"""The registry's ``POST /workers`` in-process through ASGI: the HTTP layers' CPU beside
``GET /health``'s, no sockets, no client in the same process's way.

    uv run python bench/bench_command_http.py [--commands N] [--concurrency 16]
        [--database sqlite|postgresql] [--database-url postgresql://...] [--redis-url URL]
        [--profile out.prof [--profile-cpu]] [--count-trips] [--rounds 1]

Builds the registry as ``python -m shegong.registry`` does (its relay and read models
running, the census in its worker process, whose CPU is not counted here) and calls
the ASGI app directly from ``--concurrency`` tasks — a request's scope, one body
message, the answer's messages collected. It prints the process's CPU
(``time.process_time``: every thread, the relay and read models included) per
``GET /health`` and per ``POST /workers``, each after a warm-up, ``--rounds`` times
alternating; ``--profile`` writes cProfile stats of the commands' phase. What is left
out against ``bench_command_to_read_model.py``: uvicorn's parsing and socket writes,
and the client. SQLite goes to a temp dir, PostgreSQL to a database made and dropped here.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pg_trips as trips
import uvloop
from asgi_lifespan import LifespanManager
from bench_shared import command, create_pg_database, delete_prefix, drop_pg_database, pct
from redis.asyncio import Redis

WARM_UP = 200


async def call(app: Any, method: str, path: str, body: bytes = b"") -> int:
    headers = [(b"host", b"bench")]
    if body:
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8101),
        "state": {},
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # the client stays (a disconnect never comes)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def phase(
    app: Any, n: int, concurrency: int, make: Any, expect: int, profiler: Any = None
) -> tuple[float, float, list[float]]:
    queue = iter(range(n))
    latencies: list[float] = []

    async def client() -> None:
        for i in queue:
            t = time.perf_counter()
            status = await make(i)
            latencies.append((time.perf_counter() - t) * 1000)
            if status != expect:
                raise SystemExit(f"answered {status}, expected {expect}")

    cpu0, t0 = time.process_time(), time.perf_counter()
    if profiler is not None:
        profiler.enable()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    if profiler is not None:
        profiler.disable()
    return (time.process_time() - cpu0) / n * 1000, n / (time.perf_counter() - t0), latencies


async def run(args: argparse.Namespace, url: str, data_dir: Path) -> None:
    prefix = f"bench-http-{uuid.uuid4().hex[:8]}:"
    os.environ.update(
        {
            "DATABASE_URL": url,
            "REDIS_URL": args.redis_url,
            "STREAM_PREFIX": prefix,
            "PII_HASH_KEY": "bench-key-0123456789abcdef012345",
            "DATA_DIR": str(data_dir),
            "LOG_LEVEL": "WARNING",
            "CATCH_UP_S": "0",
            "HOST": "127.0.0.1",
        }
    )
    from shegong.registry.main import build  # after the environment is set

    app = build()
    bodies = [json.dumps(command(i)).encode() for i in range(WARM_UP + args.commands * args.rounds)]
    # ``--profile-cpu``: timed by the thread's CPU clock, not the wall — on a shared machine
    # the wall charges other processes' turns to whatever function was running.
    clock = (time.thread_time,) if args.profile_cpu else ()
    profiler = cProfile.Profile(*clock) if args.profile else None
    if args.count_trips:
        trips.install()
    used = iter(range(len(bodies)))
    try:
        async with LifespanManager(app, startup_timeout=120, shutdown_timeout=120):

            async def register(_: int) -> int:
                return await call(app, "POST", "/workers", bodies[next(used)])

            async def health(_: int) -> int:
                return await call(app, "GET", "/health")

            await phase(app, WARM_UP, args.concurrency, register, 201)
            await phase(app, WARM_UP, args.concurrency, health, 200)
            trips.counts.clear()  # from here on: the rounds' commands (and their read models)
            for r in range(args.rounds):
                h_cpu, h_rate, _ = await phase(app, args.commands, args.concurrency, health, 200)
                c_cpu, c_rate, lat = await phase(
                    app,
                    args.commands,
                    args.concurrency,
                    register,
                    201,
                    profiler if r == 0 else None,
                )
                print(
                    f"round {r + 1}: GET /health {h_cpu:.3f} ms CPU ({h_rate:,.0f}/s); "
                    f"POST /workers {c_cpu:.3f} ms CPU ({c_rate:,.0f}/s, p50 / p99 "
                    f"{pct(lat, 0.5):.1f} / {pct(lat, 0.99):.1f} ms); "
                    f"load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
    finally:
        redis = Redis.from_url(args.redis_url)
        await delete_prefix(redis, prefix)
        await redis.aclose()
    if args.count_trips:
        print(trips.report(args.commands * args.rounds))
    if profiler is not None:
        profiler.dump_stats(args.profile)
        print(f"cProfile stats of the first round's commands in {args.profile}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL admin URL; a fresh database is created from it and dropped after",
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--profile", metavar="PATH", help="cProfile the first round's commands")
    parser.add_argument(
        "--count-trips",
        action="store_true",
        help="PostgreSQL: count BEGIN, COMMIT, statements and pipelines per command (psycopg)",
    )
    parser.add_argument(
        "--profile-cpu",
        action="store_true",
        help="time --profile by the thread's CPU (time.thread_time), not the wall",
    )
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="shegong-http-bench-"))
    pg_name = None
    try:
        if args.database == "postgresql":
            pg_name, url = create_pg_database(args.database_url)
        else:
            url = f"sqlite:///{data_dir}/registry.db"
        uvloop.run(run(args, url, data_dir))
    finally:
        if pg_name is not None:
            drop_pg_database(args.database_url, pg_name)
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
