"""The composition root every service shares (cosmicpython's ``bootstrap``).

A service declares a :class:`ServiceDefinition` — its name, port, the stream it
produces, the read models it keeps and its HTTP routers — and :class:`Runtime` wires
the real adapters: engine, event store, relay, broker, subscriptions, feeds.
Redis being down never stops a service from starting or taking commands: the bus
side connects in the background and retries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from faststream.redis import RedisBroker
from redis.asyncio import Redis
from sqlalchemy import MetaData, text

from shegong.contracts import StreamContract
from shegong.kernel.db import create_engine, reading
from shegong.kernel.feed import Feeds
from shegong.kernel.lifecycle import finish
from shegong.kernel.metrics import ServiceMetrics
from shegong.kernel.projection import Projection, ProjectionRunner
from shegong.kernel.relay import OutboxRelay
from shegong.kernel.settings import ServiceSettings
from shegong.kernel.store import EventStore, EventStoreIdentity
from shegong.kernel.subscription import StreamSubscription

log = logging.getLogger("shegong.runtime")


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    title: str
    default_port: int
    contract: StreamContract
    projections: Callable[[Runtime], Sequence[Projection]] = lambda _: ()
    metadata: Sequence[MetaData] = ()
    extras: dict[str, Any] = field(default_factory=dict)
    # Alembic revisions of the service's own tables; default: the ``migrations`` folder
    # of the package ``shegong.<name>`` (see ``shegong.kernel.migrate``).
    migrations: str | None = None


class Runtime:
    def __init__(self, definition: ServiceDefinition, settings: ServiceSettings) -> None:
        self.definition, self.settings = definition, settings
        name = definition.name
        self.engine = create_engine(settings.database_for(name))
        self.source = settings.source_for(name)
        self.store = EventStore(
            self.engine,
            EventStoreIdentity(service=name, source=self.source, contract=definition.contract),
        )
        self.redis = Redis.from_url(
            settings.redis_url,
            socket_timeout=10,
            socket_connect_timeout=5,
            health_check_interval=30,
        )
        self.stream = definition.contract.stream_key(settings.stream_prefix)
        self.relay = OutboxRelay(
            self.store,
            self.redis,
            self.stream,
            batch_size=settings.relay_batch,
            maxlen=settings.stream_maxlen,
        )
        service_key = settings.service_api_key
        self.feeds = Feeds.from_urls(
            settings.feeds, api_key=service_key.get_secret_value() if service_key else None
        )
        self.feeds.add(self.source, self.store)
        self.broker = RedisBroker(
            settings.redis_url, logger=logging.getLogger("shegong.bus"), log_level=logging.DEBUG
        )
        self.runners: list[ProjectionRunner] = []
        self.subscriptions: list[StreamSubscription] = []
        for projection in definition.projections(self):
            runner = ProjectionRunner(
                self.engine, projection, self.feeds, max_attempts=settings.max_deliveries
            )
            self.runners.append(runner)
            self.subscriptions.append(
                StreamSubscription(
                    self.broker,
                    self.redis,
                    runner,
                    stream=projection.contract.stream_key(settings.stream_prefix),
                    # One group per node: each department node keeps its own full read model;
                    # replicas of one node share the group and split the work.
                    group=f"{name}.{projection.name}.{settings.node or settings.department}",
                    consumer=settings.consumer_name,
                    batch_size=settings.batch_size,
                    claim_idle_ms=settings.claim_idle_ms,
                    catch_up_s=settings.catch_up_s,
                )
            )
        self.bus_connected = False
        self.metrics = ServiceMetrics(self)
        self._tasks: list[asyncio.Task[None]] = []

    async def create_schema(self) -> None:
        """Bring the schema to the code's head (``SCHEMA_ON_START=migrate``, the default:
        embedded, tests, one process), or wait until a separate migrate step has done it
        (``check``: containers, where a Job or compose service migrates first)."""
        from shegong.kernel import migrate

        if self.settings.schema_on_start == "check":
            await migrate.wait_until_current(self, self.settings.schema_wait_s)
        else:
            await migrate.upgrade(self, create_missing=True)

    async def start(self) -> None:
        await self.create_schema()
        self._tasks.append(asyncio.create_task(self.relay.run(), name="relay"))
        self._tasks.append(asyncio.create_task(self._connect_bus(), name="bus"))

    async def _connect_bus(self) -> None:
        delay = 0.2
        while True:
            try:
                for sub in self.subscriptions:
                    await sub.prepare()
                await self.broker.start()
                break
            except Exception as err:
                log.warning("bus not reachable yet (%s); retrying in %.1fs", err, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        self.bus_connected = True
        for sub in self.subscriptions:
            sub.start_background()
        log.info("%s connected to the bus", self.definition.name)

    async def stop(self) -> None:
        # Watchdogs first (they would revive the subscribers), then stop consuming — an
        # in-flight batch may finish, its acks follow its commit — then let the relay
        # finish its batch. Nothing is cancelled mid-transaction unless it hangs.
        for sub in self.subscriptions:
            await sub.stop()
        for task in self._tasks:
            # Still connecting (a short-lived process, Redis slow): stop connecting before
            # stopping the broker, or a start finishing after the stop leaves subscribers
            # running that nobody stops.
            if task.get_name() == "bus" and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        try:
            await asyncio.wait_for(self.broker.stop(), timeout=20)
        except Exception as err:
            log.warning("broker did not stop cleanly: %r", err)
        await self._settle_own_read_models()
        self.relay.request_stop()
        for task in self._tasks:
            if task.get_name() == "bus":
                task.cancel()  # only waits for Redis; holds no transaction
            await finish(task)
        await self.relay.leadership.release()
        await self.redis.aclose()
        await self.engine.dispose()

    async def _settle_own_read_models(self, timeout: float = 10.0) -> None:
        """Apply to this service's read models of its own stream what it committed and
        they have not applied yet (still in the relay, or read in batches that lingered):
        straight from its own event store, so a service stopped right after a command
        stops with it in its read models. The next start would catch up anyway."""
        own = [r for r in self.runners if r.projection.contract.service == self.definition.name]
        try:
            async with asyncio.timeout(timeout):
                for runner in own:
                    await runner.catch_up(self.source)
        except Exception as err:  # the database is away or slow: the next start catches up
            log.warning("read models not settled at stop: %r", err)

    async def readiness(self) -> dict[str, Any]:
        checks: dict[str, Any] = {}
        try:
            async with reading(self.engine) as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as err:
            checks["database"] = f"error: {err}"
        try:
            await self.redis.ping()
            checks["redis"] = "ok" if self.bus_connected else "connecting"
        except Exception as err:
            checks["redis"] = f"error: {err}"
        checks["ready"] = checks["database"] == "ok" and checks["redis"] == "ok"
        return checks
