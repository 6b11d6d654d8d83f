"""Experts of the city pool supervise (督导) escalated or complex orders: a running
matching service with API keys, real Redis and a real database (SQLite and PostgreSQL).

Matching learns the pool from the registry's events. Assigning a supervisor is a change
to the order: a department key, its own orders only (403 otherwise, nothing stored); the
event names the key that asked and the order's department. An order neither escalated
nor 特急 (critical), and anyone not in the pool or gone from it, are refused in English
and Chinese. The roster and the supervisions equal a rebuild from the feeds.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from shegong.contracts.ladder import ExpertPoolAdmitted, ExpertPoolLeft
from shegong.kernel.ops.runtime import Runtime
from shegong.kernel.testing import RoleKeys, eventually, rebuild_differences
from shegong.matching.main import SERVICE

from .conftest import Matching, Producer
from .test_access import as_, events, ok, place, refused


@pytest.fixture
def keys(tmp_path: Path) -> RoleKeys:
    return RoleKeys(tmp_path / "api-keys.json")


@pytest.fixture
async def m(database_url: str, start_matching: Any, keys: RoleKeys) -> Matching:
    matching: Matching = await start_matching(database_url, api_keys_file=str(keys.file.path))
    return matching


async def test_an_expert_supervises_a_departments_escalated_or_critical_order(
    m: Matching, keys: RoleKeys, producers: dict[str, Producer]
) -> None:
    registry = producers["registry"]
    expert = await registry.worker("张伟")
    stranger = await registry.worker("李娜")
    admitted = ExpertPoolAdmitted(worker_id=expert, admitted_on=date(2025, 1, 2), rules=[])
    await registry.emit(f"ladder:{expert}", "ladder", [admitted])
    async with as_(m, keys.civil) as civil, as_(m, keys.hrss) as hrss:

        async def offered() -> Any:
            # The expert pool and the providers are two read models: an order placed before
            # the workers are providers has no candidates and is escalated at once.
            providers = {p["provider_id"] for p in ok(await civil.get("/providers"))}
            experts = [e["worker_id"] for e in ok(await civil.get("/experts"))]
            return experts == [expert] and {expert, stranger} <= providers

        await eventually(offered)
        routine = (await place(civil))["request_id"]
        critical = (await place(civil, urgency="critical"))["request_id"]
        # Another department's order: refused, nothing stored.
        refused(await hrss.post(f"/requests/{critical}/supervisor", json={"expert_id": expert}))
        # Neither escalated nor critical: refused, saying why in both languages.
        resp = await civil.post(f"/requests/{routine}/supervisor", json={"expert_id": expert})
        assert resp.status_code == 409, resp.text
        error = resp.json()["error"]
        assert error["field"] == "request_id" and "escalated" in error["message"]
        assert "未升级响应" in error["message"]
        # Not in the pool.
        resp = await civil.post(f"/requests/{critical}/supervisor", json={"expert_id": stranger})
        assert resp.status_code == 409 and "不在市级专家库中" in resp.text, resp.text
        assert [e for e in await events(m) if e.type == "SupervisorAssigned"] == []
        civil.headers["X-Actor"] = "%E7%8E%8B%E7%A7%91%E9%95%BF"  # 王科长
        body = {"expert_id": expert, "hours": 1.5}
        done = ok(await civil.post(f"/requests/{critical}/supervisor", json=body))
        assert done["supervision"]["reason"] == "complex"
        ok(await civil.post(f"/requests/{routine}/escalate"))
        done = ok(await civil.post(f"/requests/{routine}/supervisor", json=body))
        assert done["supervision"]["reason"] == "escalated"
        assigned = [e for e in await events(m) if e.type == "SupervisorAssigned"]
        assert {(e.actor, e.department) for e in assigned} == {
            ("mz-clerk (王科长)", "civil-affairs")
        }

        async def deployed() -> Any:
            shown = ok(await civil.get(f"/experts/{expert}/deployments"))
            return shown if shown["hours"] == 3 else None

        shown = await eventually(deployed)
        assert sorted(s["request_id"] for s in shown["supervisions"]) == sorted([routine, critical])

        # Gone from the pool: no longer offered, no longer assignable.
        left = ExpertPoolLeft(worker_id=expert, left_on=date(2026, 1, 1), reason="退休")
        await registry.emit(f"ladder:{expert}", "ladder", [left])

        async def gone() -> bool:
            return ok(await civil.get("/experts")) == []

        await eventually(gone)
        another = (await place(civil, urgency="critical"))["request_id"]
        resp = await civil.post(f"/requests/{another}/supervisor", json={"expert_id": expert})
        assert resp.status_code == 409 and "已出库" in resp.text, resp.text

    # The roster and the supervisions are read models: rebuilt from the feeds, the same.
    runtime = Runtime(SERVICE, m.settings)
    runtime.feeds.add(registry.store.identity.source, registry.store)
    runtime.feeds.add(producers["training"].store.identity.source, producers["training"].store)
    try:
        assert await rebuild_differences(runtime) == {}
    finally:
        await runtime.engine.dispose()
        await runtime.redis.aclose()
