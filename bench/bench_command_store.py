"""The registration command alone: ``RegistryCommands.register`` in-process against the
database, from 16 concurrent tasks — no HTTP, no bus, no read models — and the CPU it took.

    uv run python bench/bench_command_store.py [--commands N] [--database sqlite|postgresql]
        [--concurrency 16] [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
        [--profile out.prof]

What the command path's own store work costs (validation, keyed hashes, the event append,
the personal-data row, the transaction), apart from what the service does around it;
``bench_command_to_read_model.py`` measures the whole service. The registrations are the
same city-shaped ones. SQLite goes to a temp dir, PostgreSQL to a database created and
dropped here.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import shutil
import sys
import tempfile
import time
from pathlib import Path

import uvloop  # what uvicorn runs the service on (uvicorn[standard])
from bench_shared import command, create_pg_database, drop_pg_database

from shegong.contracts.registry import REGISTRY_STREAM
from shegong.kernel.data.identity import PersonalDataHasher
from shegong.kernel.events.store import CommandContext, EventStore, EventStoreIdentity
from shegong.kernel.ops.db import create_engine, writing
from shegong.registry.adapters.personal_data import metadata as personal_data_metadata
from shegong.registry.application.handlers import RegistryCommands
from shegong.registry.domain.commands import RegisterWorker

WARM_UP = 100


async def run(url: str, n: int, concurrency: int, profile: str | None) -> None:
    engine = create_engine(url)
    store = EventStore(engine, EventStoreIdentity("registry", "/bench", REGISTRY_STREAM))
    try:
        await store.create_schema()
        async with writing(engine) as conn:
            await conn.run_sync(personal_data_metadata.create_all)
        commands = RegistryCommands(store, PersonalDataHasher("bench-key-" + "0" * 22), "city")
        bodies = [RegisterWorker.model_validate(command(i)) for i in range(n + WARM_UP)]
        for body in bodies[n:]:  # compiled statements cached, connections pooled
            await commands.register(body, CommandContext())
        queue = iter(bodies[:n])

        async def client() -> None:
            for body in queue:
                await commands.register(body, CommandContext())

        profiler = cProfile.Profile() if profile else None
        cpu0, t0 = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
        head = await store.head()
    finally:
        await engine.dispose()
    if head != n + WARM_UP:
        raise SystemExit(f"the store holds {head} events, expected {n + WARM_UP}")
    print(
        f"{engine.dialect.name}: {n} registrations from {concurrency} tasks in {wall:.2f} s "
        f"({n / wall:,.0f}/s), CPU {cpu / n * 1000:.2f} ms per registration"
        + (f"; cProfile stats in {profile}" if profile else "")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL admin URL; a fresh database is created from it and dropped after",
    )
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--profile", metavar="PATH", help="cProfile the timed part to PATH")
    args = parser.parse_args()
    if args.commands < 1:
        parser.error("--commands must be ≥ 1")
    data_dir = Path(tempfile.mkdtemp(prefix="shegong-store-bench-"))
    pg_name = None
    try:
        if args.database == "postgresql":
            pg_name, url = create_pg_database(args.database_url)
        else:
            url = f"sqlite:///{data_dir}/registry.db"
        uvloop.run(run(url, args.commands, args.concurrency, args.profile))
    finally:
        if pg_name is not None:
            drop_pg_database(args.database_url, pg_name)
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
