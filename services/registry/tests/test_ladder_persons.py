"""The ladder decides for census persons, on the city's node (SQLite and PostgreSQL):
a certificate on one department's record and training on another's add up once the
census links them; a clerk's "not the same" splits the facts again and the decision
follows — by events only, and the list of decisions equals a rebuild from the feed.

Training's facts (hours, an appraisal) are written into the ladder's own tables here,
as ``training.events`` would bring them (the e2e test brings them over the bus).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from stdnum.cn import ric

from shegong.kernel.ops.db import writing
from shegong.kernel.testing import eventually, snapshot
from shegong.registry.ladder.tables import ladder_appraisals, ladder_training

from .conftest import Node, StartNode

REGION = {"county": "安定区", "township": "永定路街道", "community": "东关社区"}


def rid(birth: str, serial: str) -> str:
    body = f"621102{birth}{serial}"
    return body + ric.calc_check_digit(body + "0")


async def ok(client: httpx.AsyncClient, method: str, path: str, **kw: Any) -> Any:
    resp = await client.request(method, path, **kw)
    assert resp.status_code < 300, resp.text
    return resp.json()


async def senior(node: Node) -> list[tuple[str, bool, list[str]]]:
    envelopes = await node.runtime.store.read_after(0, 10_000)
    return [
        (e.data["worker_id"], e.data["eligible"], sorted(e.data["worker_ids"]))
        for e in envelopes
        if e.type == "LadderEligibilityChanged" and e.data["step"] == "senior_review"
    ]


async def test_a_link_and_an_unlink_move_the_facts_and_the_decision(
    database_url: str, start_node: StartNode
) -> None:
    city = await start_node(database_url, census=True, registry_ladder_sweep=False)
    c = city.client
    zhang = rid("19800312", "123")
    body = {"name": "张伟", "id_number": zhang, "region": REGION, "organization": "东关社区"}
    civil = (
        await ok(
            c,
            "POST",
            "/workers",
            json={
                **body,
                "department": "civil-affairs",
                "record_id": "MZ-1",
                "hired_on": "2015-03-01",
            },
        )
    )["worker"]["worker_id"]
    # Training's word on the 民政 record: 96 hours last year, appraised 称职.
    async with writing(city.runtime.engine) as conn:
        await conn.execute(
            ladder_training.insert().values(
                worker_id=civil,
                session_id="s-1",
                completed_on=date.today().replace(month=1, day=5),
                hours=96,
            )
        )
        await conn.execute(
            ladder_appraisals.insert().values(
                worker_id=civil, period="2025", grade="competent", assessed_on=date(2026, 1, 10)
            )
        )
    hrss = (
        await ok(
            c,
            "POST",
            "/workers",
            json={**body, "department": "hrss", "record_id": "RS-1", "phone": "13909322003"},
        )
    )["worker"]["worker_id"]
    # The certificate sits on 人社's record; the census links the two (same ID number).
    cert = {"level": "intermediate", "certified_on": "2018-06-30", "certificate_no": "Z2018-1"}
    await ok(c, "POST", f"/workers/{hrss}/certificates", json=cert)

    async def decided(expected: list[Any]) -> bool:
        return await senior(city) == expected

    both = sorted([civil, hrss])
    await eventually(lambda: decided([(civil, True, both)]), timeout=30)

    # A clerk: not the same person. Each record is its own person again: the lead record
    # (民政's) no longer has a certificate, 人社's has no hours.
    split = {"a": "civil-affairs:MZ-1", "b": "hrss:RS-1", "same": False}
    assert (await c.post("/census/review", json=split)).status_code == 202
    await eventually(lambda: decided([(civil, True, both), (civil, False, [civil])]), timeout=30)
    standing = await ok(c, "GET", f"/ladder/{hrss}")
    assert standing["worker_ids"] == [hrss] and standing["training_hours"] == 0
    waiting = await ok(c, "GET", "/ladder", params={"step": "senior_review", "eligible": "false"})
    assert sorted(i["worker_id"] for i in waiting["items"]) == both

    # The same again: eligible once more, under the same record.
    same = {**split, "same": True}
    assert (await c.post("/census/review", json=same)).status_code == 202
    await eventually(
        lambda: decided([(civil, True, both), (civil, False, [civil]), (civil, True, both)]),
        timeout=30,
    )

    async def listed() -> Any:
        page = await ok(c, "GET", "/ladder", params={"step": "senior_review", "eligible": "true"})
        return page["items"] if page["total"] and page["items"][0]["worker_ids"] == both else None

    (item,) = await eventually(listed)
    assert item["worker_id"] == civil and item["person_id"] == "civil-affairs:MZ-1"
    # The list is a read model of the decisions: rebuilt from the feed, the same rows.
    runtime = city.runtime

    async def caught_up() -> bool:
        head = await runtime.store.head()
        runner = next(r for r in runtime.runners if r.name == "ladder_eligibility")
        return (await runner.positions()).get(runtime.source, 0) >= head

    await eventually(caught_up)
    (runner,) = [r for r in runtime.runners if r.name == "ladder_eligibility"]
    before = await snapshot(runtime.engine, runner.projection.metadata)
    await runner.rebuild()
    assert await snapshot(runtime.engine, runner.projection.metadata) == before
