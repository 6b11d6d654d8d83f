"""Prometheus metrics (监控指标) every service serves on ``/metrics``.

Each running service has its own :class:`CollectorRegistry` — tests run several nodes
in one process, and nothing here touches the global registry. Counters of events are
read at scrape time from the counts the store, relay and runners keep; gauges that need
the database or Redis (relay backlog, DLQ size, consumer-group lag) are refreshed just
before each scrape with a short timeout, so a Redis that is down makes them absent and
``shegong_metrics_source_up{source="redis"}`` 0, never a hung scrape.

| metric | type | labels |
|---|---|---|
| ``shegong_http_requests_total`` | counter | method, route (template), status |
| ``shegong_http_request_duration_seconds`` | histogram | method, route |
| ``shegong_events_appended_total`` | counter | stream |
| ``shegong_events_published_total`` | counter | stream |
| ``shegong_events_consumed_total`` | counter | stream, group, projection |
| ``shegong_events_dead_lettered_total`` | counter | stream, group |
| ``shegong_relay_backlog_events`` | gauge | stream |
| ``shegong_relay_leader`` | gauge | stream |
| ``shegong_dlq_entries`` | gauge | stream (the ``.dlq`` stream's length) |
| ``shegong_consumer_group_lag`` | gauge | stream, group (XINFO GROUPS ``lag``) |
| ``shegong_consumer_group_pending`` | gauge | stream, group |
| ``shegong_bus_connected`` | gauge | |
| ``shegong_metrics_source_up`` | gauge | source (database, redis) |
| ``shegong_service_info`` | info | service, node, source |
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from shegong.kernel.events.subscription import dlq_stream

if TYPE_CHECKING:
    from shegong.kernel.ops.runtime import Runtime

log = logging.getLogger("shegong.metrics")

SCRAPE_TIMEOUT_S = 2.0


@dataclass
class _Readings:
    """What the last refresh read from the database and Redis."""

    backlog: int | None = None
    dlq: dict[str, int] = field(default_factory=dict)
    groups: list[tuple[str, str, int | None, int]] = field(default_factory=list)
    up: dict[str, int] = field(default_factory=dict)


class RuntimeCollector(Collector):
    """Reads a :class:`Runtime`'s counts and the last refreshed readings."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.readings = _Readings()

    async def refresh(self, timeout: float = SCRAPE_TIMEOUT_S) -> None:
        readings = _Readings()
        try:
            readings.backlog = await asyncio.wait_for(self.runtime.relay.backlog(), timeout)
            readings.up["database"] = 1
        except Exception as err:
            log.debug("metrics: database not readable: %s", err)
            readings.up["database"] = 0
        try:
            await asyncio.wait_for(self._read_redis(readings), timeout)
            readings.up["redis"] = 1
        except Exception as err:
            log.debug("metrics: Redis not readable: %s", err)
            readings.up["redis"] = 0
        self.readings = readings

    def streams(self) -> list[str]:
        """This service's own stream and every stream it consumes."""
        seen = [self.runtime.stream, *(s.stream for s in self.runtime.subscriptions)]
        return list(dict.fromkeys(seen))

    async def _read_redis(self, readings: _Readings) -> None:
        redis = self.runtime.redis
        for stream in self.streams():
            readings.dlq[stream] = int(await redis.xlen(dlq_stream(stream)))
            if not await redis.exists(stream):
                continue
            for group in await redis.xinfo_groups(stream):
                name = _text(group["name"])
                lag = group.get("lag")
                readings.groups.append(
                    (stream, name, None if lag is None else int(lag), int(group["pending"]))
                )

    def collect(self) -> Iterator[Metric]:
        rt, r = self.runtime, self.readings
        info = InfoMetricFamily("shegong_service", "The service this process runs")
        info.add_metric(
            [],
            {
                "service": rt.definition.name,
                "node": rt.settings.node or rt.settings.department,
                "source": rt.source,
            },
        )
        yield info
        yield _counter(
            "shegong_events_appended",
            "Events this process appended to its event store",
            ["stream"],
            [([rt.stream], rt.store.appended_total)],
        )
        yield _counter(
            "shegong_events_published",
            "Events this process's relay published to Redis",
            ["stream"],
            [([rt.stream], rt.relay.published_total)],
        )
        yield _counter(
            "shegong_events_consumed",
            "Events applied to a read model (stream and feed catch-up)",
            ["stream", "group", "projection"],
            [
                ([sub.stream, sub.group, sub.runner.name], sub.runner.applied_total)
                for sub in rt.subscriptions
            ],
        )
        yield _counter(
            "shegong_events_dead_lettered",
            "Entries this process moved to the dead-letter stream",
            ["stream", "group"],
            [([sub.stream, sub.group], sub.dead_lettered) for sub in rt.subscriptions],
        )
        yield _gauge(
            "shegong_relay_leader",
            "1 while this process's relay is the active publisher",
            ["stream"],
            [([rt.stream], 1 if rt.relay.is_leader else 0)],
        )
        yield _gauge(
            "shegong_bus_connected", "1 once the broker is connected", [], [([], rt.bus_connected)]
        )
        if r.backlog is not None:
            yield _gauge(
                "shegong_relay_backlog_events",
                "Committed events not yet published to Redis",
                ["stream"],
                [([rt.stream], r.backlog)],
            )
        yield _gauge(
            "shegong_dlq_entries",
            "Entries in the stream's dead-letter stream (<stream>.dlq)",
            ["stream"],
            [([s], n) for s, n in r.dlq.items()],
        )
        yield _gauge(
            "shegong_consumer_group_lag",
            "Entries not yet delivered to the group (XINFO GROUPS lag)",
            ["stream", "group"],
            [([s, g], lag) for s, g, lag, _ in r.groups if lag is not None],
        )
        yield _gauge(
            "shegong_consumer_group_pending",
            "Entries delivered to the group and not yet acknowledged",
            ["stream", "group"],
            [([s, g], pending) for s, g, _, pending in r.groups],
        )
        yield _gauge(
            "shegong_metrics_source_up",
            "1 if the last scrape could read the source",
            ["source"],
            [([k], v) for k, v in r.up.items()],
        )


class ServiceMetrics:
    """The registry and instruments of one running service."""

    def __init__(self, runtime: Runtime) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.collector = RuntimeCollector(runtime)
        self.registry.register(self.collector)
        self.http_requests = Counter(
            "shegong_http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "shegong_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )

    def observe_request(self, method: str, route: str, status: int, started: float) -> None:
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_duration.labels(method, route).observe(time.perf_counter() - started)

    async def exposition(self) -> bytes:
        await self.collector.refresh()
        return generate_latest(self.registry)


def _counter(
    name: str, doc: str, labels: list[str], samples: list[tuple[list[str], Any]]
) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=labels)
    for values, value in samples:
        family.add_metric(values, float(value))
    return family


def _gauge(
    name: str, doc: str, labels: list[str], samples: list[tuple[list[str], Any]]
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for values, value in samples:
        family.add_metric(values, float(value))
    return family


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes | bytearray) else str(value)
