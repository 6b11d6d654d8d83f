"""The bounded walk over the candidate table finds exactly what ranking every provider
of the district finds (random providers, random orders, on a real database) — also when
the census merged some workers' records into persons (one candidate per person, the
person's load on each record)."""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.matching import ProviderKind, ServiceType
from shegong.contracts.training import TargetGroup
from shegong.kernel.ops.db import create_engine, reading, writing
from shegong.matching.adapters.candidates_table import place_columns
from shegong.matching.adapters.tables import metadata, provider_state
from shegong.matching.application.candidates import best_candidates, load_candidates
from shegong.matching.domain.ranking import Need, rank, region_path, static_score
from shegong.matching.projections.workforce import (
    links,
    trained,
    training_metadata,
    workers,
    workforce_metadata,
)


async def seed(conn: AsyncConnection, rows: list[dict], training: list[dict]) -> None:
    """Matching's tables, the candidate table's rows and the trainings completed."""
    await conn.run_sync(metadata.create_all)
    await conn.run_sync(training_metadata.create_all)
    await conn.run_sync(workforce_metadata.create_all)
    await conn.execute(provider_state.insert(), rows)
    await conn.execute(trained.insert(), training)


@pytest.mark.slow
async def test_bounded_walk_equals_full_ranking(database_url: str) -> None:
    rng = random.Random(7)
    today = date(2025, 6, 1)
    places = [f"区{d}/街{s}/社区{c}" for d in range(2) for s in range(3) for c in range(3)]
    places += [f"区{d}/街{s}" for d in range(2) for s in range(3)] + ["区0", "区1"]
    rows, training = [], []
    for i in range(600):
        worker = rng.random() < 0.6
        n = rng.randint(0, 4)
        row = {
            "provider_id": f"p{i:04d}",
            "kind": (
                ProviderKind.SOCIAL_WORKER
                if worker
                else rng.choice([ProviderKind.VOLUNTEER, ProviderKind.VOLUNTEER_TEAM])
            ).value,
            "name": f"n{i}",
            **place_columns(rng.choice(places)),
            "certificate_rank": rng.choice([0, 1, 2]) if worker else 0,
            "left_on": today - timedelta(days=1) if rng.random() < 0.05 else None,
            "capacity": rng.choice([1, 2, 3]),
            "open_assignments": 0,
            "available": rng.random() > 0.1,
            "skills": None if worker else rng.sample(["rehabilitation", "meal_help"], 1),
            "supervised": rng.random() < 0.5,
            "completed": rng.randint(0, 5),
            "satisfaction_sum": sum(rng.randint(1, 5) for _ in range(n)),
            "satisfaction_n": n,
        }
        row["open_assignments"] = rng.randint(0, row["capacity"])
        row["static_score"] = static_score(
            row["open_assignments"],
            row["capacity"],
            row["completed"],
            row["satisfaction_sum"],
            n,
        )
        rows.append(row)
        if worker and rng.random() < 0.4:
            training.append(
                {
                    "worker_id": row["provider_id"],
                    "skill": rng.choice([t.value for t in ServiceType]),
                    "last_completed_on": today - timedelta(days=rng.randint(0, 400)),
                    "kind": "practice",
                }
            )
    # The census: some workers' records are one person (pairs and chains of three).
    worker_ids = [r["provider_id"] for r in rows if r["kind"] == ProviderKind.SOCIAL_WORKER.value]
    worker_rows = [
        {
            "worker_id": w,
            "name": w,
            "region": "",
            "certificate_rank": 0,
            "department": f"d{i % 3}",
            "record_key": f"d{i % 3}:{w}",
        }
        for i, w in enumerate(worker_ids)
    ]
    key = {w["worker_id"]: w["record_key"] for w in worker_rows}
    shuffled = rng.sample(worker_ids, len(worker_ids))
    by_id = {r["provider_id"]: r for r in rows}
    pairs = []
    for at in range(0, 120, 3):
        group = shuffled[at : at + rng.choice([2, 3])]
        pairs += [sorted((key[x], key[y])) for x, y in itertools.pairwise(group)]
        for other in group[1:]:  # mostly on one place: they compete for the same orders
            if rng.random() < 0.8:
                by_id[other].update(place_columns(by_id[group[0]]["region"]))
        for member in group:  # mostly with room to take one more between them
            r = by_id[member]
            r["open_assignments"] = rng.choice([0, 0, 0, 1])
            r["static_score"] = static_score(
                r["open_assignments"],
                r["capacity"],
                r["completed"],
                r["satisfaction_sum"],
                r["satisfaction_n"],
            )
    engine = create_engine(database_url)
    try:
        async with writing(engine) as conn:
            await seed(conn, rows, training)
            await conn.execute(workers.insert(), worker_rows)
            await conn.execute(links.insert(), [{"a": a, "b": b, "rule": "t"} for a, b in pairs])
        merged = 0
        for _ in range(60):
            community = rng.choice(places[:18])
            need = Need(
                rng.choice(list(ServiceType)),
                rng.choice(list(TargetGroup)),
                region_path(community),
                today,
                frozenset(rng.sample(worker_ids, 5)),
            )
            limit = rng.choice([1, 3, 5])
            async with reading(engine) as conn:
                walked = await best_candidates(conn, need, limit)
                pool = await load_candidates(conn, need.region[0], 3, today)
            full = rank(need, pool, limit)
            assert [(r.candidate.provider_id, round(r.score, 9)) for r in walked] == [
                (r.candidate.provider_id, round(r.score, 9)) for r in full
            ], need
            assert len({r.candidate.person for r in walked}) == len(walked)
            merged += sum(1 for r in full if r.candidate.records)
        assert merged > 0  # persons of several records were ranked
    finally:
        await engine.dispose()


