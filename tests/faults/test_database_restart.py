"""PostgreSQL restarted under a running registry, and Redis unreachable for a whole minute
while commands keep arriving. A private PostgreSQL cluster (Debian's ``pg_createcluster``)
is used so that the machine's shared server is never touched."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shegong.kernel.ops.runtime import Runtime
from shegong.kernel.testing import eventually, rebuild_differences
from shegong.platform.bus_server import start_bus_server
from shegong.registry.main import SERVICE, RegistrySettings

from .conftest import free_port
from .test_bad_events import census_caught_up
from .test_kill_services import worker


def _pg_version() -> str | None:
    root = Path("/usr/lib/postgresql")
    versions = sorted(p.name for p in root.iterdir()) if root.exists() else []
    return versions[-1] if versions else None


@pytest.fixture
def private_postgres() -> Iterator[tuple[str, list[str]]]:
    """A throw-away cluster: its URL and the command that restarts it."""
    version = _pg_version()
    if shutil.which("pg_createcluster") is None or version is None or os.geteuid() != 0:
        pytest.skip("needs Debian's pg_createcluster and root to run a private PostgreSQL")
    name, port = f"f{uuid.uuid4().hex[:8]}", free_port()
    subprocess.run(
        ["pg_createcluster", version, name, "--port", str(port), "--start", "--", "--auth=trust"],
        check=True,
        capture_output=True,
    )
    try:
        yield (
            f"postgresql://postgres@127.0.0.1:{port}/postgres",
            ["pg_ctlcluster", version, name],
        )
    finally:
        subprocess.run(
            ["pg_dropcluster", version, name, "--stop"], check=False, capture_output=True
        )


async def test_postgres_restart_loses_no_accepted_command(
    private_postgres: tuple[str, list[str]],
    redis_url: str,
    stream_prefix: str,
    service_process,
    tmp_path: Path,
) -> None:
    database_url, ctl = private_postgres
    svc = service_process(
        "shegong.registry",
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "STREAM_PREFIX": stream_prefix,
            "PII_HASH_KEY": "k" * 32,
            "CLAIM_IDLE_MS": "500",
            "CATCH_UP_S": "1",
            "LOG_LEVEL": "WARNING",
        },
        tmp_path / "registry.log",
    )
    svc.start()
    accepted: list[str] = []
    async with httpx.AsyncClient(base_url=svc.url, timeout=10) as client:

        async def send(n: int) -> int:
            try:
                r = await client.post("/workers", json=worker(n))
            except httpx.HTTPError:
                return 0
            if r.status_code == 201:
                accepted.append(r.json()["worker"]["worker_id"])
            return r.status_code

        for n in range(10):
            assert await send(n) == 201
        subprocess.run([*ctl, "stop", "--", "-m", "fast"], check=True, capture_output=True)
        down = [await send(100 + n) for n in range(3)]
        assert down == [503, 503, 503], down  # refused with "retry", never a 500, nothing lost
        assert (await client.get("/ready")).json()["database"] != "ok"
        subprocess.run([*ctl, "start"], check=True, capture_output=True)

        async def back() -> bool:
            return await send(200 + len(accepted)) == 201

        await eventually(back, timeout=60)
        for n in range(300, 310):
            assert await send(n) == 201

        async def all_read() -> bool:
            total = (await client.get("/workers", params={"limit": 1})).json()["total"]
            return bool(total == len(accepted))

        await eventually(all_read, timeout=60)
        # The census's worker process may still be behind the workers' read model (as in
        # test_bad_events): the rebuild below compares with it.
        await eventually(lambda: census_caught_up(client), timeout=60)
    svc.stop()
    runtime = Runtime(SERVICE, RegistrySettings(database_url=database_url, redis_url=redis_url))
    try:
        assert await rebuild_differences(runtime) == {}
    finally:
        await runtime.engine.dispose()
        await runtime.redis.aclose()


# The bus connection's timeouts, shortened for the outage below to outlast each of them
# several times over (in production: 10 s, 5 s and 30 s; the same code paths).
BUS_TIMEOUTS = {
    "REDIS_SOCKET_TIMEOUT_S": "2",
    "REDIS_CONNECT_TIMEOUT_S": "1",
    "REDIS_HEALTH_CHECK_S": "5",
}
# Four times the longest of them, and of the bus's reconnect back-off (at most 5 s).
OUTAGE_S = 20


async def test_the_bus_timeouts_are_the_settings(tmp_path: Path) -> None:
    """What the outage test shortens is what the service uses (defaults: 10 s, 5 s, 30 s)."""
    settings = {k.lower(): float(v) for k, v in BUS_TIMEOUTS.items()}
    for given, expected in (({}, (10, 5, 30)), (settings, (2, 1, 5))):
        runtime = Runtime(
            SERVICE,
            RegistrySettings(database_url=f"sqlite:///{tmp_path}/r.db", **given),
        )
        try:
            options = runtime.redis.connection_pool.connection_kwargs
            assert (
                options["socket_timeout"],
                options["socket_connect_timeout"],
                options["health_check_interval"],
            ) == expected
        finally:
            await runtime.engine.dispose()
            await runtime.redis.aclose()


async def test_redis_unreachable_longer_than_every_bus_timeout_while_commands_arrive(
    service_process, tmp_path: Path
) -> None:
    port = free_port()
    bus = start_bus_server(tmp_path / "bus", prefer="redis-server", port=port)
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
            **BUS_TIMEOUTS,
        },
        tmp_path / "registry.log",
    )
    svc.start()
    async with httpx.AsyncClient(base_url=svc.url, timeout=10) as client:
        bus.stop()
        loop = asyncio.get_running_loop()
        end, n = loop.time() + OUTAGE_S, 0
        while loop.time() < end:  # a command every two seconds, Redis away
            r = await client.post("/workers", json=worker(n))
            assert r.status_code == 201, r.text
            n += 1
            await asyncio.sleep(2)
        assert (await client.get("/ready")).json()["ready"] is False
        bus = start_bus_server(tmp_path / "bus", prefer="redis-server", port=port)
        try:

            async def all_read() -> bool:
                total = (await client.get("/workers", params={"limit": 1})).json()["total"]
                return bool(total == n)

            await eventually(all_read, timeout=60)
            ready = (await client.get("/ready")).json()
            assert ready["ready"] is True, ready
        finally:
            svc.stop()
            bus.stop()
    assert n >= OUTAGE_S // 2 - 2
