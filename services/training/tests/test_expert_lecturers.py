"""Experts of the city pool lecture sessions (专家授课), on a running training node with
API keys, real Redis and a real database (SQLite and PostgreSQL).

Training learns the pool from the registry's events (``ExpertPoolAdmitted`` /
``ExpertPoolLeft``). Assigning a lecturer is a change to the session: a department key
assigns only to its own sessions (403 otherwise, nothing stored), the event names the
key that asked and the session's department; someone not in the pool, or no longer in
it, is refused in English and Chinese; the roster and the deployments equal a rebuild.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from shegong.contracts.ladder import ExpertPoolAdmitted, ExpertPoolLeft
from shegong.kernel.testing import RoleKeys, eventually, rebuild_differences

from .conftest import Node, StartTraining
from .test_access import as_, base, created, events, refused, schedule
from .test_sessions import LI, ZHANG


@pytest.fixture
def keys(tmp_path: Path) -> RoleKeys:
    return RoleKeys(tmp_path / "api-keys.json")


@pytest.fixture
async def node(database_url: str, start_training: StartTraining, keys: RoleKeys) -> Node:
    return await start_training(database_url, api_keys_file=str(keys.file.path))


async def test_an_expert_of_the_pool_lectures_a_departments_own_session(
    node: Node, keys: RoleKeys
) -> None:
    expert = node.feed.register("张伟", ZHANG)
    stranger = node.feed.register("李娜", LI)
    node.feed.append(
        expert, 1, ExpertPoolAdmitted(worker_id=expert, admitted_on=date(2025, 1, 2), rules=[])
    )
    await node.sync()
    async with as_(node, keys.civil) as civil, as_(node, keys.hrss) as hrss:
        theirs = created(await schedule(civil, await base(civil, "安定区民政培训基地")))
        sid = theirs["session"]["session_id"]
        before = len(await events(node))
        # Another department's session: refused, nothing stored.
        refused(await hrss.post(f"/sessions/{sid}/lecturers", json={"expert_id": expert}))
        assert len(await events(node)) == before
        # Not in the pool: refused, saying so in both languages.
        resp = await civil.post(f"/sessions/{sid}/lecturers", json={"expert_id": stranger})
        assert resp.status_code == 409, resp.text
        error = resp.json()["error"]
        assert error["field"] == "expert_id" and "不在市级专家库中" in error["message"]
        # More hours than the session has: refused, naming the field.
        resp = await civil.post(
            f"/sessions/{sid}/lecturers", json={"expert_id": expert, "hours": 9}
        )
        assert resp.status_code == 422 and "hours" in resp.text, resp.text
        civil.headers["X-Actor"] = "%E7%8E%8B%E7%A7%91%E9%95%BF"  # 王科长
        done = created(await civil.post(f"/sessions/{sid}/lecturers", json={"expert_id": expert}))
        assert done["lecture"]["hours"] == 8
        twice = await civil.post(f"/sessions/{sid}/lecturers", json={"expert_id": expert})
        assert twice.status_code == 409 and "已安排" in twice.text
    (assigned,) = [e for e in await events(node) if e.type == "LecturerAssigned"]
    assert assigned.actor == "mz-clerk (王科长)" and assigned.department == "civil-affairs"

    async with as_(node, keys.admin) as admin:

        async def deployed() -> Any:
            shown = (await admin.get(f"/experts/{expert}/deployments")).json()
            # Two reads of a read model being written (READ COMMITTED): wait for both.
            return shown if shown["hours"] == 8 and shown["lectures"] else None

        shown = await eventually(deployed)
        assert shown["in_pool"] is True
        assert [(x["session_id"], x["department"]) for x in shown["lectures"]] == [
            (sid, "civil-affairs")
        ]
        assert [e["worker_id"] for e in (await admin.get("/experts")).json()] == [expert]

        # Out of the pool: no longer offered nor assignable; the past lecture stays.
        node.feed.append(
            expert, 2, ExpertPoolLeft(worker_id=expert, left_on=date(2026, 1, 1), reason="退休")
        )
        await node.sync()
        assert (await admin.get("/experts")).json() == []
        later = created(await schedule(admin, None, title="专题讲座", kind="专题讲座"))
        resp = await admin.post(
            f"/sessions/{later['session']['session_id']}/lecturers", json={"expert_id": expert}
        )
        assert resp.status_code == 409 and "left the expert pool" in resp.text, resp.text
        assert (await admin.get(f"/experts/{expert}/deployments")).json()["hours"] == 8

        async def both_sessions() -> bool:
            return len((await admin.get("/sessions")).json()) == 2

        await eventually(both_sessions)
    assert await rebuild_differences(node.runtime) == {}
