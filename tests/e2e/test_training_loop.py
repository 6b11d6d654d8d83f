"""The closed loop 培训—考核—晋升 across two services over real Redis.

The registry and training run in-process (ASGI) on their own databases; they share
nothing but the bus and each other's pull feeds. A worker registered in the registry
appears in training's view; an exam result imported in training becomes a certificate
in the registry, moves its certified figures and its ladder — no call between them.
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
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from stdnum.cn import ric

from shegong.kernel.events.feed import HttpFeed
from shegong.kernel.ops.settings import ServiceSettings
from shegong.kernel.testing import eventually
from shegong.registry.main import build as build_registry
from shegong.training.main import TrainingSettings
from shegong.training.main import build as build_training

KEY = "k" * 32


def rid(birth: str, serial: str) -> str:
    body = f"621102{birth}{serial}"
    return body + ric.calc_check_digit(body + "0")


ZHANG = rid("19880312", "123")


@dataclass
class Services:
    registry: httpx.AsyncClient
    training: httpx.AsyncClient
    registry_app: FastAPI
    training_app: FastAPI


async def ok(client: httpx.AsyncClient, method: str, url: str, **kw: Any) -> Any:
    resp = await client.request(method, url, **kw)
    assert resp.status_code < 300, resp.text
    return resp.json()


@pytest.fixture
async def services(
    database_url: str, redis: Redis, redis_url: str, stream_prefix: str, tmp_path: Path
) -> AsyncIterator[Services]:
    """The registry on each database kind (sqlite, postgresql), training on SQLite."""
    common: dict[str, Any] = {
        "redis_url": redis_url,
        "stream_prefix": stream_prefix,
        "pii_hash_key": KEY,
        "catch_up_s": 0,
        "claim_idle_ms": 500,
    }
    registry_app = build_registry(
        ServiceSettings(
            database_url=database_url,
            consumer_name="registry-e2e",
            data_dir=str(tmp_path / "r"),
            **common,
        )
    )
    training_app = build_training(
        TrainingSettings(
            database_url=f"sqlite:///{tmp_path}/training.db",
            consumer_name="training-e2e",
            data_dir=str(tmp_path / "t"),
            **common,
        )
    )
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for name, app in (("registry", registry_app), ("training", training_app)):
            await stack.enter_async_context(
                LifespanManager(app, startup_timeout=30, shutdown_timeout=30)
            )
            clients.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(
                        transport=httpx.ASGITransport(app=app), base_url=f"http://{name}"
                    )
                )
            )
        registry, training = clients
        # Each reads the other's pull feed (GET /events) to fill gaps — events, not calls.
        r_rt, t_rt = registry_app.state.runtime, training_app.state.runtime
        r_rt.feeds.add(t_rt.source, HttpFeed("http://training", client=training))
        t_rt.feeds.add(r_rt.source, HttpFeed("http://registry", client=registry))
        yield Services(registry, training, registry_app, training_app)


async def test_a_passed_exam_becomes_a_certificate_in_the_registry(services: Services) -> None:
    registry, training = services.registry, services.training
    worker = await ok(
        registry,
        "POST",
        "/workers",
        json={
            "name": "张伟",
            "id_number": ZHANG,
            "phone": "13809312001",
            "department": "civil-affairs",
            "post": "社区工作者",
            "organization": "东关社区",
            "region": {"county": "安定区", "township": "永定路街道", "community": "东关社区"},
            "hired_on": "2024-03-01",
        },
    )
    worker_id = worker["worker"]["worker_id"]

    # 1. The registry's event reaches training's own view of the workforce.
    async def seen() -> Any:
        resp = await training.get(f"/workforce/{worker_id}")
        return resp.json() if resp.status_code == 200 else None

    trainee = await eventually(seen)
    assert trainee["name"] == "张伟" and trainee["region"] == "安定区/永定路街道/东关社区"
    assert trainee["id_number_masked"] and "id_number_hash" not in trainee

    async def certified() -> int:
        page = await ok(registry, "GET", "/workers", params={"certificate": "intermediate"})
        return int(page["total"])

    assert await certified() == 0

    async def workforce(year: int) -> dict[str, Any]:
        return dict(await ok(registry, "GET", "/indicators/workforce", params={"year": year}))

    assert (await workforce(2026))["certified"] == 0

    # 2. Training: an exam-prep session, a sign-in sheet, an appraisal, the exam results.
    session = await ok(
        training,
        "POST",
        "/sessions",
        json={"kind": "考前冲刺", "title": "考前冲刺班", "held_on": "2025-05-20", "hours": 24},
    )
    sid = session["session"]["session_id"]
    sheet = f"姓名,身份证号,签到时间\n张伟,{ZHANG},2025-05-20 09:00\n".encode()
    signed = await ok(
        training, "POST", f"/sessions/{sid}/signin-sheet", files={"file": ("s.csv", sheet)}
    )
    assert signed["recorded"] == 1
    await ok(training, "POST", f"/sessions/{sid}/complete")
    await ok(
        training,
        "POST",
        "/assessments",
        json={
            "worker_id": worker_id,
            "period": "2024",
            "grade": "称职",
            "assessed_on": "2025-01-10",
        },
    )
    exams = (
        "姓名,身份证号,考试年度,级别,是否通过,证书编号,取证日期\n"
        f"张伟,{ZHANG},2025,社会工作师,是,Z2025-0001,2025-06-30\n"
    ).encode("gbk")
    report = await ok(
        training, "POST", "/imports/exam-results", files={"file": ("成绩.csv", exams)}
    )
    assert report["recorded"] == 1 and not report["rejected"]

    async def listed_result() -> dict[str, Any] | None:
        page = await ok(training, "GET", "/exams", params={"year": 2025, "passed": "true"})
        return page if page["total"] else None

    results = (await eventually(listed_result))["items"]
    assert [(r["worker_id"], r["level"], r["level_zh"], r["passed"]) for r in results] == [
        (worker_id, "intermediate", "社会工作师", True)
    ]
    assert results[0]["name"] == "张伟" and ZHANG not in str(results)
    nothing = await ok(training, "GET", "/exams", params={"year": 2025, "passed": "false"})
    assert nothing == {"total": 0, "items": []}

    # 3. The registry recorded the certificate by itself; its figures moved.
    assert await eventually(certified) == 1
    record = await ok(registry, "GET", f"/workers/{worker_id}")
    assert [(c["level"], c["certificate_no"]) for c in record["certificates"]] == [
        ("intermediate", "Z2025-0001")
    ]

    # 4. The ladder: every rule of every step, met or not, and the decisions as events.
    ladder = await ok(registry, "GET", f"/ladder/{worker_id}", params={"as_of": "2025-07-01"})
    steps = {s["step"]: s for s in ladder["steps"]}
    assert steps["expert_pool"]["eligible"] is True
    senior = steps["senior_review"]
    assert senior["eligible"] is False
    rules = {r["rule"]: r for r in senior["rules"]}
    assert rules["intermediate_certificate_years"]["met"] is False
    assert "since 2025-06-30" in rules["intermediate_certificate_years"]["detail"]
    assert rules["training_hours_3y"]["met"] is False
    assert rules["training_hours_3y"]["detail"].startswith("24 h of 90 h")
    assert rules["appraisal_competent"]["met"] is True

    async def ladder_events() -> list[dict[str, Any]]:
        feed = await ok(registry, "GET", "/events", params={"after": 0})
        return [e for e in feed["events"] if e["type"] == "LadderEligibilityChanged"]

    async def pool_decided() -> list[dict[str, Any]] | None:
        return [e for e in await ladder_events() if e["data"]["step"] == "expert_pool"] or None

    changed = await eventually(pool_decided)
    assert changed[0]["data"]["eligible"] and changed[0]["data"]["worker_ids"] == [worker_id]
    admitted = await ok(registry, "POST", f"/ladder/{worker_id}/expert-pool", json={})
    assert [e["type"] for e in admitted["events"]] == ["ExpertPoolAdmitted"]

    # A periodic re-evaluation publishes only what changed (nothing here).
    sweep = await ok(registry, "POST", "/ladder/evaluate", params={"as_of": "2025-07-01"})
    assert sweep["workers"] == 1 and sweep["events"] == 0

    # The city-wide list (进阶名单) shows the latest decision per step, its reasons, and
    # the admission — the same rules as the worker's own page.
    async def listed() -> dict[str, Any] | None:
        page = await ok(registry, "GET", "/ladder", params={"step": "expert_pool"})
        return page if page["items"] and page["items"][0]["admitted_on"] else None

    pool = (await eventually(listed))["items"]
    assert [(i["worker_id"], i["eligible"], i["step_zh"]) for i in pool] == [
        (worker_id, True, "市级专家库")
    ]
    assert pool[0]["name"] == record["name"]
    assert {r["rule"]: r["met"] for r in pool[0]["rules"]} == {
        r["rule"]: r["met"] for r in steps["expert_pool"]["rules"]
    }
    # Never eligible for the senior review, so no decision about it was published; the
    # list of the not-eligible still names them, with the rules they do not meet yet.
    not_yet = await ok(
        registry, "GET", "/ladder", params={"eligible": "false", "step": "senior_review"}
    )
    assert [(i["worker_id"], i["step"], i["name"]) for i in not_yet["items"]] == [
        (worker_id, "senior_review", "张伟")
    ]
    assert {r["rule"] for r in not_yet["items"][0]["unmet"]} == {
        "intermediate_certificate_years",
        "training_hours_3y",
    }

    # 5. The same results again change nothing anywhere.
    again = await ok(training, "POST", "/imports/exam-results", files={"file": ("成绩.csv", exams)})
    assert again["recorded"] == 0 and len(again["repeated"]) == 1
    assert await certified() == 1
    assert date.fromisoformat(record["certificates"][0]["certified_on"]) == date(2025, 6, 30)

    # 6. The census indicators moved by themselves: one more certified 社会工作师, and the
    #    ladder's admission counts in the expert pool.
    async def indicators_moved() -> dict[str, Any] | None:
        ind = await workforce(2026)
        return ind if ind["certified"] == 1 and ind["expert_pool"] == 1 else None

    moved = await eventually(indicators_moved, timeout=30)
    assert moved["by_level"]["intermediate"] == 1


async def test_training_rebuilds_its_view_from_the_registrys_feed(
    redis: Redis, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    """Training restarted with its read models dropped refills them from the registry's
    pull feed (GET /events over HTTP) and its own store — and answers the same."""
    common: dict[str, Any] = {
        "redis_url": redis_url,
        "stream_prefix": stream_prefix,
        "pii_hash_key": KEY,
        "catch_up_s": 0,
        "claim_idle_ms": 500,
    }
    training_db = f"sqlite:///{tmp_path}/training.db"

    def training_app() -> FastAPI:
        return build_training(
            TrainingSettings(
                database_url=training_db,
                consumer_name="training-e2e",
                data_dir=str(tmp_path / "t"),
                # Both were hired before their roster arrives (today): new hires all the same.
                prejob_new_hires_from=date(2024, 1, 1),
                **common,
            )
        )

    registry_app = build_registry(
        ServiceSettings(
            database_url=f"sqlite:///{tmp_path}/registry.db",
            consumer_name="registry-e2e",
            data_dir=str(tmp_path / "r"),
            **common,
        )
    )
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(
            LifespanManager(registry_app, startup_timeout=30, shutdown_timeout=60)
        )
        registry = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=registry_app), base_url="http://r")
        )
        ids = []
        for i, (name, hired) in enumerate((("张伟", "2025-01-10"), ("李娜", "2024-11-01"))):
            body = {
                "name": name,
                "id_number": rid("19880312", f"{123 + 2 * i}"),
                "department": "civil-affairs",
                "organization": "东关社区",
                "region": {"county": "安定区", "township": "永定路街道"},
                "hired_on": hired,
            }
            ids.append((await ok(registry, "POST", "/workers", json=body))["worker"]["worker_id"])
        registry_source = registry_app.state.runtime.source

        async def start_training(stack: contextlib.AsyncExitStack) -> httpx.AsyncClient:
            app = training_app()
            app.state.runtime.feeds.add(registry_source, HttpFeed("http://r", client=registry))
            await stack.enter_async_context(
                LifespanManager(app, startup_timeout=30, shutdown_timeout=60)
            )
            await app.state.runtime.caught_up()
            return await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
            )

        async def answers(training: httpx.AsyncClient) -> dict[str, Any]:
            return {
                "workers": [await ok(training, "GET", f"/workforce/{w}") for w in ids],
                "indicators": await ok(
                    training, "GET", "/indicators/training", params={"year": 2025}
                ),
                "overdue": await ok(
                    training, "GET", "/obligations/prejob/overdue", params={"as_of": "2025-12-31"}
                ),
            }

        async with contextlib.AsyncExitStack() as first_run:
            training = await start_training(first_run)
            sid = (
                await ok(
                    training,
                    "POST",
                    "/sessions",
                    json={"kind": "prejob", "title": "岗前", "held_on": "2025-03-01", "hours": 16},
                )
            )["session"]["session_id"]

            async def known() -> bool:
                return (await training.get(f"/workforce/{ids[1]}")).status_code == 200

            await eventually(known)
            await ok(training, "POST", f"/sessions/{sid}/attendance", json={"worker_id": ids[0]})
            await ok(training, "POST", f"/sessions/{sid}/complete")

            async def settled() -> dict[str, Any] | None:
                # The registry has decided on the ladder (its feed moved on) and training
                # has read up to the registry's head.
                feed = await ok(registry, "GET", "/events", params={"after": 0})
                if not any(e["type"] == "LadderEligibilityChanged" for e in feed["events"]):
                    return None
                got = await answers(training)
                hours = got["indicators"]["hours"], got["workers"][0]["person"]["hours"]
                read = got["indicators"]["as_of"]["training_workforce"].get(registry_source)
                return got if hours == (16, 16) and read == feed["head"] else None

            before = await eventually(settled)
            assert before["overdue"]["total"] == 1  # 李娜: no pre-job training
        # Drop every read model of the stopped service: rows and positions.
        engine = create_async_engine(training_db.replace("sqlite://", "sqlite+aiosqlite://"))
        async with engine.begin() as conn:
            for table in (
                "tr_workers",
                "tr_links",
                "tr_bases",
                "tr_sessions",
                "tr_attendance",
                "tr_completions",
                "tr_assessments",
                "tr_exams",
                "projection_positions",
            ):
                await conn.execute(text(f"DELETE FROM {table}"))
        await engine.dispose()

        async with contextlib.AsyncExitStack() as second_run:
            training = await start_training(second_run)
            assert await answers(training) == before
