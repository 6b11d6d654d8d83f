"""A department's scope across services (issue 7, Access): the registry and training
with API keys switched on, over real Redis, each on its own database.

Which department a worker belongs to is the registry's fact, carried to training by
``registry.events`` alone; training decides with it. A department key registers its
worker in the registry, trains them at its own base, appraises them and records their
exam — and another department's key is refused each of those changes in training,
while the city administrator may make any of them.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis
from stdnum.cn import ric

from shegong.kernel.events.feed import HttpFeed
from shegong.kernel.ops.settings import ServiceSettings
from shegong.kernel.testing import eventually
from shegong.kernel.web.api_keys import KeysFile
from shegong.registry.main import build as build_registry
from shegong.training.main import TrainingSettings
from shegong.training.main import build as build_training

KEY = "k" * 32


def rid(birth: str, serial: str) -> str:
    body = f"621102{birth}{serial}"
    return body + ric.calc_check_digit(body + "0")


ZHANG = rid("19880312", "123")


@dataclass
class City:
    transports: dict[str, httpx.AsyncBaseTransport]
    keys: dict[str, str]

    def client(self, service: str, who: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self.transports[service],
            base_url=f"http://{service}",
            headers={"Authorization": f"Bearer {self.keys[who]}"},
        )


@pytest.fixture
async def city(
    database_url: str, redis: Redis, redis_url: str, stream_prefix: str, tmp_path: Path
) -> AsyncIterator[City]:
    keys_file = KeysFile(tmp_path / "api-keys.json")
    keys = {
        "admin": keys_file.issue("admin", name="city-admin"),
        "civil": keys_file.issue("department", name="mz-clerk", department="civil-affairs"),
        "hrss": keys_file.issue("department", name="rs-clerk", department="hrss"),
        "service": keys_file.issue("service", name="feeds"),
    }
    common: dict[str, Any] = {
        "redis_url": redis_url,
        "stream_prefix": stream_prefix,
        "pii_hash_key": KEY,
        "catch_up_s": 0,
        "claim_idle_ms": 500,
        "api_keys_file": str(keys_file.path),
    }
    registry_app = build_registry(
        ServiceSettings(
            database_url=database_url,
            consumer_name="registry-scope",
            data_dir=str(tmp_path / "r"),
            **common,
        )
    )
    training_app = build_training(
        TrainingSettings(
            database_url=f"sqlite:///{tmp_path}/training.db",
            consumer_name="training-scope",
            data_dir=str(tmp_path / "t"),
            **common,
        )
    )
    async with contextlib.AsyncExitStack() as stack:
        transports: dict[str, httpx.AsyncBaseTransport] = {}
        feeds: dict[str, HttpFeed] = {}
        for name, app in (("registry", registry_app), ("training", training_app)):
            await stack.enter_async_context(
                LifespanManager(app, startup_timeout=30, shutdown_timeout=30)
            )
            transports[name] = httpx.ASGITransport(app=app)
            reader = await stack.enter_async_context(
                httpx.AsyncClient(transport=transports[name], base_url=f"http://{name}")
            )
            feeds[name] = HttpFeed(f"http://{name}", client=reader, api_key=keys["service"])
        r_rt, t_rt = registry_app.state.runtime, training_app.state.runtime
        r_rt.feeds.add(t_rt.source, feeds["training"])
        t_rt.feeds.add(r_rt.source, feeds["registry"])
        yield City(transports, keys)


def refused(resp: httpx.Response) -> None:
    assert resp.status_code == 403, resp.text
    error = resp.json()["error"]
    assert error["field"] == "department" and error["message"] and error["message_zh"]


def ok(resp: httpx.Response) -> Any:
    assert resp.status_code < 300, resp.text
    return resp.json()


async def test_training_scopes_a_department_by_the_registrys_own_record(city: City) -> None:
    async with (
        city.client("registry", "civil") as registry,
        city.client("training", "civil") as civil,
        city.client("training", "hrss") as hrss,
        city.client("training", "admin") as admin,
    ):
        worker = ok(
            await registry.post(
                "/workers",
                json={
                    "name": "张伟",
                    "id_number": ZHANG,
                    "post": "社区工作者",
                    "organization": "东关社区",
                    "region": {"county": "安定区", "township": "永定路街道"},
                    "hired_on": "2024-03-01",
                },
            )
        )
        worker_id = worker["worker"]["worker_id"]
        assert worker["worker"]["department"] == "civil-affairs"  # the key's own

        async def seen() -> bool:
            return (await civil.get(f"/workforce/{worker_id}")).status_code == 200

        await eventually(seen)

        # The base and the session are civil-affairs'; hrss may not touch them.
        base = ok(
            await civil.post(
                "/bases", json={"name": "民政基地", "kind": "培训基地", "tier": "县级"}
            )
        )["base"]
        assert base["department"] == "civil-affairs"
        session = {"kind": "考前冲刺", "title": "考前冲刺班", "held_on": "2025-05-20", "hours": 24}
        refused(await hrss.post("/sessions", json={**session, "base_id": base["base_id"]}))
        sid = ok(await civil.post("/sessions", json={**session, "base_id": base["base_id"]}))[
            "session"
        ]["session_id"]
        sheet = f"姓名,身份证号,签到时间\n张伟,{ZHANG},2025-05-20 09:00\n".encode()
        refused(await hrss.post(f"/sessions/{sid}/signin-sheet", files={"file": ("s.csv", sheet)}))
        assert (
            ok(await civil.post(f"/sessions/{sid}/signin-sheet", files={"file": ("s.csv", sheet)}))[
                "recorded"
            ]
            == 1
        )
        refused(await hrss.post(f"/sessions/{sid}/complete"))
        ok(await admin.post(f"/sessions/{sid}/complete"))

        # The appraisal and the exam result are the worker's department's (the registry's
        # fact): hrss is refused, civil-affairs and the administrator may.
        appraisal = {"worker_id": worker_id, "period": "2024", "grade": "称职"}
        refused(await hrss.post("/assessments", json=appraisal))
        ok(await civil.post("/assessments", json=appraisal))
        ok(await admin.post("/assessments", json={**appraisal, "period": "2023"}))
        exams = f"姓名,身份证号,考试年度,级别,是否通过\n张伟,{ZHANG},2025,社会工作师,是\n".encode()
        theirs = ok(await hrss.post("/imports/exam-results", files={"file": ("e.csv", exams)}))
        # Another department's worker: not found among hrss's — not who, not whose.
        assert theirs["recorded"] == 0 and theirs["rejected"][0]["field"] == "id_number"
        assert theirs["rejected"][0]["reason"] == "not found among your department's workers"
        ours = ok(await civil.post("/imports/exam-results", files={"file": ("e.csv", exams)}))
        assert ours["recorded"] == 1 and not ours["rejected"]
