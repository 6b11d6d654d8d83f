"""Redis restarted under a running registry, with and without persistence, and Redis
unreachable while commands arrive. Without persistence the streams and consumer groups are
gone: the service must notice, recreate its groups and refill its read models from the
producers' feeds. Commands keep being accepted throughout (the outbox holds the events)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from shegong.kernel.ops.runtime import Runtime
from shegong.kernel.testing import eventually, rebuild_differences
from shegong.platform.bus_server import start_bus_server
from shegong.registry.main import SERVICE, RegistrySettings

from .conftest import free_port
from .test_bad_events import census_caught_up
from .test_kill_services import worker


@pytest.mark.parametrize("persistence", [True, False], ids=["aof", "none"])
async def test_redis_restart_and_outage(service_process, tmp_path: Path, persistence: bool) -> None:
    port = free_port()
    bus_dir = tmp_path / "bus"
    bus = start_bus_server(bus_dir, prefer="redis-server", port=port)
    database_url = f"sqlite:///{tmp_path}/registry.db"
    svc = service_process(
        "shegong.registry",
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": bus.url,
            "PII_HASH_KEY": "k" * 32,
            "CLAIM_IDLE_MS": "500",
            "CATCH_UP_S": "1",
            "LOG_LEVEL": "WARNING",
        },
        tmp_path / "registry.log",
    )
    svc.start()
    async with httpx.AsyncClient(base_url=svc.url, timeout=10) as client:
        for n in range(5):
            assert (await client.post("/workers", json=worker(n))).status_code == 201
        await eventually(lambda: _total(client, 5))

        bus.stop()  # Redis goes away; commands are still accepted
        if not persistence:
            shutil.rmtree(bus_dir)
        for n in range(5, 10):
            r = await client.post("/workers", json=worker(n))
            assert r.status_code == 201, r.text
        ready = (await client.get("/ready")).json()
        assert ready["ready"] is False and ready["database"] == "ok"
        await asyncio.sleep(1)

        bus = start_bus_server(bus_dir, prefer="redis-server", port=port)
        try:
            for n in range(10, 15):
                assert (await client.post("/workers", json=worker(n))).status_code == 201
            await eventually(lambda: _total(client, 15), timeout=60)
            redis = Redis.from_url(bus.url)
            try:

                async def regrouped() -> bool:
                    try:
                        groups = await redis.xinfo_groups("registry.events")
                    except ResponseError:  # the stream is not there (yet) after a restart
                        return False
                    return bool(groups) and all(g["pending"] == 0 for g in groups)

                await eventually(regrouped, timeout=60)
            finally:
                await redis.aclose()
            # The census runs in a worker process of its own and may still be behind the
            # workers' read model (its first batch loads the name dictionaries): stopped
            # before it caught up, its read model would lack the workers a rebuild has.
            await eventually(lambda: census_caught_up(client), timeout=60)
            svc.stop()
            runtime = Runtime(
                SERVICE, RegistrySettings(database_url=database_url, redis_url=bus.url)
            )
            try:
                assert await rebuild_differences(runtime) == {}
            finally:
                await runtime.engine.dispose()
                await runtime.redis.aclose()
        finally:
            bus.stop()


async def _total(client: httpx.AsyncClient, n: int) -> bool:
    return bool((await client.get("/workers", params={"limit": 1})).json()["total"] == n)
