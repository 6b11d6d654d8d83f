"""Events out of order, across processes: the registry publishes on its own streams, and its
entries reach training shuffled, each several times. Training, running as in production,
fills every gap from the registry's HTTP feed as soon as it sees a later event, skips what it
already has, and ends with each worker once, nothing pending, and read models equal to a
rebuild from the feeds."""

from __future__ import annotations

import json
import random
from pathlib import Path

import httpx
from redis.asyncio import Redis

from shegong.kernel.ops.runtime import Runtime
from shegong.kernel.testing import eventually, rebuild_differences
from shegong.training.main import SERVICE, TrainingSettings

from .test_kill_services import worker

WORKERS = 12


async def test_shuffled_and_repeated_events_reach_a_read_model_once_and_in_order(
    redis: Redis, service_process, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    common = {
        "REDIS_URL": redis_url,
        "PII_HASH_KEY": "k" * 32,
        "DEPARTMENT": "city",
        "LOG_LEVEL": "WARNING",
    }
    # The registry publishes on its own prefix: nothing reaches training's streams but what
    # this test puts there.
    registry = service_process(
        "shegong.registry",
        {
            **common,
            "DATABASE_URL": f"sqlite:///{tmp_path}/registry.db",
            "STREAM_PREFIX": f"{stream_prefix}producer.",
        },
        tmp_path / "registry.log",
    )
    registry.start()
    source = "/shegong/registry/city"
    training_db = f"sqlite:///{tmp_path}/training.db"
    training_env = {
        **common,
        "DATABASE_URL": training_db,
        "STREAM_PREFIX": stream_prefix,
        "FEEDS": json.dumps({source: registry.url}),
        "CATCH_UP_S": "3600",  # no periodic catch-up: only the gaps it sees make it read the feed
        "CLAIM_IDLE_MS": "300",
    }
    training = service_process("shegong.training", training_env, tmp_path / "training.log")
    training.start()  # its start-up catch-up finds an empty registry

    async with httpx.AsyncClient(base_url=registry.url) as client:
        ids = []
        for n in range(WORKERS):
            r = await client.post("/workers", json=worker(n))
            assert r.status_code == 201, r.text
            ids.append(r.json()["worker"]["worker_id"])

    async def published() -> list[dict[bytes, bytes]]:
        entries = await redis.xrange(f"{stream_prefix}producer.registry.events")
        return [f for _, f in entries] if len(entries) >= WORKERS else []

    entries = await eventually(published)
    assert {e[b"source"] for e in entries} == {source.encode()}
    # The last one first (a gap of everything before it), then the rest shuffled, each twice.
    rest = entries[:-1] * 2
    random.Random(7).shuffle(rest)
    target = f"{stream_prefix}registry.events"
    for fields in [entries[-1], *rest]:
        await redis.xadd(target, fields)

    async with httpx.AsyncClient(base_url=training.url) as client:

        async def all_known() -> bool:
            for worker_id in ids:
                if (await client.get(f"/workforce/{worker_id}")).status_code != 200:
                    return False
            return True

        await eventually(all_known, timeout=30)

    async def settled() -> bool:
        for group in await redis.xinfo_groups(target):
            if group["pending"] or group["lag"]:
                return False
        return True

    await eventually(settled, timeout=30)
    training.stop()

    runtime = Runtime(
        SERVICE,
        TrainingSettings(
            database_url=training_db, redis_url=redis_url, feeds={source: registry.url}
        ),
    )
    try:
        # Training's workforce read model is the one that reads the registry's events.
        (workforce,) = [r for r in runtime.runners if r.name == "training_workforce"]
        assert await workforce.positions() == {source: len(entries)}
        # Every worker once: the rebuild from the registry's feed equals what the shuffled,
        # repeated delivery built.
        assert await rebuild_differences(runtime) == {}
    finally:
        await runtime.engine.dispose()
        await runtime.redis.aclose()
