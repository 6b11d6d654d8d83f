"""Community response (社区响应): an order nobody takes escalates community → street →
district on time, from deadlines kept in the database — so also across a restart."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from shegong.kernel.testing import eventually

from .conftest import COMMUNITY, Matching, running


async def level_of(m: Matching, rid: str, level: str) -> dict[str, Any] | None:
    row = await m.request(rid)
    return row if row["level"] == level else None


async def test_an_order_nobody_takes_escalates_level_by_level_on_time(
    database_url: str, start_matching: Any
) -> None:
    m = await start_matching(database_url, matching_response_sla_s=0.6)
    await m.ok("POST", "/providers", {"kind": "volunteer", "name": "甲", "region": COMMUNITY}, 201)
    placed = time.time()
    order = (await m.place(service_type="meal_help", accept_within_s=0.6))["request"]
    rid = order["request_id"]
    assert order["status"] == "offered" and order["level"] is None

    row = await eventually(lambda: level_of(m, rid, "community"))
    reached_community = time.time()
    assert reached_community - placed >= 0.6  # not before its time
    assert reached_community - placed < 3.0  # and not long after (tick 0.1 s)
    assert row["status"] == "offered"  # the offer stays open meanwhile
    await eventually(lambda: level_of(m, rid, "street"))
    await eventually(lambda: level_of(m, rid, "district"))
    assert time.time() - placed >= 1.8
    listed = (await m.client.get("/requests", params={"level": "district"})).json()
    assert [r["request_id"] for r in listed] == [rid]

    # The district's staff assign by hand (派单).
    team = await m.ok(
        "POST",
        "/providers",
        {"kind": "volunteer_team", "name": "红色文化服务队", "region": COMMUNITY},
        201,
    )
    assigned = await m.ok(
        "POST",
        f"/requests/{rid}/assign",
        {"provider_id": team["provider_id"], "staff": "district-clerk"},
    )
    assert assigned["request"]["status"] == "accepted"
    row = await m.request(rid)
    assert row["max_level"] == "district" and row["provider_id"] == team["provider_id"]


async def test_an_accepted_order_does_not_escalate(sqlite_url: str, start_matching: Any) -> None:
    m = await start_matching(sqlite_url)
    pid = (
        await m.ok(
            "POST", "/providers", {"kind": "volunteer", "name": "甲", "region": COMMUNITY}, 201
        )
    )["provider_id"]
    rid = (await m.place(service_type="meal_help", accept_within_s=0.4))["request"]["request_id"]
    await m.ok("POST", f"/requests/{rid}/accept", {"provider_id": pid})
    await asyncio.sleep(0.8)
    assert (await m.request(rid))["level"] is None
    assert m.app.state.scheduler.escalated_total == 0


async def test_timers_survive_a_restart_of_matching(
    database_url: str, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    """Deadlines due while matching was down fire at the next start; one due later
    fires on time after the restart."""
    async with running(database_url, redis_url, stream_prefix, tmp_path) as m:
        await m.ok(
            "POST", "/providers", {"kind": "volunteer", "name": "甲", "region": COMMUNITY}, 201
        )
        missed = (await m.place(service_type="meal_help", accept_within_s=0.3))["request"]
        later = (await m.place(service_type="meal_help", accept_within_s=2.5))["request"]
        stopped_at = time.time()
    await asyncio.sleep(0.5)  # the first deadline passes while nobody runs
    assert time.time() - stopped_at >= 0.3

    async with running(
        database_url, redis_url, stream_prefix, tmp_path, matching_response_sla_s=3600
    ) as m:
        await eventually(lambda: level_of(m, missed["request_id"], "community"), timeout=5)
        due = (await m.request(later["request_id"]))["accept_by_ts"]
        assert (await m.request(later["request_id"]))["level"] is None or time.time() >= due
        await eventually(lambda: level_of(m, later["request_id"], "community"), timeout=10)
        assert time.time() >= due  # not before its time
        assert time.time() - due < 2.0  # and on time


async def test_two_replicas_escalate_each_order_once(
    database_url: str, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    """Both replicas run a scheduler; one leads, and each level is reached exactly once."""
    settings: dict[str, Any] = {"matching_response_sla_s": 0.3}
    async with (
        running(database_url, redis_url, stream_prefix, tmp_path, **settings) as a,
        running(
            database_url, redis_url, stream_prefix, tmp_path, consumer_name="b", **settings
        ) as b,
    ):
        rids = [
            (await a.place(service_type="meal_help", accept_within_s=0.2))["request"]["request_id"]
            for _ in range(3)
        ]
        for rid in rids:
            await eventually(lambda rid=rid: level_of(b, rid, "district"))
        leaders = [m.app.state.scheduler.is_leader for m in (a, b)]
        assert sorted(leaders) == [False, True]
        feed = await a.ok("GET", "/events?after=0&limit=1000")
        levels = [
            (e["subject"], e["data"]["level"])
            for e in feed["events"]
            if e["type"] == "OrderEscalated"
        ]
        assert sorted(levels) == sorted(
            (r, lv) for r in rids for lv in ("community", "street", "district")
        )
