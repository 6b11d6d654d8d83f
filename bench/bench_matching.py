"""Matching: how fast one new order is ranked among a city's providers.

    uv run python bench/bench_matching.py [--providers 100000] [--open-orders 10000]
        [--orders 1000] [--database-url sqlite:///... | postgresql://...]

Seeds matching's own database (SQLite in a temp dir by default) with ``--providers``
providers — 60 % social workers as the registry's stream would have built them
(certificate levels, training), 40 % volunteers, teams and organisations — spread over
7 districts × 12 streets × 12 communities, and ``--open-orders`` orders in progress that
hold their providers' capacity. Then it times, for ``--orders`` new orders of random
communities and service types:

- **rank (bounded walk)**: what the service does for a new order — walk the candidate
  table tier by tier (community, street, district), best static score first, and stop when
  nobody left can win (median and p99);
- **rank (whole district)**: the naive way for comparison — load every provider of the
  district and rank them all; the check that both give the same top candidates;
- **orders matched per second**: the whole ``POST /requests`` command path
  (``MatchingCommands.place``: rank, record RequestPlaced + OrderOffered, deadline, query
  row — one transaction), sequentially.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shegong.contracts.matching import ProviderKind, ServiceType
from shegong.contracts.training import TargetGroup
from shegong.kernel.data.identity import PersonalDataHasher
from shegong.kernel.events.schema import metadata as kernel_metadata
from shegong.kernel.events.store import CommandContext, EventStore, EventStoreIdentity
from shegong.kernel.ops.db import create_engine, writing
from shegong.matching.adapters.candidates_table import place_columns
from shegong.matching.adapters.tables import metadata as tables_metadata
from shegong.matching.adapters.tables import provider_state, providers, requests
from shegong.matching.application.candidates import best_candidates, load_candidates
from shegong.matching.application.requests import MatchingCommands
from shegong.matching.domain.commands import PlaceRequest
from shegong.matching.domain.ranking import Need, rank, region_path, static_score
from shegong.matching.main import SERVICE
from shegong.matching.projections.workforce import (
    trained,
    training_metadata,
    workers,
    workforce_metadata,
)
from shegong.matching.settings import MatchingSettings

DISTRICTS, STREETS, COMMUNITIES = 7, 12, 12


def communities() -> list[str]:
    return [
        f"区{d}/街道{d}-{s}/社区{d}-{s}-{c}"
        for d in range(DISTRICTS)
        for s in range(STREETS)
        for c in range(COMMUNITIES)
    ]


async def seed(engine: Any, n_providers: int, n_open: int, rng: random.Random) -> None:
    places = communities()
    today = date.today()
    worker_rows, provider_rows, trained_rows, state_rows = [], [], [], {}
    skills = [t.value for t in ServiceType]
    for i in range(n_providers):
        pid = f"p{i:06d}"
        region = rng.choice(places)
        if i % 10 < 6:
            worker_rows.append(
                {
                    "worker_id": pid,
                    "name": f"社工{i}",
                    "organization": "社工站",
                    "region": region,
                    "certificate_rank": rng.choice([0, 0, 1, 1, 2, 3]),
                    "left_on": None if rng.random() > 0.05 else today - timedelta(days=30),
                }
            )
            for skill in rng.sample(skills, rng.randint(0, 2)):
                trained_rows.append(
                    {
                        "worker_id": pid,
                        "skill": skill,
                        "last_completed_on": today - timedelta(days=rng.randint(0, 700)),
                        "kind": "practice",
                    }
                )
        else:
            kind = rng.choice(
                [ProviderKind.VOLUNTEER] * 6
                + [ProviderKind.VOLUNTEER_TEAM] * 3
                + [ProviderKind.ORGANISATION]
            )
            provider_rows.append(
                {
                    "provider_id": pid,
                    "kind": kind.value,
                    "name": f"志愿者{i}",
                    "region": region.rsplit("/", rng.choice([0, 0, 0, 1]))[0],
                    "organisation": None,
                    "skills": rng.sample(skills, rng.randint(0, 2)),
                    "supervised": rng.random() < 0.5,
                    "registered_at": datetime.now(UTC),
                }
            )
        is_worker = i % 10 < 6
        last = worker_rows[-1] if is_worker else provider_rows[-1]
        n = rng.randint(0, 6)
        state_rows[pid] = {
            "provider_id": pid,
            "kind": ProviderKind.SOCIAL_WORKER.value if is_worker else last["kind"],
            "name": last["name"],
            **place_columns(last["region"]),
            "organisation": None,
            "certificate_rank": last["certificate_rank"] if is_worker else 0,
            "left_on": last["left_on"] if is_worker else None,
            "capacity": rng.choice([1, 2, 3, 3, 5]),
            "open_assignments": 0,
            "available": rng.random() > 0.1,
            "skills": None if is_worker else last["skills"],
            "supervised": None if is_worker else last["supervised"],
            "completed": rng.randint(0, 30),
            "satisfaction_sum": sum(rng.randint(2, 5) for _ in range(n)),
            "satisfaction_n": n,
        }
    ids = list(state_rows)
    open_rows = []
    now = time.time()
    for _ in range(n_open):
        pid = rng.choice(ids)
        st = state_rows[pid]
        if st["open_assignments"] < st["capacity"]:
            st["open_assignments"] += 1
        open_rows.append(
            {
                "request_id": str(uuid.uuid4()),
                "version": 2,
                "status": "accepted",
                "community": rng.choice(places),
                "target_group": rng.choice(list(TargetGroup)).value,
                "service_type": rng.choice(list(ServiceType)).value,
                "urgency": "routine",
                "offered": [pid],
                "declined": {},
                "provider_id": pid,
                "provider_kind": "volunteer",
                "placed_ts": now - 3600,
                "placed_year": datetime.now(UTC).year,
                "first_accepted_ts": now - 3000,
                "accepted_ts": now - 3000,
                "reopened": 0,
            }
        )
    for st in state_rows.values():
        st["static_score"] = static_score(
            st["open_assignments"],
            st["capacity"],
            st["completed"],
            st["satisfaction_sum"],
            st["satisfaction_n"],
        )
    async with writing(engine) as conn:
        for md in (kernel_metadata, tables_metadata, workforce_metadata, training_metadata):
            await conn.run_sync(md.create_all)
        for table, rows in (
            (workers, worker_rows),
            (providers, provider_rows),
            (trained, trained_rows),
            (provider_state, list(state_rows.values())),
            (requests, open_rows),
        ):
            for chunk in range(0, len(rows), 5000):
                await conn.execute(table.insert(), rows[chunk : chunk + 5000])


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]  # nearest rank


def show(label: str, ms: list[float]) -> None:
    print(
        f"{label:<34} median {statistics.median(ms):7.2f} ms   p99 {pct(ms, 99):7.2f} ms   "
        f"max {max(ms):7.2f} ms   (n={len(ms)})"
    )


async def run(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    tmp = tempfile.TemporaryDirectory(prefix="bench-matching-")
    url = args.database_url or f"sqlite:///{tmp.name}/matching.db"
    engine = create_engine(url)
    t0 = time.perf_counter()
    await seed(engine, args.providers, args.open_orders, rng)
    print(
        f"seeded {args.providers:,} providers and {args.open_orders:,} open orders "
        f"in {time.perf_counter() - t0:.1f}s ({engine.dialect.name})"
    )
    settings = MatchingSettings(database_url=url, pii_hash_key="k" * 32, data_dir=tmp.name)
    store = EventStore(
        engine,
        EventStoreIdentity(service="matching", source="/bench", contract=SERVICE.contract),
    )
    commands = MatchingCommands(store, PersonalDataHasher("k" * 32), settings)
    places = communities()
    orders = [
        (rng.choice(places), rng.choice(list(ServiceType)), rng.choice(list(TargetGroup)))
        for _ in range(args.orders)
    ]
    today = date.today()

    best_ms, full_ms, rank_ms, pool_sizes, differ = [], [], [], [], 0
    for community, service_type, group in orders:
        need = Need(service_type, group, region_path(community), today)
        start = time.perf_counter()
        async with engine.connect() as conn:
            best = await best_candidates(conn, need, settings.matching_offer_top)
        best_ms.append((time.perf_counter() - start) * 1000)
        if len(full_ms) < args.full_checks:
            start = time.perf_counter()
            async with engine.connect() as conn:
                pool = await load_candidates(conn, need.region[0], 3, today)
            loaded = time.perf_counter()
            full = rank(need, pool, settings.matching_offer_top)
            done = time.perf_counter()
            full_ms.append((done - start) * 1000)
            rank_ms.append((done - loaded) * 1000)
            pool_sizes.append(len(pool))
            if [r.candidate.provider_id for r in full] != [r.candidate.provider_id for r in best]:
                differ += 1
    print(
        f"providers in an order's district: median {statistics.median(pool_sizes):,.0f}; "
        f"bounded walk == full ranking in {len(full_ms) - differ} of {len(full_ms)} checks"
    )
    show("rank (bounded walk, the service's)", best_ms)
    show("rank (load whole district + rank)", full_ms)
    show("  of which ranking in memory", rank_ms)

    placed_ms = []
    start_all = time.perf_counter()
    for community, service_type, group in orders:
        start = time.perf_counter()
        await commands.place(
            PlaceRequest(community=community, service_type=service_type, target_group=group),
            CommandContext(actor="bench"),
        )
        placed_ms.append((time.perf_counter() - start) * 1000)
    total = time.perf_counter() - start_all
    show("place an order (command, 1 tx)", placed_ms)
    print(f"orders matched per second: {len(orders) / total:,.0f}")
    await engine.dispose()
    tmp.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=100_000)
    parser.add_argument("--open-orders", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument(
        "--full-checks", type=int, default=100, help="orders also ranked the slow, full way"
    )
    parser.add_argument("--database-url", default=None)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
