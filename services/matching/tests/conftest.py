"""Fixtures for matching's tests: a running matching service on real Redis and a real
database, driven through ASGI, and stand-in producers that append registry-like and
training-like events to their own event store and publish them with the kernel's relay
(the way the real services do, without importing their code).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from redis.asyncio import Redis

from shegong.contracts import Event, StreamContract
from shegong.contracts.registry import (
    REGISTRY_STREAM,
    CertificateLevel,
    Region,
    WorkerCertified,
    WorkerRegistered,
)
from shegong.contracts.training import TRAINING_STREAM, SessionKind, TrainingCompleted
from shegong.kernel.events.relay import OutboxRelay
from shegong.kernel.events.store import EventStore, EventStoreIdentity
from shegong.kernel.ops.db import create_engine
from shegong.matching.h5.notify import UnsentNotifier
from shegong.matching.main import build
from shegong.matching.settings import MatchingSettings

from .sms_gateway import Gateway, gateway

COMMUNITY = "安定区/永定路街道/东关社区"
SAME_STREET = "安定区/永定路街道/西关社区"
OTHER_STREET = "安定区/中华路街道/西岩社区"


@dataclass
class Matching:
    app: FastAPI
    client: httpx.AsyncClient
    settings: MatchingSettings
    gateway: Gateway | None = None  # the tests' SMS gateway, unless ``matching_notifier``

    @property
    def sms(self) -> Gateway | UnsentNotifier:
        """The messages a test reads: what the gateway received, or — with no sender
        (``matching_notifier="none"``) — what the service kept and did not send."""
        if self.gateway is not None:
            return self.gateway
        notifier = self.app.state.notifier
        assert isinstance(notifier, UnsentNotifier)
        return notifier

    async def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        resp = await self.client.request(method, path, json=body)
        assert resp.status_code == status, resp.text
        return resp.json()

    async def place(self, **body: Any) -> dict[str, Any]:
        body.setdefault("community", COMMUNITY)
        body.setdefault("target_group", "elderly")
        body.setdefault("service_type", "home_visit")
        return await self.ok("POST", "/requests", body, 201)

    async def request(self, request_id: str) -> dict[str, Any]:
        return await self.ok("GET", f"/requests/{request_id}")


class Producer:
    """A stand-in for another service: its own event store, its relay to the stream."""

    def __init__(self, engine: Any, store: EventStore, relay: OutboxRelay) -> None:
        self.engine, self.store, self.relay = engine, store, relay
        self.versions: dict[str, int] = {}

    async def emit(self, subject: str, aggregate_type: str, events: Sequence[Event]) -> None:
        async with self.store.transaction() as tx:
            v = self.versions.get(subject, 0)
            await tx.append(subject, aggregate_type, v, events)
        self.versions[subject] = v + len(events)
        await self.relay.publish_once()

    async def worker(
        self,
        name: str,
        region: str = COMMUNITY,
        certificate: CertificateLevel | None = None,
    ) -> str:
        county, township, community = ([*region.split("/"), None, None])[:3]
        wid = str(uuid.uuid4())
        await self.emit(
            wid,
            "worker",
            [
                WorkerRegistered(
                    worker_id=wid,
                    department="civil-affairs",
                    name=name,
                    region=Region(county=county, township=township, community=community),
                    hired_on=date(2022, 1, 1),
                )
            ],
        )
        if certificate:
            await self.certify(wid, certificate)
        return wid

    async def certify(self, worker_id: str, level: CertificateLevel) -> None:
        await self.emit(
            worker_id,
            "worker",
            [WorkerCertified(worker_id=worker_id, level=level, certified_on=date(2024, 6, 30))],
        )

    async def completed(self, worker_id: str, skills: list[str], on: date) -> None:
        session = str(uuid.uuid4())
        await self.emit(
            session,
            "session",
            [
                TrainingCompleted(
                    session_id=session,
                    worker_id=worker_id,
                    kind=SessionKind.PRACTICE,
                    title="实务培训",
                    skills=skills,
                    hours=8,
                    completed_on=on,
                )
            ],
        )


StartMatching = Callable[..., Awaitable[Matching]]


@pytest.fixture
async def producers(
    redis: Redis, stream_prefix: str, tmp_path: Path
) -> AsyncIterator[dict[str, Producer]]:
    made: dict[str, Producer] = {}
    for contract, service in ((REGISTRY_STREAM, "registry"), (TRAINING_STREAM, "training")):
        made[service] = await _producer(redis, stream_prefix, tmp_path, contract, service)
    yield made
    for p in made.values():
        await p.engine.dispose()


async def _producer(
    redis: Redis, prefix: str, tmp_path: Path, contract: StreamContract, service: str
) -> Producer:
    engine = create_engine(f"sqlite:///{tmp_path}/{service}-producer.db")
    store = EventStore(
        engine,
        EventStoreIdentity(service=service, source=f"/shegong/{service}/city", contract=contract),
    )
    await store.create_schema()
    relay = OutboxRelay(store, redis, contract.stream_key(prefix))
    return Producer(engine, store, relay)


@pytest.fixture
async def start_matching(
    redis: Redis, redis_url: str, stream_prefix: str, tmp_path: Path
) -> AsyncIterator[StartMatching]:
    """``await start_matching(database_url, **settings)``; stops at the test's end."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(database_url: str, **extra: Any) -> Matching:
            return await stack.enter_async_context(
                running(database_url, redis_url, stream_prefix, tmp_path, **extra)
            )

        yield start


@contextlib.asynccontextmanager
async def running(
    database_url: str, redis_url: str, stream_prefix: str, tmp_path: Path, **extra: Any
) -> AsyncIterator[Matching]:
    """One matching process's lifetime, for tests that stop and start it again. Messages
    go to a test SMS gateway of its own unless the test names ``matching_notifier``."""
    with contextlib.ExitStack() as stack:
        sms = None if "matching_notifier" in extra else stack.enter_context(gateway())
        if sms is not None:
            extra = {"matching_notifier": "webhook", "matching_notifier_url": sms.url, **extra}
        async with _running(database_url, redis_url, stream_prefix, tmp_path, extra) as m:
            m.gateway = sms
            yield m


@contextlib.asynccontextmanager
async def _running(
    database_url: str, redis_url: str, stream_prefix: str, tmp_path: Path, extra: dict[str, Any]
) -> AsyncIterator[Matching]:
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": redis_url,
        "stream_prefix": stream_prefix,
        "consumer_name": "matching-test",
        "pii_hash_key": "k" * 32,
        "catch_up_s": 0,
        "claim_idle_ms": 500,
        "data_dir": str(tmp_path / "matching"),
        "matching_scheduler_tick_s": 0.1,
        **extra,
    }
    settings = MatchingSettings(**values)
    app = build(settings)
    async with (
        LifespanManager(app, startup_timeout=30, shutdown_timeout=30),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m") as client,
    ):
        yield Matching(app, client, settings)
