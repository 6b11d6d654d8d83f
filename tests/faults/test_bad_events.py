"""Bad entries on the bus, against the registry running as in production: a garbage entry,
an event of an unknown newer schema version, a duplicated event. Each garbage or too-new
entry ends in the dead-letter stream with its error, duplicates are applied once, the events
after them keep flowing, and the read models still equal a rebuild from the event store."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from redis.asyncio import Redis

from shegong.kernel.ops.runtime import Runtime
from shegong.kernel.testing import eventually, nothing_pending, rebuild_differences
from shegong.registry.main import SERVICE, RegistrySettings

from .test_kill_services import worker


async def test_poison_newer_version_and_duplicate_entries(
    redis: Redis, service_process, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path}/registry.db"
    svc = service_process(
        "shegong.registry",
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "STREAM_PREFIX": stream_prefix,
            "PII_HASH_KEY": "k" * 32,
            "CLAIM_IDLE_MS": "300",
            "MAX_DELIVERIES": "3",
            "CATCH_UP_S": "1",
            "LOG_LEVEL": "WARNING",
        },
        tmp_path / "registry.log",
    )
    svc.start()
    stream = f"{stream_prefix}registry.events"
    async with httpx.AsyncClient(base_url=svc.url) as client:
        for n in range(3):
            assert (await client.post("/workers", json=worker(n))).status_code == 201
        await eventually(lambda: _total(client, 3))

        entries = await redis.xrange(stream)
        _, first = entries[0]
        # A duplicate of a real entry, a garbage entry, an event from a newer producer.
        await redis.xadd(stream, first)
        await redis.xadd(stream, {"type": "WorkerRegistered", "data": "{not json"})
        newer = dict(first)
        newer.update(
            {
                b"id": b"00000000-0000-4000-8000-000000000099",
                b"source": b"/shegong/registry/newer-node",
                b"sequence": b"1",
                b"schemaversion": b"99",
            }
        )
        await redis.xadd(stream, newer)
        for n in range(3, 6):
            assert (await client.post("/workers", json=worker(n))).status_code == 201
        await eventually(lambda: _total(client, 6), timeout=30)

        async def dead_lettered() -> list[dict[bytes, bytes]]:
            dlq = [fields for _, fields in await redis.xrange(f"{stream}.dlq")]
            errors = b" ".join(f.get(b"dlq_error", b"") for f in dlq)
            return dlq if b"schema version 99" in errors and len(dlq) >= 2 else []

        dlq = await eventually(dead_lettered, timeout=60)
        assert any(b"data" in f and f[b"data"] == b"{not json" for f in dlq)
        assert any(f.get(b"schemaversion") == b"99" for f in dlq)
        # Every group of the stream (the census's among them) has taken and acknowledged
        # every entry before the service stops: the rebuild below compares with them.
        await eventually(lambda: nothing_pending(redis, stream), timeout=60)
        ready = (await client.get("/ready")).json()
        assert ready["ready"] is True, json.dumps(ready)
        # The census runs in a worker process of its own and may still be behind the
        # workers' read model (its first batch loads the name dictionaries): stopped
        # before it caught up, its read model would lack the last workers a rebuild has.
        await eventually(lambda: census_caught_up(client), timeout=60)
    svc.stop()

    runtime = Runtime(SERVICE, RegistrySettings(database_url=database_url, redis_url=redis_url))
    try:
        assert await rebuild_differences(runtime) == {}
    finally:
        await runtime.engine.dispose()
        await runtime.redis.aclose()


async def _total(client: httpx.AsyncClient, n: int) -> bool:
    return bool((await client.get("/workers", params={"limit": 1})).json()["total"] == n)


async def census_caught_up(client: httpx.AsyncClient) -> bool:
    head = (await client.get("/events", params={"after": 0, "limit": 1})).json()["head"]
    status = (await client.get("/census/status")).json()
    return bool(max(status["as_of"]["positions"].values(), default=0) == head)
