"""Residents order, social workers take the order, the community responds — across
services over real Redis: the real registry publishes a worker and their certificate,
matching builds its providers from that stream, and orders run to follow-up; an order
nobody takes escalates on time, also across a restart of matching."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from redis.asyncio import Redis

from shegong.kernel.testing import eventually
from shegong.matching.main import build as build_matching
from shegong.matching.settings import MatchingSettings
from shegong.testkit.e2e import bus_settings, e2e_registry

COMMUNITY = "安定区/永定路街道/东关社区"


@contextlib.asynccontextmanager
async def serving(app: FastAPI, name: str) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        LifespanManager(app, startup_timeout=30, shutdown_timeout=30),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}") as c,
    ):
        yield c


async def ok(client: httpx.AsyncClient, method: str, path: str, body: Any = None) -> Any:
    resp = await client.request(method, path, json=body)
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


async def test_registry_worker_takes_orders_and_unanswered_orders_escalate(
    database_url: str, redis: Redis, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    common = bus_settings(redis_url, stream_prefix)
    registry_app = e2e_registry(tmp_path, common)

    def matching_app() -> FastAPI:
        return build_matching(
            MatchingSettings(
                database_url=database_url,
                data_dir=str(tmp_path / "matching"),
                consumer_name="matching-e2e",
                matching_scheduler_tick_s=0.1,
                matching_response_sla_s=1.0,
                **common,
            )
        )

    async with serving(registry_app, "registry") as registry:
        worker = await ok(
            registry,
            "POST",
            "/workers",
            {
                "name": "李娜",
                "phone": "13909322002",
                "post": "社会工作岗位",
                "region": {"county": "安定区", "township": "永定路街道", "community": "东关社区"},
                "hired_on": "2022-07-15",
            },
        )
        wid = worker["worker"]["worker_id"]

        async with serving(matching_app(), "matching") as matching:

            async def rank_of_worker() -> int | None:
                for p in await ok(matching, "GET", "/providers"):
                    if p["provider_id"] == wid:
                        return int(p["certificate_rank"])
                return None

            assert await eventually(lambda: _is(rank_of_worker, 0))
            before = await ok(
                matching,
                "POST",
                "/requests",
                {"community": COMMUNITY, "target_group": "一老", "service_type": "心理支持"},
            )
            assert before["request"]["offered"] == []  # needs a certificate

            await ok(
                registry,
                "POST",
                f"/workers/{wid}/certificates",
                {"level": "助理社会工作师", "certified_on": "2024-06-30"},
            )
            assert await eventually(lambda: _is(rank_of_worker, 1))

            # Offered, accepted, delivered, followed up.
            order = await ok(
                matching,
                "POST",
                "/requests",
                {
                    "community": COMMUNITY,
                    "target_group": "elderly",
                    "service_type": "psychological_support",
                    "resident_phone": "13809312001",
                },
            )
            rid = order["request"]["request_id"]
            assert order["request"]["offered"] == [wid]
            await ok(matching, "POST", f"/requests/{rid}/accept", {"provider_id": wid})
            await ok(matching, "POST", f"/requests/{rid}/start", {})
            await ok(matching, "POST", f"/requests/{rid}/finish", {"hours": 2})
            done = await ok(matching, "POST", f"/requests/{rid}/follow-up", {"satisfaction": 5})
            assert done["request"]["status"] == "followed_up"

            # An order nobody takes (the worker declines) escalates on time.
            lonely = await ok(
                matching,
                "POST",
                "/requests",
                {
                    "community": COMMUNITY,
                    "target_group": "elderly",
                    "service_type": "home_visit",
                    "accept_within_s": 0.8,
                },
            )
            lid = lonely["request"]["request_id"]
            assert lonely["request"]["offered"] == [wid]

            async def level(client: httpx.AsyncClient) -> str | None:
                return (await ok(client, "GET", f"/requests/{lid}"))["level"]

            await eventually(lambda: _is(lambda: level(matching), "community"))
            # Not before its time: measured from when matching placed it (the response
            # reaches us later than that on a loaded machine), to when we saw it escalate.
            placed_ts = (await ok(matching, "GET", f"/requests/{lid}"))["placed_ts"]
            assert time.time() - placed_ts >= 0.8

        # matching is down; the street's deadline passes meanwhile.
        await asyncio.sleep(1.2)
        async with serving(matching_app(), "matching") as matching:
            # Past the street (a slow poll on a loaded machine may see the district already),
            # then the district: the timers resumed where they were.
            await eventually(lambda: _in(lambda: level(matching), {"street", "district"}))
            await eventually(lambda: _is(lambda: level(matching), "district"))
            row = await ok(matching, "GET", f"/requests/{lid}")
            assert row["max_level"] == "district" and row["status"] == "offered"


async def _is(get: Any, expected: Any) -> bool:
    return bool(await get() == expected)


async def _in(get: Any, expected: set[Any]) -> bool:
    return bool(await get() in expected)
