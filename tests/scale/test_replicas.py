"""Two replicas of each service on one PostgreSQL database per service and one Redis share
the work: commands are accepted on either replica, the consumer group splits the stream
between them, every event reaches each read model exactly once (the read models equal a
rebuild), the relay and the leader jobs (the ladder sweep) run on one replica only, and
killing that replica lets the other carry on — it takes the leadership over."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
import psutil
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from shegong.kernel.events.schema import events_table
from shegong.kernel.ops.runtime import Runtime
from shegong.kernel.testing import eventually, nothing_pending, rebuild_differences
from shegong.registry.ladder.sweep import sweeps
from shegong.registry.main import SERVICE as REGISTRY
from shegong.registry.main import RegistrySettings
from shegong.registry.projections.workers import workers
from shegong.training.main import SERVICE as TRAINING
from shegong.training.main import TrainingSettings
from shegong.training.projections.workforce import trainees

SWEEP = "this process now runs registry-ladder-sweep"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def worker(n: int) -> dict[str, object]:
    body = f"621102{date(1970, 1, 1) + timedelta(days=n):%Y%m%d}{n % 1000:03d}"
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]
    return {
        "name": f"王伟{n}",
        "id_number": body + check,
        "department": "civil-affairs",
        "organization": "红叶社会工作服务中心",
        "post": "社会工作岗位",
        "hired_on": "2023-01-01",
    }


def _session(n: int) -> dict[str, object]:
    return {"kind": "岗前培训", "title": f"岗前培训第{n}期", "held_on": "2025-03-01", "hours": 8}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Replica:
    module: str
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, **self.env, "PORT": str(self.port), "HOST": "127.0.0.1"}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module], env=env, stdout=out, stderr=out
            )

    def wait_ready(self, timeout: float = 90) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(f"{self.url}/ready", timeout=2).json().get("ready"):
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.module} not ready: {self.log.read_text()[-3000:]}")

    def relay_leader(self) -> bool:
        text = httpx.get(f"{self.url}/metrics", timeout=5).text
        return any(
            line.startswith("shegong_relay_leader{") and line.endswith(" 1.0")
            for line in text.splitlines()
        )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[list[Replica]]:
    started: list[Replica] = []
    yield started
    for replica in started:
        replica.stop()


@pytest.fixture
def databases(postgres_admin_url: str) -> Iterator[str]:
    """``DATABASE_URL`` with ``{service}``: a fresh database per service, dropped after."""
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    base = f"shegong_t_{uuid.uuid4().hex[:10]}"
    admin = make_url(postgres_admin_url).set(drivername="postgresql")
    dsn = admin.render_as_string(hide_password=False)
    names = [f"{base}_registry", f"{base}_training"]
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = admin.set(database=f"{base}_SERVICE").render_as_string(hide_password=False)
        yield url.replace("SERVICE", "{service}")
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _count(runtime: Runtime, table: object, where: object = None) -> int:
    query = select(func.count()).select_from(table)  # type: ignore[arg-type]
    if where is not None:
        query = query.where(where)  # type: ignore[arg-type]
    async with runtime.engine.connect() as conn:
        return int(await conn.scalar(query) or 0)


async def test_two_replicas_of_each_service_share_the_work(
    replicas: list[Replica],
    databases: str,
    redis: Redis,
    redis_url: str,
    stream_prefix: str,
    tmp_path: Path,
) -> None:
    common = {
        "DATABASE_URL": databases,
        "REDIS_URL": redis_url,
        "STREAM_PREFIX": stream_prefix,
        "DEPARTMENT": "city",
        "PII_HASH_KEY": "k" * 32,
        "CLAIM_IDLE_MS": "1000",
        "CATCH_UP_S": "2",
        "LOG_LEVEL": "INFO",
    }
    registry = [
        Replica(
            "shegong.registry", {**common, "CONSUMER_NAME": f"registry-{r}"}, tmp_path / f"r{r}"
        )
        for r in "ab"
    ]
    training = [
        Replica(
            "shegong.training", {**common, "CONSUMER_NAME": f"training-{r}"}, tmp_path / f"t{r}"
        )
        for r in "ab"
    ]
    for replica in (*registry, *training):
        replicas.append(replica)
        replica.start()
    for replica in (*registry, *training):
        replica.wait_ready()

    async def send(client: httpx.AsyncClient, n: int) -> tuple[str, str]:
        to_registry, to_training = registry[n % 2], training[n % 2]  # alternately
        r = await client.post(f"{to_registry.url}/workers", json=worker(n), timeout=30)
        assert r.status_code == 201, r.text
        t = await client.post(f"{to_training.url}/sessions", json=_session(n), timeout=30)
        assert t.status_code == 201, t.text
        return r.json()["worker"]["worker_id"], t.json()["session"]["session_id"]

    async with httpx.AsyncClient() as client:
        for burst in range(4):
            await asyncio.gather(*(send(client, burst * 20 + i) for i in range(20)))

    reg_rt = Runtime(REGISTRY, RegistrySettings(database_url=databases, redis_url=redis_url))
    train_rt = Runtime(TRAINING, TrainingSettings(database_url=databases, redis_url=redis_url))
    try:
        # Both replicas took commands: 80 workers in one store, in one read model each.
        assert await _count(reg_rt, events_table, events_table.c.type == "WorkerRegistered") == 80
        scheduled = events_table.c.type == "SessionScheduled"
        assert await _count(train_rt, events_table, scheduled) == 80

        async def workers_everywhere(expected: int) -> bool:
            return (
                await _count(reg_rt, workers) == expected
                and await _count(train_rt, trainees) == expected
            )

        await eventually(lambda: workers_everywhere(80), timeout=60)

        # One relay per service, one ladder sweep: on one replica each.
        assert sum(r.relay_leader() for r in registry) == 1
        assert sum(r.relay_leader() for r in training) == 1
        assert sum(SWEEP in r.log.read_text() for r in registry) == 1
        assert await _count(reg_rt, sweeps) == 1

        # The consumer group of training's read models on the registry's stream has both
        # replicas as consumers: the stream is split between them. The census's consumers
        # are the replicas' census workers, started after their registry: the first to
        # start may read the whole backlog, and Redis lists a consumer only once it has
        # been served something — so the census group is checked apart: a worker each.
        async def split() -> list[tuple[str, set[str]]]:
            unsplit = []
            for group in await redis.xinfo_groups(f"{stream_prefix}registry.events"):
                name = group["name"].decode()
                if name.startswith("registry.census."):
                    continue
                consumers = await redis.xinfo_consumers(f"{stream_prefix}registry.events", name)
                owners = {c["name"].decode() for c in consumers}
                if not (
                    owners >= {"training-a", "training-b"} or owners >= {"registry-a", "registry-b"}
                ):
                    unsplit.append((name, owners))
            return unsplit

        async def all_split() -> bool:
            return not await split()

        try:
            await eventually(all_split, timeout=60)
        except AssertionError:
            raise AssertionError(await split()) from None
        for replica in registry:
            assert replica.process is not None
            (census,) = psutil.Process(replica.process.pid).children()
            assert "shegong.kernel.ops.worker" in " ".join(census.cmdline())

        # kill -9 the registry replica that leads; the other takes over and carries on.
        leader = next(r for r in registry if r.relay_leader())
        survivor = next(r for r in registry if r is not leader)
        leader.stop(signal.SIGKILL)
        async with httpx.AsyncClient() as client:
            for n in range(100, 120):
                r = await client.post(f"{survivor.url}/workers", json=worker(n), timeout=30)
                assert r.status_code == 201, r.text
        await eventually(lambda: workers_everywhere(100), timeout=90)
        assert survivor.relay_leader()
        await eventually(lambda: _async(SWEEP in survivor.log.read_text()), timeout=90)

        stream = f"{stream_prefix}registry.events"
        await eventually(lambda: nothing_pending(redis, stream), timeout=60)

        for replica in training:
            replica.stop()
        # Training's rebuild reads the registry's events from the survivor's feed.
        survivor_feed = {"/shegong/registry/city": survivor.url}
        rebuild_rt = Runtime(
            TRAINING,
            TrainingSettings(database_url=databases, redis_url=redis_url, feeds=survivor_feed),
        )
        try:
            assert await rebuild_differences(rebuild_rt) == {}
        finally:
            await rebuild_rt.engine.dispose()
            await rebuild_rt.redis.aclose()
        survivor.stop()
        assert await rebuild_differences(reg_rt) == {}
    finally:
        for runtime in (reg_rt, train_rt):
            await runtime.engine.dispose()
            await runtime.redis.aclose()


async def _async(value: bool) -> bool:
    return value
