"""The whole ladder for one human on two rosters, and the expert at work — across the
registry, training and matching over real Redis (events only, no call between them).

张伟 is on 人社's list with a 社会工作师 certificate from 2018 and on 民政's roster, where
his training hours and appraisal are recorded. Neither record alone qualifies for the
senior title review; the census links the two (same valid ID number) and the ladder,
deciding for the census person, finds him eligible — once, under one record, naming both.
Admitted to the expert pool, he lectures a training session and supervises an escalated
order in matching; an order that is neither escalated nor complex, or someone not in the
pool, is refused. Leaving the pool, he is no longer offered nor assignable. The
registry's ladder read models equal a rebuild.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from redis.asyncio import Redis
from stdnum.cn import ric

from shegong.kernel.events.feed import HttpFeed
from shegong.kernel.ops.runtime import Runtime
from shegong.kernel.testing import eventually, rebuild_differences
from shegong.matching.main import build as build_matching
from shegong.matching.settings import MatchingSettings
from shegong.registry.main import SERVICE as REGISTRY
from shegong.registry.main import RegistrySettings
from shegong.registry.main import build as build_registry
from shegong.training.main import TrainingSettings
from shegong.training.main import build as build_training

COMMUNITY = "安定区/永定路街道/东关社区"
REGION = {"county": "安定区", "township": "永定路街道", "community": "东关社区"}


def rid(birth: str, serial: str) -> str:
    body = f"621102{birth}{serial}"
    return body + ric.calc_check_digit(body + "0")


async def ok(client: httpx.AsyncClient, method: str, path: str, **kw: Any) -> Any:
    resp = await client.request(method, path, **kw)
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


@dataclass
class City:
    registry: httpx.AsyncClient
    training: httpx.AsyncClient
    matching: httpx.AsyncClient
    registry_app: FastAPI
    registry_settings: RegistrySettings
    training_app: FastAPI
    stop_registry: contextlib.AsyncExitStack


@pytest.fixture
async def city(
    database_url: str, redis: Redis, redis_url: str, stream_prefix: str, tmp_path: Path
) -> AsyncIterator[City]:
    """The city's registry (with the census) on each database kind; training and
    matching on SQLite; one bus."""
    common: dict[str, Any] = {
        "redis_url": redis_url,
        "stream_prefix": stream_prefix,
        "pii_hash_key": "k" * 32,
        "catch_up_s": 0,
        "claim_idle_ms": 500,
    }
    registry_settings = RegistrySettings(
        database_url=database_url,
        consumer_name="registry-e2e",
        data_dir=str(tmp_path / "r"),
        registry_ladder_sweep=False,
        **common,
    )
    apps = {
        "registry": build_registry(registry_settings),
        "training": build_training(
            TrainingSettings(
                database_url=f"sqlite:///{tmp_path}/training.db",
                consumer_name="training-e2e",
                data_dir=str(tmp_path / "t"),
                **common,
            )
        ),
        "matching": build_matching(
            MatchingSettings(
                database_url=f"sqlite:///{tmp_path}/matching.db",
                consumer_name="matching-e2e",
                data_dir=str(tmp_path / "m"),
                **common,
            )
        ),
    }
    async with contextlib.AsyncExitStack() as stack:
        clients = {}
        registry_stack = await stack.enter_async_context(contextlib.AsyncExitStack())
        for name, app in apps.items():
            await (registry_stack if name == "registry" else stack).enter_async_context(
                LifespanManager(app, startup_timeout=30, shutdown_timeout=30)
            )
            clients[name] = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")
            )
        # Each reads the others' pull feeds (GET /events) to fill gaps — events, not calls.
        for name, app in apps.items():
            for other, other_app in apps.items():
                if other != name:
                    app.state.runtime.feeds.add(
                        other_app.state.runtime.source,
                        HttpFeed(f"http://{other}", client=clients[other]),
                    )
        yield City(
            clients["registry"],
            clients["training"],
            clients["matching"],
            apps["registry"],
            registry_settings,
            apps["training"],
            registry_stack,
        )


async def test_one_human_on_two_rosters_climbs_the_ladder_once_and_works_as_an_expert(
    city: City,
) -> None:
    registry, training, matching = city.registry, city.training, city.matching
    zhang = rid("19800312", "123")
    body = {"name": "张伟", "id_number": zhang, "region": REGION, "organization": "东关社区"}
    civil = (
        await ok(
            registry,
            "POST",
            "/workers",
            json={**body, "department": "civil-affairs", "hired_on": "2015-03-01"},
        )
    )["worker"]["worker_id"]
    hrss = (
        await ok(
            registry,
            "POST",
            "/workers",
            json={**body, "department": "hrss", "phone": "13909322003"},
        )
    )["worker"]["worker_id"]
    cert = {"level": "intermediate", "certified_on": "2018-06-30", "certificate_no": "Z2018-1"}
    await ok(registry, "POST", f"/workers/{hrss}/certificates", json=cert)
    other = (
        await ok(
            registry,
            "POST",
            "/workers",
            json={
                "name": "李娜",
                "id_number": rid("19900101", "246"),
                "department": "civil-affairs",
                "region": REGION,
                "hired_on": "2024-01-01",
            },
        )
    )["worker"]["worker_id"]

    # Training knows the 民政 record; his hours and appraisal go on it.
    async def known() -> bool:
        return (await training.get(f"/workforce/{civil}")).status_code == 200

    await eventually(known, timeout=30)
    session = {"kind": "backbone", "title": "骨干培养班", "held_on": "2025-05-20", "hours": 96}
    sid = (await ok(training, "POST", "/sessions", json=session))["session"]["session_id"]
    await ok(training, "POST", f"/sessions/{sid}/attendance", json={"worker_id": civil})
    await ok(training, "POST", f"/sessions/{sid}/complete")
    appraisal = {"worker_id": civil, "period": "2025", "grade": "称职", "assessed_on": "2026-01-10"}
    await ok(training, "POST", "/assessments", json=appraisal)

    # The ladder decides for the census person: eligible for the senior review, once.
    async def senior_list() -> dict[str, Any] | None:
        page = await ok(
            registry, "GET", "/ladder", params={"step": "senior_review", "eligible": "true"}
        )
        return page if page["total"] else None

    listed = (await eventually(senior_list, timeout=30))["items"]
    assert len(listed) == 1
    (item,) = listed
    assert sorted(item["worker_ids"]) == sorted([civil, hrss]) and item["person_id"]
    lead = item["worker_id"]
    assert lead in (civil, hrss)
    assert all(r["met"] for r in item["rules"])
    # Each record's own page says the same of the person.
    for record in (civil, hrss):
        standing = await ok(registry, "GET", f"/ladder/{record}")
        steps = {s["step"]: s for s in standing["steps"]}
        assert steps["senior_review"]["eligible"] is True, steps["senior_review"]
        assert standing["decided_under"] == lead and standing["training_hours"] == 96

    async def senior_events() -> list[dict[str, Any]]:
        feed = await ok(registry, "GET", "/events", params={"after": 0, "limit": 1000})
        return [
            e["data"]
            for e in feed["events"]
            if e["type"] == "LadderEligibilityChanged" and e["data"]["step"] == "senior_review"
        ]

    decided = await senior_events()
    assert [(d["worker_id"], d["eligible"]) for d in decided] == [(lead, True)]
    # Not eligible, and why: 李娜 (a newcomer) is listed with her unmet rules; 张伟 is not.
    waiting = await ok(
        registry, "GET", "/ladder", params={"step": "senior_review", "eligible": "false"}
    )
    assert [i["worker_id"] for i in waiting["items"]] == [other]
    assert {r["rule"] for r in waiting["items"][0]["unmet"]} == {
        "intermediate_certificate_years",
        "training_hours_3y",
        "appraisal_competent",
    }

    # Admitted to the expert pool (under the person's lead record).
    admitted = await ok(registry, "POST", f"/ladder/{hrss}/expert-pool", json={})
    assert admitted["worker_id"] == lead
    assert [e["type"] for e in admitted["events"]] == ["ExpertPoolAdmitted"]
    again = await registry.post(f"/ladder/{civil}/expert-pool", json={})
    assert again.status_code == 409 and "已入库" in again.text

    async def offered(client: httpx.AsyncClient) -> list[str]:
        return [e["worker_id"] for e in await ok(client, "GET", "/experts")]

    async def in_both_pools() -> bool:
        return await offered(training) == [lead] and await offered(matching) == [lead]

    await eventually(in_both_pools, timeout=30)

    # He lectures a session (专题讲座); someone not in the pool is refused, in both languages.
    lecture = {"kind": "lecture", "title": "专题讲座", "held_on": "2026-03-01", "hours": 3}
    lid = (await ok(training, "POST", "/sessions", json=lecture))["session"]["session_id"]
    lectured = await ok(training, "POST", f"/sessions/{lid}/lecturers", json={"expert_id": lead})
    assert [e["type"] for e in lectured["events"]] == ["LecturerAssigned"]
    refused = await training.post(f"/sessions/{lid}/lecturers", json={"expert_id": other})
    assert refused.status_code == 409, refused.text
    assert "not in the expert pool" in refused.text and "不在市级专家库中" in refused.text

    # He supervises an escalated order; a routine order that was not escalated is refused.
    order = {"community": COMMUNITY, "target_group": "elderly", "service_type": "探访"}
    routine = (await ok(matching, "POST", "/requests", json=order))["request"]["request_id"]
    no = await matching.post(f"/requests/{routine}/supervisor", json={"expert_id": lead})
    assert no.status_code == 409 and "特急" in no.text and "escalated" in no.text, no.text
    await ok(matching, "POST", f"/requests/{routine}/escalate")
    supervised = await ok(
        matching, "POST", f"/requests/{routine}/supervisor", json={"expert_id": lead, "hours": 2}
    )
    assert supervised["supervision"]["reason"] == "escalated"

    async def deployed() -> bool:
        lectures = await ok(training, "GET", f"/experts/{lead}/deployments")
        supervisions = await ok(matching, "GET", f"/experts/{lead}/deployments")
        return lectures["hours"] == 3 and supervisions["hours"] == 2

    await eventually(deployed, timeout=30)
    lectures = await ok(training, "GET", f"/experts/{lead}/deployments")
    assert [(x["session_id"], x["hours"]) for x in lectures["lectures"]] == [(lid, 3)]
    supervisions = await ok(matching, "GET", f"/experts/{lead}/deployments")
    assert [(x["request_id"], x["reason"]) for x in supervisions["supervisions"]] == [
        (routine, "escalated")
    ]

    # The census counts him in the city's expert pool (专家库人数) until he leaves.
    async def pool_size() -> int:
        year = {"year": date.today().year}
        found = await ok(registry, "GET", "/indicators/workforce", params=year)
        return int(found["expert_pool"])

    async def pool_size_is(n: int) -> bool:
        return await pool_size() == n

    await eventually(lambda: pool_size_is(1), timeout=30)

    # Leaving the pool: no longer offered, no longer assignable, no longer counted.
    left = await ok(registry, "POST", f"/ladder/{civil}/expert-pool/leave", json={"reason": "退休"})
    assert [e["type"] for e in left["events"]] == ["ExpertPoolLeft"]

    async def gone() -> bool:
        return (
            await offered(training) == []
            and await offered(matching) == []
            and await pool_size_is(0)
        )

    await eventually(gone, timeout=30)
    critical = {**order, "urgency": "critical"}
    urgent = (await ok(matching, "POST", "/requests", json=critical))["request"]["request_id"]
    after = await matching.post(f"/requests/{urgent}/supervisor", json={"expert_id": lead})
    assert after.status_code == 409 and "已出库" in after.text, after.text
    lid2 = (await ok(training, "POST", "/sessions", json=lecture))["session"]["session_id"]
    after = await training.post(f"/sessions/{lid2}/lecturers", json={"expert_id": lead})
    assert after.status_code == 409 and "left the expert pool" in after.text, after.text

    # Stopped, the registry's read models (the ladder's among them) equal a rebuild from
    # the feeds (its own store, training's GET /events).
    await city.stop_registry.aclose()
    runtime = Runtime(REGISTRY, city.registry_settings)
    runtime.feeds.add(
        city.training_app.state.runtime.source, HttpFeed("http://training", client=training)
    )
    try:
        head = await runtime.store.head()
        assert await rebuild_differences(runtime) == {}
        # Replaying decided nothing again: no event was published by the rebuild.
        assert await runtime.store.head() == head
    finally:
        await runtime.engine.dispose()
        await runtime.redis.aclose()
