"""One replica or two: the registry's throughput on one PostgreSQL database and one Redis,
side by side in the same run.

    uv run python bench/bench_replicas.py [--commands N] [--clients 16]

For 1 and then 2 replicas (a fresh database and stream prefix each): ``POST /workers``
from ``--clients`` concurrent clients, sent to the replicas in turn, timed until the last
is accepted and until the workers read model holds every one (the relay of one replica
and the projections of both, sharing the stream through a consumer group). Also printed:
the replicas' CPU per command. PostgreSQL at ``TEST_DATABASE_URL`` (default: local
trust), Redis at ``TEST_REDIS_URL``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psutil
import psycopg
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_shared import command, free_port


def _dsn(admin: str, database: str | None = None) -> str:
    url = make_url(admin).set(drivername="postgresql")
    if database:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


def start(n: int, database: str, redis_url: str, prefix: str, log: Path) -> list[tuple]:
    started = []
    for r in range(n):
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database.replace("postgresql://", "postgresql+psycopg://", 1),
            "REDIS_URL": redis_url,
            "STREAM_PREFIX": prefix,
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "PII_HASH_KEY": "k" * 32,
            "CONSUMER_NAME": f"registry-{r}",
            "LOG_LEVEL": "WARNING",
            "REGISTRY_CENSUS": "off",
        }
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "shegong.registry"], env=env, stdout=out, stderr=out
            )
        started.append((proc, f"http://127.0.0.1:{port}"))
    return started


async def wait_ready(client: httpx.AsyncClient, url: str, proc: subprocess.Popen) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"replica exited with {proc.returncode}")
        try:
            if (await client.get(f"{url}/ready", timeout=2)).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit(f"{url} not ready")


def count_workers(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM rm_workers").fetchone()
        return int(row[0]) if row else 0


async def run(n_replicas: int, args: argparse.Namespace, offset: int) -> dict[str, float]:
    name = f"shegong_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_dsn(args.admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    prefix = f"bench{uuid.uuid4().hex[:8]}:"
    started = start(n_replicas, _dsn(args.admin, name), args.redis, prefix, args.log)
    redis = Redis.from_url(args.redis)
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            for proc, url in started:
                await wait_ready(client, url, proc)
            urls = [url for _, url in started]
            for i in range(20):  # warm-up: connections, first statements
                await client.post(f"{urls[i % len(urls)]}/workers", json=command(offset + i))
            cpu0 = sum(sum(psutil.Process(p.pid).cpu_times()[:2]) for p, _ in started)
            queue = list(range(offset + 20, offset + 20 + args.commands))
            refused = 0

            async def worker() -> None:
                nonlocal refused
                while queue:
                    i = queue.pop()
                    r = await client.post(f"{urls[i % len(urls)]}/workers", json=command(i))
                    refused += r.status_code != 201

            began = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(args.clients)))
            accepted_s = time.perf_counter() - began
            total = args.commands + 20
            while await asyncio.to_thread(count_workers, _dsn(args.admin, name)) < total:
                await asyncio.sleep(0.05)
            applied_s = time.perf_counter() - began
            cpu = sum(sum(psutil.Process(p.pid).cpu_times()[:2]) for p, _ in started) - cpu0
    finally:
        for proc, _ in started:
            proc.terminate()
        for proc, _ in started:
            proc.wait(30)
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
        with psycopg.connect(_dsn(args.admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return {
        "accepted": args.commands / accepted_s,
        "applied": args.commands / applied_s,
        "cpu_ms": cpu / args.commands * 1000,
        "refused": refused,
    }


async def main_async(args: argparse.Namespace) -> None:
    results = {n: await run(n, args, offset=n * 1_000_000) for n in (1, 2)}
    print(
        f"\nregistry POST /workers, {args.commands} commands, {args.clients} clients, "
        f"PostgreSQL + Redis, {os.cpu_count()} CPUs"
    )
    print(f"{'':<34}{'1 replica':>12}{'2 replicas':>12}{'2 / 1':>8}")
    for key, label in (
        ("accepted", "accepted commands/s"),
        ("applied", "in the read model, commands/s"),
        ("cpu_ms", "replicas' CPU per command, ms"),
        ("refused", "refused"),
    ):
        one, two = results[1][key], results[2][key]
        ratio = f"{two / one:.2f}" if one else "-"
        print(f"{label:<34}{one:>12.1f}{two:>12.1f}{ratio:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--admin",
        default=os.environ.get(
            "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument(
        "--redis", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--log", type=Path, default=Path("/tmp/bench_replicas.log"))
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
