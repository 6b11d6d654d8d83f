"""The census end to end: 18 departments' roster files → events → the merged census.

    uv run python bench/bench_census_pipeline.py [--persons 40000] [--seed 2024]
        [--database sqlite|postgresql] [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
        [--projections] [--gc-threshold 50000]

A generated city (≈ 2.5 records per person: 40,000 persons ≈ 100,000 roster rows, with missing,
mistyped and old-form ID numbers, traditional names, changed phones, same-name strangers) is
written as 18 CSV files (UTF-8 with BOM, as Excel saves them). Each file goes through the
registry's real importer (parse, validate, hash, events appended to the event store), then the
census projection consumes the store's feed — the same code that runs on the bus — and links
the records into persons, writing its read models and its link events in the same transactions.

Printed: rows per second for the import, the census and the whole; pairwise precision and
recall of the persons against the generator's truth; and, measured in the same run on the same
database, a plain bulk INSERT of the same rows into a table of the same columns — the ratio of
the pipeline's time to that floor is the figure to compare across machines. Each stage also
prints the time its garbage collections took; ``--projections`` catches up the stream's other
read models after the census (the registry's workers and ladder, training's and matching's
workforce, each on its own), ``--gc-threshold`` runs the whole at another young-generation
threshold.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import tempfile
import time
import uuid
from pathlib import Path

from pipeline_projections import other_projections
from sqlalchemy import Column, Date, MetaData, String, Table, select

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.kernel.events.store import CommandContext
from shegong.kernel.ops.db import create_engine, writing
from shegong.kernel.ops.runtime import Runtime
from shegong.registry.application.roster_import import RosterImporter
from shegong.registry.census.projection import CensusProjection
from shegong.registry.census.tables import records
from shegong.registry.main import SERVICE, RegistrySettings
from shegong.testkit.census_city import (
    DEPARTMENTS,
    generate_city,
    pairwise_precision_recall,
    roster_files,
)


class GcClock:
    """Time spent in the garbage collector, per generation (``gc.callbacks``): allocation-
    heavy stages (envelopes, dicts) pay for every collection they trigger, and a full one
    walks every object the process holds (the census's records and blocks)."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.counts = [0, 0, 0]
        self._start = 0.0
        gc.callbacks.append(self._tick)

    def _tick(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            generation = info["generation"]
            self.seconds[generation] += time.perf_counter() - self._start
            self.counts[generation] += 1

    def take(self) -> str:
        """What was spent since the last ``take``, and reset."""
        total = sum(self.seconds)
        each = ", ".join(
            f"gen{g} {n}× {t:.2f}s"
            for g, (n, t) in enumerate(zip(self.counts, self.seconds, strict=True))
        )
        self.seconds, self.counts = [0.0, 0.0, 0.0], [0, 0, 0]
        return f"GC {total:.2f}s ({each})"


async def bulk_insert_floor(database_url: str, rows: list) -> float:  # type: ignore[type-arg]
    """A plain multi-row INSERT of the raw rows into a same-shaped table, 1,000 per statement."""
    engine = create_engine(database_url)
    md = MetaData()
    plain = Table(
        f"bench_plain_{uuid.uuid4().hex[:8]}",
        md,
        *(Column(c, String(128)) for c in ("department", "record_id", "name", "id_number")),
        *(Column(c, String(128)) for c in ("gender", "phone", "organization", "county")),
        *(Column(c, String(128)) for c in ("township", "community")),
        Column("birth_date", Date),
    )
    values = [
        {
            "department": r.department,
            "record_id": r.record_id,
            "name": r.name,
            "id_number": r.id_number,
            "gender": r.gender,
            "birth_date": r.birth_date,
            "phone": r.phone,
            "organization": r.organization,
            "county": r.county,
            "township": r.township,
            "community": r.community,
        }
        for r in rows
    ]
    async with writing(engine) as conn:
        await conn.run_sync(md.create_all)
    start = time.perf_counter()
    async with writing(engine) as conn:
        for i in range(0, len(values), 1000):
            await conn.execute(plain.insert(), values[i : i + 1000])
    elapsed = time.perf_counter() - start
    async with writing(engine) as conn:
        await conn.run_sync(md.drop_all)
    await engine.dispose()
    return elapsed


async def run(args: argparse.Namespace, database_url: str) -> None:
    t0 = time.perf_counter()
    rows, truth = generate_city(args.persons, list(DEPARTMENTS), seed=args.seed)
    files = roster_files(rows, truth, seed=args.seed)
    print(
        f"city: {len(set(truth.values())):,} humans as {len(rows):,} roster rows in "
        f"{len(files)} department files ({sum(map(len, files.values())) / 1e6:.1f} MB), "
        f"generated in {time.perf_counter() - t0:.1f}s"
    )

    pii_key = os.urandom(16).hex()
    settings = RegistrySettings(
        database_url=database_url,
        pii_hash_key=pii_key,
        redis_url="redis://127.0.0.1:1/0",  # not used here: the census reads the store's feed
        registry_census=args.mode == "inline",
    )
    runtime = Runtime(SERVICE, settings)
    await runtime.create_schema()
    if args.mode == "service":
        await run_with_service(args, database_url, pii_key, runtime, files, rows, truth)
        return
    hasher = PersonalDataHasher(settings.pii_hash_key.get_secret_value().encode())  # type: ignore[union-attr]
    importer = RosterImporter(runtime.store, hasher)
    [census] = [r for r in runtime.runners if isinstance(r.projection, CensusProjection)]

    clock = GcClock()
    cpu = time.process_time()
    start = time.perf_counter()
    rejected = 0
    for dept, data in files.items():
        report = await importer.import_file(
            dept,
            data,
            f"{dept}.csv",
            CommandContext(actor="bench"),
            department_name=DEPARTMENTS[dept],
        )
        rejected += len({r["row"] for r in report.rejected})
    import_s = time.perf_counter() - start
    import_cpu = time.process_time() - cpu
    head = await runtime.store.head()
    print(
        f"import: {len(rows):,} rows → {head:,} events in {import_s:.1f}s "
        f"({len(rows) / import_s:,.0f} rows/s, CPU {import_cpu:.1f}s), {rejected} rows rejected"
    )
    print(f"  {clock.take()}")

    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cpu = time.process_time()
    start = time.perf_counter()
    applied = await census.catch_up(runtime.source, page=2000)
    census_s = time.perf_counter() - start
    census_cpu = time.process_time() - cpu
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    links = await runtime.store.head() - head
    print(
        f"census: {applied:,} events applied, {links:,} link/review events written in "
        f"{census_s:.1f}s ({len(rows) / census_s:,.0f} rows/s, CPU {census_cpu:.1f}s)"
    )
    print(f"  {clock.take()}")
    async with runtime.engine.connect() as conn:
        clusters: dict[str, list[str]] = {}
        for key, pid in await conn.execute(select(records.c.key, records.c.person_id)):
            clusters.setdefault(pid, []).append(key)
    precision, recall = pairwise_precision_recall(clusters, truth)
    total_s = import_s + census_s
    if args.projections:
        await other_projections(runtime, len(rows))
    print(
        f"merged: {len(rows):,} rows → {len(clusters):,} persons "
        f"(truth {len(set(truth.values())):,}); pairwise precision {precision:.4f}, "
        f"recall {recall:.4f}"
    )
    await runtime.engine.dispose()
    await runtime.redis.aclose()

    floor_s = await bulk_insert_floor(database_url, rows)
    print(
        f"\nfile → events → merged census: {total_s:.1f}s, {len(rows) / total_s:,.0f} rows/s "
        f"(CPU {import_cpu + census_cpu:.1f}s; goal: under 60 s for 100,000 rows; precision "
        "and recall ≥ 0.995)"
    )
    print(
        f"plain bulk INSERT of the same rows, same database: {floor_s:.2f}s "
        f"({len(rows) / floor_s:,.0f} rows/s); pipeline / floor = {total_s / floor_s:.0f}×"
    )


async def run_with_service(
    args: argparse.Namespace,
    database_url: str,
    pii_key: str,
    runtime: Runtime,
    files: dict[str, bytes],
    rows: list,  # type: ignore[type-arg]
    truth: dict[str, str],
) -> None:
    """As in production: the registry service runs (census on, its relay publishing to
    Redis, its census consuming the stream) while this process imports the files into the
    same database, as ``shegong registry import-roster`` does. Timed from the first row
    read to the census having applied the last event."""
    import socket
    import subprocess
    import sys

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    prefix = f"bench{os.getpid()}:"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": args.redis_url,
        "STREAM_PREFIX": prefix,
        "PII_HASH_KEY": pii_key,
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "REGISTRY_CENSUS": "on",
    }
    service = subprocess.Popen([sys.executable, "-m", "shegong.registry"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            while True:
                try:
                    if (await http.get("/ready")).json().get("ready"):
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
            hasher = PersonalDataHasher(pii_key.encode())
            importer = RosterImporter(runtime.store, hasher)
            start = time.perf_counter()
            cpu = time.process_time()
            for dept, data in files.items():
                await importer.import_file(
                    dept,
                    data,
                    f"{dept}.csv",
                    CommandContext(actor="bench"),
                    department_name=DEPARTMENTS[dept],
                )
            import_s = time.perf_counter() - start
            print(
                f"import (this process): {len(rows):,} rows in {import_s:.1f}s "
                f"({len(rows) / import_s:,.0f} rows/s, CPU {time.process_time() - cpu:.1f}s); "
                "the census meanwhile in the registry service"
            )
            # The head once: a keyed read of the feed is itself recorded (it moves the head).
            head = (await http.get("/events", params={"after": 0, "limit": 1})).json()["head"]
            while True:
                status = (await http.get("/census/status")).json()
                applied = max(status["as_of"]["positions"].values(), default=0)
                if applied >= head and status["records"] >= len(rows):
                    break
                await asyncio.sleep(0.25)
            total_s = time.perf_counter() - start
    finally:
        service.terminate()
        service.wait(timeout=60)
        from redis.asyncio import Redis

        redis = Redis.from_url(args.redis_url)
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
    async with runtime.engine.connect() as conn:
        clusters: dict[str, list[str]] = {}
        for key, pid in await conn.execute(select(records.c.key, records.c.person_id)):
            clusters.setdefault(pid, []).append(key)
    precision, recall = pairwise_precision_recall(clusters, truth)
    await runtime.engine.dispose()
    await runtime.redis.aclose()
    floor_s = await bulk_insert_floor(database_url, rows)
    print(
        f"merged: {len(rows):,} rows → {len(clusters):,} persons (truth "
        f"{len(set(truth.values())):,}); pairwise precision {precision:.4f}, recall {recall:.4f}"
    )
    print(
        f"\nfile → events → merged census: {total_s:.1f}s, {len(rows) / total_s:,.0f} rows/s "
        "(goal: under 60 s for 100,000 rows; precision and recall ≥ 0.995)"
    )
    print(
        f"plain bulk INSERT of the same rows, same database: {floor_s:.2f}s "
        f"({len(rows) / floor_s:,.0f} rows/s); pipeline / floor = {total_s / floor_s:.0f}×"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--mode",
        choices=("inline", "service"),
        default="inline",
        help="service: the census runs in the registry service over Redis while this process "
        "imports (as in production); inline: import, then the census in this process",
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument(
        "--projections",
        action="store_true",
        help="inline mode: also catch up the stream's other read models (the registry's "
        "workers and ladder, training's and matching's workforce) and time each",
    )
    parser.add_argument(
        "--gc-threshold",
        type=int,
        help="gc.set_threshold(N) first (CPython's default is 700 allocations a young "
        "collection): what a service's garbage collection costs at another setting",
    )
    parser.add_argument(
        "--profile", help="inline mode: write a cProfile of the census stage to this file"
    )
    args = parser.parse_args()
    if args.gc_threshold:
        gc.set_threshold(args.gc_threshold, *gc.get_threshold()[1:])
    if args.database == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(run(args, f"sqlite:///{Path(tmp) / 'registry.db'}"))
        return
    import psycopg

    name = f"bench_census_{uuid.uuid4().hex[:8]}"
    admin = args.database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        base = admin.rsplit("/", 1)[0]
        asyncio.run(run(args, f"{base}/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
