"""One human on two departments' rosters, across services over real Redis: the real
registry's census links the two records (same valid ID number) and publishes
``RecordsLinked``; matching then offers an order to that person once, not twice, and
counts what they hold through either record against their capacity. Matching's read
model of the links rebuilds from the registry's pull feed to what it held live."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis
from stdnum.cn import ric

from shegong.kernel.events.feed import HttpFeed
from shegong.kernel.ops.runtime import Runtime
from shegong.kernel.testing import eventually, rebuild_differences
from shegong.matching.main import SERVICE
from shegong.matching.main import build as build_matching
from shegong.matching.settings import MatchingSettings
from shegong.testkit.e2e import bus_settings, e2e_registry

COMMUNITY = "安定区/永定路街道/东关社区"
REGION = {"county": "安定区", "township": "永定路街道", "community": "东关社区"}


def rid(birth: str, serial: str) -> str:
    body = f"621102{birth}{serial}"
    return body + ric.calc_check_digit(body + "0")


async def ok(client: httpx.AsyncClient, method: str, path: str, body: Any = None) -> Any:
    resp = await client.request(method, path, json=body)
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


async def test_the_census_person_is_offered_once_with_one_load(
    database_url: str, redis: Redis, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    common = bus_settings(redis_url, stream_prefix)
    registry_app = e2e_registry(tmp_path, common)
    matching_settings = MatchingSettings(
        database_url=database_url,
        data_dir=str(tmp_path / "matching"),
        consumer_name="matching-e2e",
        matching_offer_top=3,
        matching_default_capacity=1,
        **common,
    )
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(
            LifespanManager(registry_app, startup_timeout=30, shutdown_timeout=60)
        )
        registry = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=registry_app), base_url="http://r")
        )
        zhang = rid("19880312", "123")
        ids = []
        for department, phone in (("civil-affairs", "13909322002"), ("hrss", "13909322003")):
            body = {
                "name": "张伟",
                "id_number": zhang,
                "phone": phone,
                "department": department,
                "region": REGION,
                "hired_on": "2022-07-15",
            }
            ids.append((await ok(registry, "POST", "/workers", body))["worker"]["worker_id"])
        a, b = ids

        async with contextlib.AsyncExitStack() as running:
            matching_app = build_matching(matching_settings)
            await running.enter_async_context(
                LifespanManager(matching_app, startup_timeout=30, shutdown_timeout=30)
            )
            matching = await running.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=matching_app), base_url="http://m"
                )
            )

            async def one_offer() -> dict[str, Any] | None:
                known = {p["provider_id"] for p in await ok(matching, "GET", "/providers")}
                if not {a, b} <= known:
                    return None
                order = {"community": COMMUNITY, "target_group": "elderly"}
                placed = await ok(matching, "POST", "/requests", {**order, "service_type": "探访"})
                return placed if len(placed["request"]["offered"]) == 1 else None

            # Both records known and the census's link seen: one offer, naming both records.
            placed = await eventually(one_offer, timeout=30)
            (offered,) = placed["request"]["offered"]
            assert offered in (a, b)
            assert placed["ranking"][0]["merged_records"] == sorted([a, b])

            # Accepted through one record, the person is full (capacity 1) through both.
            rid_ = placed["request"]["request_id"]
            await ok(matching, "POST", f"/requests/{rid_}/accept", {"provider_id": offered})
            after = await ok(
                matching,
                "POST",
                "/requests",
                {"community": COMMUNITY, "target_group": "elderly", "service_type": "探访"},
            )
            assert after["request"]["offered"] == []

        # Rebuilt from the registry's pull feed, matching's read models are what they were.
        runtime = Runtime(SERVICE, matching_settings)
        runtime.feeds.add(registry_app.state.runtime.source, HttpFeed("http://r", client=registry))
        try:
            assert await rebuild_differences(runtime) == {}
        finally:
            await runtime.engine.dispose()
            await runtime.redis.aclose()
