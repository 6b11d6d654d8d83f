"""Operating a node: Prometheus metrics, the correlation id, one trace per command.

The kernel provides all of it, so every service gets the same; the registry stands in
for them here. Real Redis and a real database, as in production.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from shegong.kernel.ops import tracing
from shegong.kernel.testing import eventually

ID_NUMBER = "620102198805061231"
OTHER_ID_NUMBER = "620102199001010011"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, frozenset(s.labels.items()))] = s.value
    return found


def value(found: dict[Any, float], name: str, **labels: str) -> float | None:
    """The one sample of ``name`` whose labels include ``labels``."""
    matches = [v for (n, ls), v in found.items() if n == name and set(labels.items()) <= ls]
    assert len(matches) <= 1, f"{name}{labels}: {len(matches)} samples"
    return matches[0] if matches else None


async def scrape(client: httpx.AsyncClient) -> dict[Any, float]:
    resp = await client.get("/metrics")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain")
    return samples(resp.text)


async def register(
    client: httpx.AsyncClient, id_number: str = ID_NUMBER, **headers: str
) -> httpx.Response:
    body = {"name": "张伟", "id_number": id_number, "hired_on": "2020-03-01"}
    resp = await client.post("/workers", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp


async def test_metrics_follow_a_command_from_http_to_the_read_model(registry) -> None:
    c, rt = registry.client, registry.runtime
    await register(c)
    stream = rt.stream
    (workers_group,) = [s.group for s in rt.subscriptions if s.runner.name == "workers"]

    async def consumed() -> dict[Any, float] | None:
        found = await scrape(c)
        applied = value(found, "shegong_events_consumed_total", projection="workers")
        lag = value(found, "shegong_consumer_group_lag", group=workers_group)
        backlog = value(found, "shegong_relay_backlog_events", stream=stream)
        return found if applied and applied >= 1 and lag == 0 and backlog == 0 else None

    found = await eventually(consumed)
    assert value(found, "shegong_http_requests_total", method="POST", route="/workers") == 1
    assert value(
        found, "shegong_http_requests_total", method="POST", route="/workers", status="201"
    )
    hist = value(found, "shegong_http_request_duration_seconds_count", route="/workers")
    assert hist == 1
    assert value(found, "shegong_events_appended_total", stream=stream) >= 1
    assert value(found, "shegong_events_published_total", stream=stream) >= 1
    assert value(found, "shegong_relay_backlog_events", stream=stream) == 0
    assert value(found, "shegong_relay_leader", stream=stream) == 1
    assert value(found, "shegong_dlq_entries", stream=stream) == 0
    assert value(found, "shegong_consumer_group_lag", stream=stream, group=workers_group) == 0
    assert value(found, "shegong_consumer_group_pending", group=workers_group) is not None
    assert value(found, "shegong_metrics_source_up", source="redis") == 1
    assert value(found, "shegong_metrics_source_up", source="database") == 1
    assert value(found, "shegong_service_info", service="registry", source=rt.source) == 1
    # Route templates, not raw paths: one label value however many workers there are.
    await c.get("/workers/w-does-not-exist")
    found = await scrape(c)
    assert value(found, "shegong_http_requests_total", route="/workers/{worker_id}", status="404")


async def test_metrics_answer_quickly_while_redis_is_down(registry) -> None:
    rt = registry.runtime
    live = rt.redis
    rt.redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    try:
        started = time.perf_counter()
        found = await scrape(registry.client)
        assert time.perf_counter() - started < 5
        assert value(found, "shegong_metrics_source_up", source="redis") == 0
        assert value(found, "shegong_consumer_group_lag") is None
        assert value(found, "shegong_relay_backlog_events") is not None
    finally:
        await rt.redis.aclose()
        rt.redis = live


async def test_two_nodes_in_one_process_keep_their_own_metrics(start_node, tmp_path) -> None:
    a = await start_node(f"sqlite:///{tmp_path}/a.db", department="a")
    b = await start_node(f"sqlite:///{tmp_path}/b.db", department="b")
    await register(a.client)
    found_a, found_b = await scrape(a.client), await scrape(b.client)
    assert value(found_a, "shegong_http_requests_total", method="POST") == 1
    assert value(found_b, "shegong_http_requests_total", method="POST") is None


async def test_the_correlation_id_travels_from_the_header_into_the_event(registry) -> None:
    c = registry.client
    resp = await register(c, **{"X-Correlation-ID": "case-2026-0042"})
    assert resp.headers["x-correlation-id"] == "case-2026-0042"
    events = (await c.get("/events", params={"after": 0})).json()["events"]
    assert {e["correlation_id"] for e in events} == {"case-2026-0042"}
    # Without one, the node makes one up and says which.
    resp = await register(c, id_number=OTHER_ID_NUMBER)
    generated = resp.headers["x-correlation-id"]
    assert generated and generated != "case-2026-0042"
    events = (await c.get("/events", params={"after": 0})).json()["events"]
    assert generated in {e["correlation_id"] for e in events}


async def test_one_trace_runs_from_the_http_command_to_the_read_model(
    database_url: str, start_node
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    previous = tracing.use_tracer_provider(provider)
    try:
        node = await start_node(database_url)
        resp = await register(node.client)
        worker_id = resp.json()["worker"]["worker_id"]

        def by_kind() -> dict[str, list[ReadableSpan]]:
            spans: dict[str, list[ReadableSpan]] = {}
            for s in exporter.get_finished_spans():
                spans.setdefault(s.name, []).append(s)
            return spans

        async def handled() -> bool:
            row = await node.client.get(f"/workers/{worker_id}")
            names = by_kind()
            return (
                row.status_code == 200
                and "registry WorkerRegistered process" in names
                and f"{node.runtime.stream} publish" in names
            )

        await eventually(handled)
        spans = by_kind()
        (server,) = [s for s in spans["POST /workers"] if s.kind == SpanKind.SERVER]
        (append,) = spans["registry.events append"]
        process = [
            s
            for s in spans["registry WorkerRegistered process"]
            if s.attributes and s.attributes["shegong.projection"] == "workers"
        ]
        trace_id = server.context.trace_id
        assert append.context.trace_id == trace_id
        assert append.parent is not None and append.parent.span_id == server.context.span_id
        assert process and all(p.context.trace_id == trace_id for p in process)
        assert all(p.parent and p.parent.span_id == append.context.span_id for p in process)
        # The relay's batch span is its own trace, linked to the append span.
        publish = spans[f"{node.runtime.stream} publish"]
        assert any(
            link.context.span_id == append.context.span_id for p in publish for link in p.links
        )
        # The envelope carried it: the stored event has the append span's traceparent.
        events = (await node.client.get("/events", params={"after": 0})).json()["events"]
        assert events[0]["traceparent"].split("-")[1] == format(trace_id, "032x")
    finally:
        tracing.use_tracer_provider(previous)
