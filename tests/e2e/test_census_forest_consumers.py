"""The census announces a spanning forest of each person (n − 1 ``RecordsLinked`` for n
records); training and matching, which hear of it by events only over real Redis, make
persons as the connected components of what they kept (``tr_links``, ``mx_links``): those
components are the census's persons — after an import, and after a clerk's "not the
same" splits a person of three records (only announced links undone)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis
from sqlalchemy import Table, select
from stdnum.cn import ric

from shegong.kernel.events.census_links import Components
from shegong.kernel.ops.db import reading
from shegong.kernel.testing import eventually
from shegong.matching.main import build as build_matching
from shegong.matching.projections.workforce import links as mx_links
from shegong.matching.settings import MatchingSettings
from shegong.testkit.e2e import bus_settings, e2e_registry
from shegong.training.main import TrainingSettings
from shegong.training.main import build as build_training
from shegong.training.projections.workforce import links as tr_links


def rid(birth: str, serial: str) -> str:
    body = f"621102{birth}{serial}"
    return body + ric.calc_check_digit(body + "0")


CHEN, LI = rid("19790409", "051"), rid("19920817", "246")
HEADER = "记录编号,姓名,身份证号,出生日期,手机号,工作单位,所属区县,乡镇街道\n"
ROSTERS = {
    "civil-affairs": HEADER
    + f"MZ1,陈建国,{CHEN},1979-04-09,13800000011,东关社区,安定区,永定路街道\n"
    + f"MZ2,李娜,{LI},,13909322003,东关社区,安定区,永定路街道\n"
    + "MZ3,赵明远,,1985-07-07,,岷县社工协会,安定区,永定路街道\n",
    "hrss": HEADER
    + f"RS1,陈建国,{CHEN},1979-04-09,13800000012,东关社区,安定区,永定路街道\n"
    + f"RS2,李娜,{LI},,13909322004,西关社区,安定区,中华路街道\n",
    "education": HEADER
    + "JY1,陈建国,,1979-04-09,13800000011,东关社区,安定区,永定路街道\n"
    + f"JY2,李娜,{LI},,13909322005,西关社区,安定区,中华路街道\n",
}


async def ok(client: httpx.AsyncClient, method: str, url: str, **kw: Any) -> Any:
    resp = await client.request(method, url, **kw)
    assert resp.status_code < 300, resp.text
    return resp.json()


async def census_persons(registry: httpx.AsyncClient) -> set[frozenset[str]]:
    found = await ok(registry, "GET", "/census/persons", params={"limit": 500})
    return {frozenset(p["records"]) for p in found["persons"]}


async def kept_persons(app: Any, table: Table, keys: set[str]) -> tuple[set[frozenset[str]], int]:
    """The persons a consuming service makes (components of the links it kept), and how
    many links it kept."""
    parts = Components()
    for key in keys:
        parts.find(key)
    async with reading(app.state.runtime.engine) as conn:
        rows = list(await conn.execute(select(table.c.a, table.c.b)))
    for a, b in rows:
        parts.union(a, b)
    groups: dict[str, set[str]] = {}
    for key in list(parts.parent):
        groups.setdefault(parts.find(key), set()).add(key)
    return {frozenset(g) for g in groups.values()}, len(rows)


async def test_consumers_persons_are_the_census_persons_through_a_split(
    database_url: str, redis: Redis, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    common = bus_settings(redis_url, stream_prefix)
    registry_app = e2e_registry(tmp_path, common)
    training_app = build_training(
        TrainingSettings(
            database_url=database_url,
            data_dir=str(tmp_path / "training"),
            consumer_name="training-e2e",
            **common,
        )
    )
    matching_app = build_matching(
        MatchingSettings(
            database_url=f"sqlite:///{tmp_path}/matching.db",
            data_dir=str(tmp_path / "matching"),
            consumer_name="matching-e2e",
            **common,
        )
    )
    async with contextlib.AsyncExitStack() as stack:
        for app in (registry_app, training_app, matching_app):
            await stack.enter_async_context(
                LifespanManager(app, startup_timeout=30, shutdown_timeout=60)
            )
        registry = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=registry_app), base_url="http://r")
        )
        for department, roster in ROSTERS.items():
            report = await ok(
                registry,
                "POST",
                "/imports/roster",
                data={"department": department},
                files={"file": (f"{department}.csv", roster.encode())},
            )
            assert report["rejected"] == [], report

        async def agreed(expect: frozenset[str]) -> set[frozenset[str]] | None:
            census = await census_persons(registry)
            if expect not in census:
                return None
            keys = {k for p in census for k in p}
            for app, table in ((training_app, tr_links), (matching_app, mx_links)):
                kept, links = await kept_persons(app, table, keys)
                # The same persons, held together by a forest: no link to spare.
                if kept != census or links != len(keys) - len(census):
                    return None
            return census

        trio = frozenset({"civil-affairs:MZ1", "hrss:RS1", "education:JY1"})
        census = await eventually(lambda: agreed(trio), timeout=60)
        assert frozenset({"civil-affairs:MZ2", "hrss:RS2", "education:JY2"}) in census

        # A clerk: JY1 is not MZ1. The person splits; training and matching follow.
        await ok(
            registry,
            "POST",
            "/census/review",
            json={"a": "civil-affairs:MZ1", "b": "education:JY1", "same": False},
            headers={"X-Actor": "clerk-li"},
        )
        census = await eventually(
            lambda: agreed(frozenset({"civil-affairs:MZ1", "hrss:RS1"})), timeout=60
        )
        assert frozenset({"education:JY1"}) in census
