"""kill -9 a service in the middle of a steady stream of commands, restart it: every
accepted command is in the event store, every event reached every read model exactly once,
nothing is left pending, and the read models equal a rebuild from the event store."""

from __future__ import annotations

import asyncio
import importlib
import random
from datetime import date, timedelta
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
from shegong.registry.projections.workers import workers

from .conftest import registry_database, service_env, started_registry

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(n: int) -> str:
    body = f"621102{date(1970, 1, 1) + timedelta(days=n):%Y%m%d}{n % 1000:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def worker(n: int) -> dict[str, object]:
    rng = random.Random(n)
    return {
        "name": rng.choice("王李张刘陈杨赵黄周吴") + rng.choice("伟芳娜敏静丽强磊军洋") + str(n),
        "id_number": resident_id(n),
        "department": "civil-affairs",
        "organization": "红叶社会工作服务中心",
        "post": "社会工作岗位",
        "hired_on": "2023-01-01",
    }


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
async def test_kill_9_mid_stream_loses_nothing_and_applies_everything_once(
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

    accepted: list[str] = []
    refused = 0

    async def send(client: httpx.AsyncClient, n: int) -> None:
        nonlocal refused
        try:
            r = await client.post(f"{svc.url}/workers", json=worker(n), timeout=5)
        except httpx.HTTPError:
            refused += 1  # the service was down: not accepted, the client would retry
            return
        if r.status_code == 201:
            accepted.append(r.json()["worker"]["worker_id"])
        else:
            assert r.status_code >= 500 or r.status_code == 409, r.text
            refused += 1

    async with httpx.AsyncClient() as client:
        n = 0
        for burst in range(6):
            if burst == 3:
                svc.kill()  # mid-stream, with commands in flight
                await asyncio.gather(*(send(client, n + i) for i in range(10)))
                n += 10
                await asyncio.to_thread(svc.start)
            await asyncio.gather(*(send(client, n + i) for i in range(25)))
            n += 25
    assert len(accepted) >= 120 and refused >= 10

    runtime = Runtime(SERVICE, RegistrySettings(database_url=database_url, redis_url=redis_url))
    try:
        async with runtime.engine.connect() as conn:
            stored = {
                r[0]
                for r in await conn.execute(
                    select(events_table.c.stream_id).where(
                        events_table.c.type == "WorkerRegistered"
                    )
                )
            }
        assert set(accepted) <= stored, "an accepted command is missing from the event store"

        async def caught_up() -> bool:
            async with runtime.engine.connect() as conn:
                in_rm = await conn.scalar(select(func.count()).select_from(workers))
                in_census = await conn.scalar(select(func.count()).select_from(census_records))
            return in_rm == len(stored) == in_census

        await eventually(caught_up, timeout=60)

        stream = f"{stream_prefix}registry.events"

        await eventually(lambda: nothing_pending(redis, stream), timeout=60)
    finally:
        svc.stop()
    try:
        differences = await rebuild_differences(runtime)
        assert differences == {}, differences
    finally:
        await runtime.engine.dispose()
        await runtime.redis.aclose()


def _order(n: int) -> dict[str, object]:
    return {
        "community": "安定区/永定路街道/东关社区",
        "target_group": "一老",
        "service_type": "助餐",
        "resident_phone": f"1390931{n:04d}",
    }


def _session(n: int) -> dict[str, object]:
    return {"kind": "岗前培训", "title": f"岗前培训第{n}期", "held_on": "2025-03-01", "hours": 8}


# service → (command path, body for the n-th command, response key, event type, id field)
COMMANDS = {
    "matching": ("/requests", _order, "request", "RequestPlaced", "request_id"),
    "training": ("/sessions", _session, "session", "SessionScheduled", "session_id"),
}
SETTINGS = {
    "matching": ("shegong.matching.settings", "MatchingSettings"),
    "training": ("shegong.training.main", "TrainingSettings"),
}


@pytest.mark.parametrize("service", sorted(COMMANDS))
async def test_kill_9_mid_stream_keeps_every_accepted_command(
    service: str,
    redis: Redis,
    service_process,
    redis_url: str,
    stream_prefix: str,
    tmp_path: Path,
) -> None:
    main = importlib.import_module(f"shegong.{service}.main")
    path, body, key, event_type, id_field = COMMANDS[service]
    database_url = f"sqlite:///{tmp_path}/{service}.db"
    env = service_env(database_url, redis_url, stream_prefix)
    svc = service_process(f"shegong.{service}", env, tmp_path / f"{service}.log")
    svc.start()
    accepted: list[str] = []

    async def send(client: httpx.AsyncClient, n: int) -> None:
        try:
            r = await client.post(f"{svc.url}{path}", json=body(n), timeout=5)
        except httpx.HTTPError:
            return  # the service was down: not accepted
        if r.status_code == 201:
            accepted.append(r.json()[key][id_field])

    async with httpx.AsyncClient() as client:
        for burst in range(4):
            if burst == 2:
                svc.kill()
                await asyncio.gather(*(send(client, 1000 + i) for i in range(5)))
                await asyncio.to_thread(svc.start)
            await asyncio.gather(*(send(client, burst * 20 + i) for i in range(20)))
    svc.stop()
    assert len(accepted) >= 60
    module, name = SETTINGS[service]
    settings = getattr(importlib.import_module(module), name)
    runtime = Runtime(main.SERVICE, settings(database_url=database_url, redis_url=redis_url))
    try:
        async with runtime.engine.connect() as conn:
            stored = {
                r[0][id_field]
                for r in await conn.execute(
                    select(events_table.c.data).where(events_table.c.type == event_type)
                )
            }
        assert set(accepted) <= stored, "an accepted command is missing from the event store"
        assert await rebuild_differences(runtime) == {}
    finally:
        await runtime.engine.dispose()
        await runtime.redis.aclose()
