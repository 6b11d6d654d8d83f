"""The composition root every service shares (cosmicpython's ``bootstrap``).

A service declares a :class:`ServiceDefinition` — its name, port, settings class, the
stream it produces, the read models it keeps, whether they catch up from the producers'
feeds on start — and :class:`Runtime` wires the real adapters: engine, event store,
relay, broker, subscriptions, feeds, and runs the service's background jobs while it
serves.
Redis being down never stops a service from starting or taking commands: the bus
side connects in the background and retries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from faststream.redis import RedisBroker
from sqlalchemy import MetaData, text

from shegong.contracts import StreamContract
from shegong.kernel.events.feed import FeedNarrowing, Feeds
from shegong.kernel.events.projection import ProjectionRunner
from shegong.kernel.events.read_model import Projection
from shegong.kernel.events.relay import OutboxRelay
from shegong.kernel.events.store import EventStore, EventStoreIdentity
from shegong.kernel.events.subscription import StreamSubscription
from shegong.kernel.ops.db import create_engine, reading
from shegong.kernel.ops.lifecycle import finish
from shegong.kernel.ops.metrics import ServiceMetrics
from shegong.kernel.ops.redis_client import ping, redis_client
from shegong.kernel.ops.settings import ServiceSettings
from shegong.kernel.ops.worker import ProjectionProcess

log = logging.getLogger("shegong.runtime")


class BackgroundJob(Protocol):
    """Work a service does on a timer while it serves (an escalation scheduler, a daily
    sweep): started once the schema exists, stopped before the runtime stops."""

    def start(self) -> None: ...

    async def stop(self) -> None: ...


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
    # of the package ``shegong.<name>`` (see ``shegong.kernel.events.migrate``).
    migrations: str | None = None
    # The service's settings class (its own settings on top of the kernel's).
    settings: type[ServiceSettings] = ServiceSettings
    # On start, every read model pulls the producers' feeds once (a dropped or fresh read
    # model rebuilds itself without waiting for the periodic catch-up, and without Redis).
    catch_up_on_start: bool = False
    # Read models applied by a process of their own (``ops/worker.py``), by name, for
    # these settings: CPU-heavy projections off the loop (and GIL) that serves HTTP.
    own_process: Callable[[ServiceSettings], Collection[str]] = lambda _: ()
    # Where a worker process finds this definition ("module:attribute"); default
    # ``shegong.<name>.main:SERVICE``.
    entry: str | None = None
    # What the feed (``GET /events``) takes out of the stored events it serves, for every
    # caller: ``events/feed.py``'s ``FeedNarrowing`` for this runtime (matching: an erased
    # resident's words and masks).
    feed_narrowing: Callable[[Runtime], FeedNarrowing] | None = None

    def settings_from(self, settings: ServiceSettings | None = None) -> ServiceSettings:
        """``settings`` as this service's settings class: as given when it is one, else
        its values over the environment's (None: the environment's alone)."""
        if isinstance(settings, self.settings):
            return settings
        overrides = settings.model_dump() if settings is not None else {}
        return self.settings(**overrides)


class Runtime:
    """The service's adapters. ``worker`` names the one read model a worker process
    applies (``ops/worker.py``): that runtime keeps only it, and neither migrates nor
    relays (the service does both)."""

    def __init__(
        self, definition: ServiceDefinition, settings: ServiceSettings, *, worker: str | None = None
    ) -> None:
        settings = definition.settings_from(settings)
        self.definition, self.settings, self.worker = definition, settings, worker
        name = definition.name
        self.engine = create_engine(settings.database_for(name))
        self.source = settings.source_for(name)
        self.store = EventStore(
            self.engine,
            EventStoreIdentity(service=name, source=self.source, contract=definition.contract),
        )
        self.redis = redis_client(
            settings.redis_url,
            socket_timeout=settings.redis_socket_timeout_s,
            socket_connect_timeout=settings.redis_connect_timeout_s,
            health_check_interval=settings.redis_health_check_s,
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
        # No dependency injection: subscriptions take the batch as it was read (see
        # subscription._the_message), and FastStream's per-message solving is skipped.
        self.broker = RedisBroker(
            settings.redis_url,
            logger=logging.getLogger("shegong.bus"),
            log_level=logging.DEBUG,
            apply_types=False,
        )
        self.runners: list[ProjectionRunner] = []
        # Runners whose read model a worker process applies: here for the schema, rebuilds
        # and status, with no subscription in this process.
        self.elsewhere: list[ProjectionRunner] = []
        self.subscriptions: list[StreamSubscription] = []
        away = (
            set(definition.own_process(settings))
            if worker is None and settings.worker_processes
            else set()
        )
        for projection in definition.projections(self):
            if worker is not None and projection.name != worker:
                continue
            runner = ProjectionRunner(
                self.engine, projection, self.feeds, max_attempts=settings.max_deliveries
            )
            self.runners.append(runner)
            if projection.name in away:
                self.elsewhere.append(runner)
                continue
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
        # Started after the schema exists, stopped first (the workers before the rest).
        self.jobs: list[BackgroundJob] = [ProjectionProcess(self, r.name) for r in self.elsewhere]
        self._tasks: list[asyncio.Task[None]] = []
        self._catch_up: asyncio.Task[None] | None = None

    async def create_schema(self) -> None:
        """Bring the schema to the code's head (``SCHEMA_ON_START=migrate``, the default:
        embedded, tests, one process), or wait until a separate migrate step has done it
        (``check``: containers, where a Job or compose service migrates first)."""
        from shegong.kernel.events import migrate

        if self.settings.schema_on_start == "check":
            await migrate.wait_until_current(self, self.settings.schema_wait_s)
        else:
            await migrate.upgrade(self, create_missing=True)

    def run_while_serving(self, *jobs: BackgroundJob) -> None:
        """Start ``jobs`` with the service (after its schema exists), stop them first."""
        self.jobs.extend(jobs)

    @property
    def local_runners(self) -> list[ProjectionRunner]:
        """The runners this process applies."""
        return [r for r in self.runners if r not in self.elsewhere]

    async def start(self) -> None:
        if self.worker is not None:
            from shegong.kernel.events import migrate

            await migrate.wait_until_current(self, self.settings.schema_wait_s)
        else:
            await self.create_schema()
            self._tasks.append(asyncio.create_task(self.relay.run(), name="relay"))
        self._tasks.append(asyncio.create_task(self._connect_bus(), name="bus"))
        if self.definition.catch_up_on_start:
            self._catch_up = asyncio.create_task(self._catch_up_once(), name="catch-up")
        for job in self.jobs:
            job.start()

    async def caught_up(self) -> None:
        """Wait for the start-up catch-up to finish (at once without one)."""
        if self._catch_up is not None:
            await asyncio.shield(self._catch_up)

    async def _catch_up_once(self) -> None:
        delay = 0.5
        for runner in self.local_runners:
            for source in self.feeds.sources():
                while True:
                    try:
                        filled = await runner.catch_up(source)
                        if filled:
                            log.info("%s: caught up %d events from %s", runner.name, filled, source)
                        break
                    except asyncio.CancelledError:
                        raise
                    except Exception as err:
                        if _cancelling():
                            # The stop's cancel, turned into another error on its way out
                            # (SQLAlchemy's "rollback first" when it hit a read): retrying
                            # would hold the stop until it was killed.
                            raise asyncio.CancelledError from err
                        log.warning("%s: feed %s not readable yet (%s)", runner.name, source, err)
                        await asyncio.sleep(delay)
                        delay = min(delay * 2, 5.0)

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
        for job in reversed(self.jobs):
            await job.stop()
        if self._catch_up is not None:
            # Catching up holds no transaction between pages worth waiting for.
            self._catch_up.cancel()
            await asyncio.gather(self._catch_up, return_exceptions=True)
        # Watchdogs first (they would revive the subscribers), then stop consuming — an
        # in-flight batch may finish, its acks follow its commit — then let the relay
        # finish its batch. Nothing is cancelled mid-transaction unless it hangs. All are
        # asked first, so their loops wind down together: the stop waits for the slowest,
        # not for each in turn.
        for sub in self.subscriptions:
            sub.request_stop()
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
        if self.worker is None:
            await self.relay.leadership.release()
        for job in self.jobs:  # asked to stop first, they stopped meanwhile
            if isinstance(job, ProjectionProcess):
                await job.wait_stopped()
        await self.redis.aclose()
        await self.engine.dispose()

    async def _settle_own_read_models(self, timeout: float = 3.0) -> None:
        """Apply to this service's read models of its own stream what it committed and
        they have not applied yet (still in the relay, or read in batches that lingered):
        straight from its own event store, so a service stopped right after a command
        stops with it in its read models. The next start would catch up anyway: a backlog
        (a census behind a 20,000-row import) is not worth holding the stop for, so the
        wait is short."""
        own = [
            r for r in self.local_runners if r.projection.contract.service == self.definition.name
        ]
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
            await ping(self.redis)
            checks["redis"] = "ok" if self.bus_connected else "connecting"
        except Exception as err:
            checks["redis"] = f"error: {err}"
        checks["ready"] = checks["database"] == "ok" and checks["redis"] == "ok"
        return checks


def _cancelling() -> bool:
    """Whether the running task has been asked to cancel (a cancel another error hid)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