async def test_a_street_of_untrained_workers_is_not_read_when_none_can_win(
    database_url: str,
) -> None:
    """Volunteers of the order's community hold the offer; the street's 300 workers,
    none trained for the order's type, cannot reach the last of them even with the
    proximity of the street — so the walk does not read them page by page (load.py's
    street: every `POST /requests` read every worker registered so far), except the one
    a recent training for the type could lift above the volunteers."""
    today = date(2025, 6, 1)
    community, street = "区0/街0/社区0", "区0/街0"

    def row(pid: str, kind: ProviderKind, place: str, completed: int, sat: int, n: int) -> dict:
        return {
            "provider_id": pid,
            "kind": kind.value,
            "name": pid,
            **place_columns(place),
            "certificate_rank": 0,
            "left_on": None,
            "capacity": 50,
            "open_assignments": 0,
            "available": True,
            "skills": ["meal_help"] if kind == ProviderKind.VOLUNTEER else None,
            "supervised": False,
            "completed": completed,
            "satisfaction_sum": sat,
            "satisfaction_n": n,
            "static_score": static_score(0, 50, completed, sat, n),
        }

    rows = [row(f"v{i}", ProviderKind.VOLUNTEER, community, 9, 3, 1) for i in range(5)]
    rows += [row(f"w{i:03d}", ProviderKind.SOCIAL_WORKER, street, 0, 0, 0) for i in range(300)]
    need = Need(
        ServiceType.MEAL_HELP, TargetGroup.ELDERLY, region_path(community), today, frozenset()
    )
    trained_one = {
        "worker_id": "w150",
        "skill": ServiceType.MEAL_HELP.value,
        "last_completed_on": today - timedelta(days=3),
        "kind": "practice",
    }
    engine = create_engine(database_url)
    statements: list[str] = []
    try:
        async with writing(engine) as conn:
            await seed(conn, rows, [trained_one])

        def record(_conn: object, _cursor: object, sql: str, *_: object) -> None:
            statements.append(sql)

        event.listen(engine.sync_engine, "before_cursor_execute", record)
        async with reading(engine) as conn:
            walked = await best_candidates(conn, need, 3)
            event.remove(engine.sync_engine, "before_cursor_execute", record)
            pool = await load_candidates(conn, "区0", 50, today)
        full = rank(need, pool, 3)
        assert [r.candidate.provider_id for r in walked] == [r.candidate.provider_id for r in full]
        assert "w150" in [r.candidate.provider_id for r in walked]  # trained: read, offered
        # the community's page, the street's and the district's pages: a few statements,
        # not ten pages of 32 workers with their training and persons read for each
        assert len([s for s in statements if "provider_state" in s]) <= 5, statements
    finally:
        await engine.dispose()
