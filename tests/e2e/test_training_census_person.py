"""A city's first rosters, across services over real Redis: the real registry imports two
departments' rosters on which one human appears twice (same ID number, different
phones); its census links the two records and publishes ``RecordsLinked``. Training,
which hears of it by events only, counts that human once in a session whichever record
each sign-in found, and — the staff all hired years ago — shows nobody overdue for
pre-job training. Training's read models rebuild from the feeds to what they held live."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis
from stdnum.cn import ric

from shegong.kernel.events.feed import HttpFeed
from shegong.kernel.ops.runtime import Runtime
from shegong.kernel.testing import eventually, rebuild_differences
from shegong.testkit.e2e import bus_settings, e2e_registry
from shegong.training.main import SERVICE, TrainingSettings
from shegong.training.main import build as build_training


def rid(birth: str, serial: str) -> str:
    body = f"621102{birth}{serial}"
    return body + ric.calc_check_digit(body + "0")


ZHANG, LI, WANG, ZHAO = (
    rid("19880312", "123"),
    rid("19920817", "246"),
    rid("19850607", "242"),
    rid("19900101", "555"),
)
HEADER = "记录编号,姓名,身份证号,手机号,工作单位,所属区县,乡镇街道,入职日期\n"
ROSTERS = {
    ("civil-affairs", "民政局"): HEADER
    + f"MZ-01,张伟,{ZHANG},13909322001,东关社区,安定区,永定路街道,2015-03-01\n"
    + f"MZ-02,李娜,{LI},13909322003,东关社区,安定区,永定路街道,2016-05-01\n"
    + f"MZ-03,王芳,{WANG},13909322004,红叶社工服务中心,安定区,永定路街道,\n",
    ("hrss", "人社局"): HEADER
    + f"RS-01,张伟,{ZHANG},13909322002,东关社区,安定区,永定路街道,2015-03-01\n"
    + f"RS-02,赵敏,{ZHAO},13909322005,西关社区,安定区,中华路街道,2018-09-01\n",
}


async def ok(client: httpx.AsyncClient, method: str, url: str, **kw: Any) -> Any:
    resp = await client.request(method, url, **kw)
    assert resp.status_code < 300, resp.text
    return resp.json()


async def test_a_citys_first_rosters_one_human_twice_counted_once_nobody_overdue(
    database_url: str, redis: Redis, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    common = bus_settings(redis_url, stream_prefix)
    registry_app = e2e_registry(tmp_path, common)
    training_settings = TrainingSettings(
        database_url=database_url,
        data_dir=str(tmp_path / "training"),
        consumer_name="training-e2e",
        **common,
    )
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(
            LifespanManager(registry_app, startup_timeout=30, shutdown_timeout=60)
        )
        registry = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=registry_app), base_url="http://r")
        )
        for (department, name), roster in ROSTERS.items():
            report = await ok(
                registry,
                "POST",
                "/imports/roster",
                data={"department": department, "department_name": name},
                files={"file": (f"花名册-{name}.csv", roster.encode())},
            )
            assert report["rejected"] == [], report
        published = await registry_app.state.runtime.store.read_after(0, 10_000)
        workers = {
            (e.data["department"], e.data["name"]): e.data["worker_id"]
            for e in published
            if e.type == "WorkerRegistered"
        }
        assert len(workers) == 5
        zhang = sorted([workers["civil-affairs", "张伟"], workers["hrss", "张伟"]])

        async def linked() -> bool:  # the census's link, not the test's
            published = await registry_app.state.runtime.store.read_after(0, 10_000)
            return any(e.type == "RecordsLinked" for e in published)

        await eventually(linked, timeout=30)

        async with contextlib.AsyncExitStack() as running:
            training_app = build_training(training_settings)
            training_app.state.runtime.feeds.add(
                registry_app.state.runtime.source, HttpFeed("http://r", client=registry)
            )
            await running.enter_async_context(
                LifespanManager(training_app, startup_timeout=30, shutdown_timeout=30)
            )
            training = await running.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=training_app), base_url="http://t"
                )
            )

            async def one_person() -> bool:
                for worker_id in workers.values():
                    if (await training.get(f"/workforce/{worker_id}")).status_code != 200:
                        return False
                seen = await ok(training, "GET", f"/workforce/{zhang[0]}")
                return [r["worker_id"] for r in seen["person"]["records"]] == zhang

            await eventually(one_person, timeout=30)

            # Nobody was hired after their roster arrived: nobody owes pre-job training.
            later = date.today() + timedelta(days=365)
            overdue = await ok(
                training, "GET", "/obligations/prejob/overdue", params={"as_of": str(later)}
            )
            assert overdue["total"] == 0 and overdue["groups"] == []

            sid = (
                await ok(
                    training,
                    "POST",
                    "/sessions",
                    json={"kind": "专题讲座", "title": "讲座", "held_on": "2025-04-01", "hours": 4},
                )
            )["session"]["session_id"]
            sheet = (
                "姓名,身份证号,手机号,签到时间\n"
                f"张伟,{ZHANG},,2025-04-01 09:00\n"
                "张伟,,13909322002,2025-04-01 13:30\n"  # the phone only 人社's record holds
                f"李娜,{LI},,2025-04-01 09:02\n"
            )
            report = await ok(
                training,
                "POST",
                f"/sessions/{sid}/signin-sheet",
                files={"file": ("签到表.csv", sheet.encode())},
            )
            assert report["rejected"] == []

            async def counted() -> dict[str, Any] | None:
                found = await ok(training, "GET", "/indicators/training", params={"year": 2025})
                # The session is counted from its own event, the attendance from the sheet's
                # later ones: wait for both (a loaded machine applies them seconds apart).
                return found if found["sessions"] == 1 and found["person_times"] >= 2 else None

            figures = await eventually(counted, timeout=30)
            assert (figures["trainees"], figures["person_times"]) == (2, 2)

        # Rebuilt from the registry's pull feed and its own store: the same read models.
        runtime = Runtime(SERVICE, training_settings)
        runtime.feeds.add(registry_app.state.runtime.source, HttpFeed("http://r", client=registry))
        try:
            assert await rebuild_differences(runtime) == {}
        finally:
            await runtime.engine.dispose()
            await runtime.redis.aclose()
