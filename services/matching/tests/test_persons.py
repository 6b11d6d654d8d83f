"""One human on two departments' rosters is one provider: the census's ``RecordsLinked``
makes matching offer an order to one of their records, not both, and count the orders of
both against their capacity; ``RecordsUnlinked`` makes them two providers again; the
links are a read model like the rest (a rebuild from the feeds equals what ran live)."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from shegong.contracts.registry import RecordsLinked, RecordsUnlinked, Region, WorkerRegistered
from shegong.kernel.ops.db import reading
from shegong.kernel.ops.runtime import Runtime
from shegong.kernel.testing import eventually, rebuild_differences
from shegong.matching.main import SERVICE
from shegong.matching.projections.workforce import links

from .conftest import COMMUNITY, SAME_STREET, Matching, Producer, running
from .test_matching_flow import provider_seen


async def on_roster(
    registry: Producer, name: str, department: str, record_id: str, region: str = COMMUNITY
) -> str:
    county, township, community = ([*region.split("/"), None, None])[:3]
    wid = str(uuid.uuid4())
    await registry.emit(
        wid,
        "worker",
        [
            WorkerRegistered(
                worker_id=wid,
                department=department,
                record_id=record_id,
                name=name,
                region=Region(county=county, township=township, community=community),
                hired_on=date(2022, 1, 1),
            )
        ],
    )
    return wid


async def explained(m: Matching, rid: str) -> dict[str, Any]:
    return await m.ok("GET", f"/requests/{rid}/candidates")  # type: ignore[no-any-return]


async def test_a_person_on_two_rosters_is_offered_once_and_carries_one_load(
    database_url: str,
    redis_url: str,
    stream_prefix: str,
    tmp_path: Path,
    producers: dict[str, Producer],
) -> None:
    registry = producers["registry"]
    settings = {"matching_offer_top": 3, "matching_default_capacity": 2}
    async with running(database_url, redis_url, stream_prefix, tmp_path, **settings) as m:
        a = await on_roster(registry, "张三丰", "civil-affairs", "MZ1")
        b = await on_roster(registry, "张三丰", "hrss", "RS1")
        c = await on_roster(registry, "李四", "civil-affairs", "MZ2", region=SAME_STREET)
        await provider_seen(m, c)

        # Before the census says anything: two providers, each offered every order.
        early = [(await m.place())["request"] for _ in range(3)]
        assert all(set(o["offered"]) == {a, b, c} for o in early)

        await registry.emit(
            "census",
            "census",
            [RecordsLinked(a="hrss:RS1", b="civil-affairs:MZ1", rule="same-valid-id", score=1.0)],
        )

        async def merged() -> dict[str, Any] | None:
            why = await explained(m, early[0]["request_id"])
            return why if len(why["ranked"]) == 2 else None

        why = await eventually(merged)
        person = next(r for r in why["ranked"] if r["provider_id"] in (a, b))
        assert person["merged_records"] == sorted([a, b])
        (dropped,) = [r for r in why["ineligible"] if r["provider_id"] in (a, b)]
        assert dropped["reason"].startswith("the same person as")

        # One offer per person.
        order = await m.place()
        offered = order["request"]["offered"]
        assert len(offered) == 2 and c in offered and len({a, b} & set(offered)) == 1
        ranking = {r["provider_id"]: r for r in order["ranking"]}
        assert ranking[next(p for p in offered if p != c)]["merged_records"] == sorted([a, b])
        assert "merged_records" not in ranking[c]

        # One load: an order taken through either record counts against both.
        one, two, three = (o["request_id"] for o in early)
        await m.ok("POST", f"/requests/{one}/accept", {"provider_id": a})
        await m.ok("POST", f"/requests/{two}/accept", {"provider_id": b})
        refused = await m.client.post(f"/requests/{three}/accept", json={"provider_id": a})
        assert refused.status_code == 409 and "capacity" in refused.text
        full = await m.place()
        assert full["request"]["offered"] == [c]
        reasons = {r["provider_id"]: r["reason"] for r in (await explained(m, one))["ineligible"]}
        assert reasons[a] == reasons[b] == "at capacity (2/2)"
        assign = await m.client.post(
            f"/requests/{full['request']['request_id']}/assign",
            json={"provider_id": b, "staff": "站长"},
        )
        assert assign.status_code == 409
        # The provider list says so too: each record its own orders, the person's together.
        listed = {p["provider_id"]: p for p in await m.ok("GET", "/providers")}
        assert (listed[a]["open_assignments"], listed[b]["open_assignments"]) == (1, 1)
        for record in (a, b):
            assert listed[record]["person_records"] == sorted([a, b])
            assert listed[record]["person_open_assignments"] == 2
        assert "person_records" not in listed[c]

        # Done with one order: room for one more, offered once.
        await m.ok("POST", f"/requests/{two}/start", {})
        await m.ok("POST", f"/requests/{two}/finish", {"hours": 1})
        again = (await m.place())["request"]
        assert c in again["offered"] and len({a, b} & set(again["offered"])) == 1
        await m.ok("POST", f"/requests/{three}/accept", {"provider_id": a})

        # The census takes it back: two providers again, each with its own load.
        await registry.emit(
            "census",
            "census",
            [
                RecordsUnlinked(
                    a="civil-affairs:MZ1",
                    b="hrss:RS1",
                    rule="same-valid-id",
                    reason="clerk decided not the same",
                )
            ],
        )

        async def split() -> bool:
            why = await explained(m, one)
            return not any("merged_records" in r for r in why["ranked"]) and b in {
                r["provider_id"] for r in why["ranked"]
            }

        await eventually(split)
        later = (await m.place())["request"]
        assert set(later["offered"]) == {b, c}  # a holds two (its capacity), b none
        await m.ok("POST", f"/requests/{later['request_id']}/accept", {"provider_id": b})

        # A clerk links them again (the rebuild below must keep it).
        await registry.emit(
            "census",
            "census",
            [RecordsLinked(a="civil-affairs:MZ1", b="hrss:RS1", rule="clerk", score=1.0)],
        )

        async def relinked() -> bool:
            why = await explained(m, one)
            reasons = {r["provider_id"]: r["reason"] for r in why["ineligible"]}
            return reasons.get(b) == "at capacity (3/2)"  # a's two and b's one

        await eventually(relinked)

    # The links are a read model: rebuilt from the registry's feed, the same rows.
    runtime = Runtime(SERVICE, m.settings)
    runtime.feeds.add(registry.store.identity.source, registry.store)
    runtime.feeds.add(producers["training"].store.identity.source, producers["training"].store)
    try:
        assert await rebuild_differences(runtime) == {}
        async with reading(runtime.engine) as conn:
            rows = [tuple(r) for r in await conn.execute(select(links))]
        assert rows == [("civil-affairs:MZ1", "hrss:RS1", "clerk")]
    finally:
        await runtime.engine.dispose()
        await runtime.redis.aclose()
