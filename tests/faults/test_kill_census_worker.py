"""The census runs in a worker process of the registry's (``REGISTRY_CENSUS_PROCESS``, the
default). kill -9 that worker in the middle of a stream of registrations: the registry
keeps answering, starts the worker again, and the census ends with every record exactly
once, nothing pending on the stream, its link events each appended once, and read models
equal to a rebuild from the event store. Then the registry itself is killed: its worker
does not outlive it."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from shegong.kernel.events.schema import events_table
from shegong.kernel.ops.runtime import Runtime
from shegong.kernel.testing import eventually, nothing_pending, rebuild_differences
from shegong.registry.census.tables import records as census_records
from shegong.registry.main import SERVICE, RegistrySettings

from .conftest import registry_database, started_registry
from .test_kill_services import worker


def census_workers(parent: int) -> list[int]:
    """The census worker processes whose parent is ``parent`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if fields[1] == str(parent) and b"shegong.kernel.ops.worker" in cmdline:
            found.append(int(stat.parent.name))
    return found


async def _now(value: bool) -> bool:
    return value


def alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
async def test_kill_9_of_the_census_worker_loses_nothing_and_applies_everything_once(
    db: str,
    request: pytest.FixtureRequest,
    redis: Redis,
    service_process,
    redis_url: str,
    stream_prefix: str,
    tmp_path: Path,
) -> None:
    database_url = registry_database(db, request, tmp_path)
    svc = started_registry(service_process, database_url, redis_url, stream_prefix, tmp_path)
    assert svc.process is not None
    registry = svc.process.pid
    await eventually(lambda: _now(bool(census_workers(registry))), timeout=30)
    (first,) = census_workers(registry)
    accepted: list[str] = []

    async def send(client: httpx.AsyncClient, n: int) -> None:
        r = await client.post(f"{svc.url}/workers", json=worker(n), timeout=30)
        assert r.status_code == 201, r.text  # the registry itself never went away
        accepted.append(r.json()["worker"]["worker_id"])

    async with httpx.AsyncClient() as client:
        n = 0
        for burst in range(6):
            if burst == 3:
                os.kill(first, signal.SIGKILL)  # mid-stream, a census batch in hand
            await asyncio.gather(*(send(client, n + i) for i in range(25)))
            n += 25
    # The registry started a new worker.
    await eventually(lambda: _now(census_workers(registry) not in ([], [first])), timeout=30)

    runtime = Runtime(SERVICE, RegistrySettings(database_url=database_url, redis_url=redis_url))
    try:

        async def caught_up() -> bool:
            async with runtime.engine.connect() as conn:
                in_census = await conn.scalar(select(func.count()).select_from(census_records))
            return in_census == len(accepted)

        await eventually(caught_up, timeout=90)
        stream = f"{stream_prefix}registry.events"

        await eventually(lambda: nothing_pending(redis, stream), timeout=60)
        # The census aggregate's events: versions 1..n, none appended twice.
        async with runtime.engine.connect() as conn:
            versions = [
                r[0]
                for r in await conn.execute(
                    select(events_table.c.version)
                    .where(events_table.c.stream_id == "census")
                    .order_by(events_table.c.version)
                )
            ]
        assert versions == list(range(1, len(versions) + 1))
        # kill -9 the registry: its worker sees its pipe close and stops too.
        (second,) = census_workers(registry)
        svc.kill()
        await eventually(lambda: _now(not alive(second)), timeout=45)
    finally:
        svc.stop()
    try:
        differences = await rebuild_differences(runtime)
        assert differences == {}, differences
    finally:
        await runtime.engine.dispose()
        await runtime.redis.aclose()
