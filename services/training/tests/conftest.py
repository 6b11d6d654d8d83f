"""Fixtures for the training service's tests: a running training node on real Redis and a
real database, driven in-process through ASGI (no sockets, no mocks).

Training knows workers only from ``registry.events``; these tests play the registry's
part with the public contract alone (:class:`RegistryFeed`), so they import no registry
code. The cross-service loop is in ``tests/e2e/test_training_loop.py``.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from redis.asyncio import Redis

from shegong.contracts import Envelope, Event
from shegong.contracts.registry import (
    RecordsLinked,
    RecordsUnlinked,
    Region,
    WorkerLeft,
    WorkerRegistered,
)
from shegong.kernel.data.identity import PersonalDataHasher, mask_id_number, parse_resident_id
from shegong.kernel.ops.runtime import Runtime
from shegong.kernel.testing import eventually
from shegong.training.main import TrainingSettings, build

KEY = "k" * 32
HASHER = PersonalDataHasher(KEY)
REGISTRY_SOURCE = "/shegong/registry/city"


@dataclass
class RegistryFeed:
    """The registry's pull feed as training reads it: events in position order."""

    events: list[Envelope] = field(default_factory=list)

    async def read_after(self, position: int, limit: int = 1000) -> list[Envelope]:
        return [e for e in self.events if e.sequence > position][:limit]

    def append(self, subject: str, version: int, event: Event, on: date | None = None) -> Envelope:
        when = datetime.combine(on, datetime.min.time(), UTC) if on else datetime.now(UTC)
        envelope = Envelope(
            id=str(uuid.uuid4()),
            type=event.type,
            schema_version=1,
            source=REGISTRY_SOURCE,
            service="registry",
            department="civil-affairs",
            subject=subject,
            aggregate_type=type(event).aggregate_type,
            aggregate_version=version,
            sequence=len(self.events) + 1,
            time=when,
            recorded_time=when,
            correlation_id=str(uuid.uuid4()),
            data=event.data(),
        )
        self.events.append(envelope)
        return envelope

    def register(
        self,
        name: str,
        id_number: str | None = None,
        phone: str | None = None,
        *,
        hired_on: date | None = None,
        organization: str = "东关社区",
        county: str = "安定区",
        township: str = "永定路街道",
        registered_on: date | None = None,
        department: str = "civil-affairs",
        record_id: str | None = None,
    ) -> str:
        worker_id = str(uuid.uuid4())
        rid = parse_resident_id(id_number) if id_number else None
        self.append(
            worker_id,
            1,
            WorkerRegistered(
                worker_id=worker_id,
                department=department,
                record_id=record_id,
                name=name,
                id_number_hash=HASHER.id_number(rid.number) if rid else None,
                id_number_masked=mask_id_number(rid.number) if rid else None,
                # as the registry publishes them: a sheet's 身份证后四位 is compared by them
                id_number_parts=HASHER.id_parts(rid) if rid else None,
                phone_hash=HASHER.phone(phone) if phone else None,
                organization=organization,
                region=Region(county=county, township=township),
                hired_on=hired_on,
            ),
            registered_on,
        )
        return worker_id

    def leave(self, worker_id: str, version: int, left_on: date) -> None:
        self.append(worker_id, version, WorkerLeft(worker_id=worker_id, left_on=left_on))

    def link(self, a: str, b: str) -> None:
        """The census says records ``a`` and ``b`` (``department:record_id``) are one person."""
        self.append("census", 1, RecordsLinked(a=a, b=b, rule="id_number", score=1.0))

    def unlink(self, a: str, b: str) -> None:
        self.append(
            "census", 1, RecordsUnlinked(a=a, b=b, rule="id_number", reason="a clerk said no")
        )


@dataclass
class Node:
    app: FastAPI
    client: httpx.AsyncClient
    feed: RegistryFeed
    stack: contextlib.AsyncExitStack

    async def stop(self) -> None:
        await self.stack.aclose()

    @property
    def runtime(self) -> Runtime:
        return self.app.state.runtime

    async def sync(self) -> None:
        """Training reads what the registry published so far (as the periodic catch-up
        would)."""
        for runner in self.runtime.runners:
            await runner.catch_up(REGISTRY_SOURCE)

    async def sync_own(self) -> None:
        """Training's read models have applied its own events so far."""
        head = await self.runtime.store.head()

        async def applied() -> bool:
            for runner in self.runtime.runners:
                if runner.projection.contract.service == "training":
                    return (await runner.positions()).get(self.runtime.source, 0) >= head
            return False

        await eventually(applied)

    async def ok(self, method: str, url: str, **kw: Any) -> Any:
        resp = await self.client.request(method, url, **kw)
        assert resp.status_code < 300, resp.text
        return resp.json()


StartTraining = Callable[..., Awaitable[Node]]


@pytest.fixture
async def start_training(
    redis: Redis, redis_url: str, stream_prefix: str, tmp_path: Path
) -> AsyncIterator[StartTraining]:
    async with contextlib.AsyncExitStack() as stack:

        async def start(database_url: str, feed: RegistryFeed | None = None, **extra: Any) -> Node:
            settings = TrainingSettings(
                database_url=database_url,
                redis_url=redis_url,
                stream_prefix=stream_prefix,
                consumer_name="training-test",
                pii_hash_key=KEY,
                catch_up_s=0,
                claim_idle_ms=500,
                data_dir=str(tmp_path / "training"),
                **extra,
            )
            app = build(settings)
            feed = feed or RegistryFeed()
            app.state.runtime.feeds.add(REGISTRY_SOURCE, feed)
            node_stack = contextlib.AsyncExitStack()
            await stack.enter_async_context(node_stack)
            await node_stack.enter_async_context(
                LifespanManager(app, startup_timeout=30, shutdown_timeout=30)
            )
            await app.state.runtime.caught_up()  # the start-up catch-up, before any test's
            client = await node_stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://training"
                )
            )
            return Node(app, client, feed, node_stack)

        yield start


@pytest.fixture
async def training(database_url: str, start_training: StartTraining) -> Node:
    return await start_training(database_url)
