"""Orders over HTTP on real Redis and a real database (sqlite and postgresql): providers
from the registry's and training's events, ranking, offers, acceptance, capacity,
delivery, follow-up and the hours ledger."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shegong.contracts.registry import CertificateLevel, RegionDefined
from shegong.kernel.testing import eventually

from .conftest import COMMUNITY, OTHER_STREET, SAME_STREET, Matching, Producer


async def provider_seen(m: Matching, provider_id: str, **expect: Any) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        for p in await m.ok("GET", "/providers"):
            if p["provider_id"] == provider_id and all(p.get(k) == v for k, v in expect.items()):
                return p
        return None

    return await eventually(check)


async def test_a_certified_worker_becomes_eligible_and_the_order_runs_to_follow_up(
    database_url: str, start_matching: Any, producers: dict[str, Producer]
) -> None:
    m = await start_matching(database_url)
    registry = producers["registry"]
    wid = await registry.worker("李娜")
    await provider_seen(m, wid)

    # Psychological support needs a certificate: not yet.
    first = await m.place(service_type="心理支持", target_group="一老", accept_within_s=3600)
    assert first["request"]["offered"] == []
    assert first["request"]["level"] == "community"  # nobody to offer: the community responds
    why = await m.ok("GET", f"/requests/{first['request']['request_id']}/candidates")
    assert why["ineligible"][0]["reason"].startswith("needs a certificate")

    await registry.certify(wid, CertificateLevel.ASSISTANT)
    await provider_seen(m, wid, certificate_rank=1)
    order = await m.place(
        service_type="psychological_support",
        target_group="elderly",
        resident_phone="138 0931 2001",
        resident_address="永定路12号3单元501",
        notes="独居老人",
    )
    req = order["request"]
    rid = req["request_id"]
    assert req["status"] == "offered" and req["offered"] == [wid]
    assert order["ranking"][0]["parts"]["proximity"] == 1.0
    assert req["resident_phone_masked"] == "138****2001"
    assert "12号3单元" not in (req["resident_address_masked"] or "")

    hidden = await m.client.get(f"/requests/{rid}/contact", params={"provider_id": wid})
    assert hidden.status_code == 403  # not before the order is theirs
    accepted = await m.ok("POST", f"/requests/{rid}/accept", {"provider_id": wid})
    assert accepted["request"]["status"] == "accepted"
    contact = await m.ok("GET", f"/requests/{rid}/contact?provider_id={wid}")
    assert contact == {"phone": "13809312001", "address": "永定路12号3单元501"}
    other = await m.client.get(f"/requests/{rid}/contact", params={"provider_id": "someone"})
    assert other.status_code == 403
    await m.ok("POST", f"/requests/{rid}/start", {})
    done = await m.ok("POST", f"/requests/{rid}/finish", {"hours": 1.5})
    assert done["request"]["status"] == "completed"
    followed = await m.ok(
        "POST", f"/requests/{rid}/follow-up", {"satisfaction": 5, "notes": "很满意"}
    )
    assert followed["request"]["status"] == "followed_up"
    after = await m.client.get(f"/requests/{rid}/contact", params={"provider_id": wid})
    assert after.status_code == 403  # nor after it is done
    row = await m.request(rid)
    assert row["satisfaction"] == 5 and row["hours"] == 1.5
    assert row["first_accepted_ts"] >= row["placed_ts"]

    # The events on the bus carry no raw phone or address.
    runtime = m.app.state.runtime

    async def published() -> str | None:
        raw = await runtime.redis.xrange(runtime.stream)
        text = " ".join(v.decode() for _, fields in raw for v in fields.values())
        return text if "FollowUpRecorded" in text else None

    text = await eventually(published)
    assert "RequestPlaced" in text and "OrderAccepted" in text
    assert "13809312001" not in text and "12号3单元" not in text


async def test_ranking_prefers_the_nearest_trained_and_least_loaded(
    sqlite_url: str, start_matching: Any, producers: dict[str, Producer]
) -> None:
    m = await start_matching(sqlite_url, matching_offer_top=3)
    registry, training = producers["registry"], producers["training"]
    near = await registry.worker("近")
    street = await registry.worker("同街道", region=SAME_STREET)
    far = await registry.worker("同区", region=OTHER_STREET)
    trained = await registry.worker("受训", region=SAME_STREET)
    elsewhere = await registry.worker("外区", region="岷县/岷阳镇/北关村")
    await training.completed(trained, ["探访", "home_visit"], date.today())
    await provider_seen(m, elsewhere)

    async def trained_seen() -> bool:
        why = await m.ok(
            "GET", "/requests/" + (await m.place())["request"]["request_id"] + "/candidates"
        )
        return any(r["parts"]["training"] > 0.9 for r in why["ranked"])

    await eventually(trained_seen)
    order = await m.place(service_type="探访")
    ranked = [r["provider_id"] for r in order["ranking"]]
    assert ranked[0] == near  # same community wins
    assert ranked[1] == trained  # same street, and trained this year
    assert street in ranked and far not in ranked and elsewhere not in ranked
    why = await m.ok("GET", f"/requests/{order['request']['request_id']}/candidates")
    assert {r["provider_id"] for r in why["ranked"]} == {near, street, far, trained}


async def test_children_and_psychological_services_never_go_to_an_unsupervised_volunteer(
    sqlite_url: str, start_matching: Any
) -> None:
    m = await start_matching(sqlite_url)
    alone = await m.ok(
        "POST", "/providers", {"kind": "志愿者", "name": "小王", "region": COMMUNITY}, 201
    )
    team = await m.ok(
        "POST",
        "/providers",
        {"kind": "volunteer_team", "name": "社区非洲鼓队", "region": COMMUNITY, "supervised": True},
        201,
    )
    kids = await m.place(service_type="课后托管", target_group="一小")
    assert kids["request"]["offered"] == [team["provider_id"]]
    visit = await m.place(service_type="探访", target_group="一小")  # children: supervised only
    assert visit["request"]["offered"] == [team["provider_id"]]
    meal = await m.place(service_type="助餐", target_group="一老")
    assert set(meal["request"]["offered"]) == {alone["provider_id"], team["provider_id"]}


async def test_decline_with_reason_then_offer_moves_on_and_a_second_accept_is_refused(
    sqlite_url: str, start_matching: Any
) -> None:
    m = await start_matching(sqlite_url, matching_offer_top=1)
    a = (
        await m.ok(
            "POST", "/providers", {"kind": "volunteer", "name": "甲", "region": COMMUNITY}, 201
        )
    )["provider_id"]
    b = (
        await m.ok(
            "POST", "/providers", {"kind": "volunteer", "name": "乙", "region": SAME_STREET}, 201
        )
    )["provider_id"]
    order = (await m.place(service_type="meal_help"))["request"]
    assert order["offered"] == [a]
    rid = order["request_id"]
    after = await m.ok("POST", f"/requests/{rid}/decline", {"provider_id": a, "reason": "时间冲突"})
    assert after["request"]["offered"] == [a, b]
    assert after["request"]["declined"] == {a: "时间冲突"}
    resp = await m.client.post(f"/requests/{rid}/accept", json={"provider_id": a})
    assert resp.status_code == 409
    error = resp.json()["error"]  # the rule's refusal, in both languages
    assert "holds no open offer" in error["message"] and "待接派单" in error["message_zh"]
    await m.ok("POST", f"/requests/{rid}/accept", {"provider_id": b})
    resp = await m.client.post(f"/requests/{rid}/accept", json={"provider_id": b})
    assert resp.status_code == 409
    error = resp.json()["error"]
    assert "the order is accepted" in error["message"], error
    assert error["message_zh"] == "订单状态为“已接单”，不能接单", error
    assert (await m.request(rid))["declined"] == {a: "时间冲突"}


async def test_no_provider_is_assigned_beyond_capacity_even_with_concurrent_accepts(
    database_url: str, start_matching: Any
) -> None:
    m = await start_matching(database_url, matching_offer_top=5)
    pid = (
        await m.ok(
            "POST",
            "/providers",
            {"kind": "volunteer", "name": "独行侠", "region": COMMUNITY, "capacity": 2},
            201,
        )
    )["provider_id"]
    orders = [(await m.place(service_type="meal_help"))["request"]["request_id"] for _ in range(6)]

    async def accept(rid: str) -> int:
        resp = await m.client.post(f"/requests/{rid}/accept", json={"provider_id": pid})
        return resp.status_code

    codes = await asyncio.gather(*(accept(rid) for rid in orders))
    assert sorted(codes) == [200, 200, 409, 409, 409, 409]
    state = next(p for p in await m.ok("GET", "/providers") if p["provider_id"] == pid)
    assert state["open_assignments"] == 2 and state["capacity"] == 2

    # Many providers racing for one order: exactly one wins.
    others = [
        (
            await m.ok(
                "POST",
                "/providers",
                {"kind": "volunteer", "name": f"v{i}", "region": COMMUNITY},
                201,
            )
        )["provider_id"]
        for i in range(4)
    ]
    rid = (await m.place(service_type="meal_help"))["request"]["request_id"]
    offered = (await m.request(rid))["offered"]
    assert set(others) <= set(offered) or len(offered) == 5
    results = await asyncio.gather(
        *(m.client.post(f"/requests/{rid}/accept", json={"provider_id": p}) for p in others)
    )
    assert sorted(r.status_code for r in results) == [200, 409, 409, 409]

    # Finishing frees the capacity again.
    taken = [rid for rid, code in zip(orders, codes, strict=True) if code == 200]
    await m.ok("POST", f"/requests/{taken[0]}/finish", {"hours": 2})
    state = next(p for p in await m.ok("GET", "/providers") if p["provider_id"] == pid)
    assert state["open_assignments"] == 1 and state["completed"] == 1


async def test_an_unsatisfied_follow_up_reopens_the_need_for_someone_else(
    sqlite_url: str, start_matching: Any
) -> None:
    m = await start_matching(sqlite_url)
    a = (
        await m.ok(
            "POST", "/providers", {"kind": "volunteer", "name": "甲", "region": COMMUNITY}, 201
        )
    )["provider_id"]
    b = (
        await m.ok(
            "POST", "/providers", {"kind": "volunteer", "name": "乙", "region": COMMUNITY}, 201
        )
    )["provider_id"]
    rid = (await m.place(service_type="meal_help"))["request"]["request_id"]
    await m.ok("POST", f"/requests/{rid}/accept", {"provider_id": a})
    await m.ok("POST", f"/requests/{rid}/finish", {"hours": 1})
    refused = await m.client.post(
        f"/requests/{rid}/follow-up", json={"satisfaction": 4, "reopen": True}
    )
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "reopen"
    again = await m.ok("POST", f"/requests/{rid}/follow-up", {"satisfaction": 1, "reopen": True})
    assert again["request"]["status"] == "offered" and again["request"]["offered"] == [b]
    row = await m.request(rid)
    assert row["reopened"] == 1 and row["satisfaction"] == 1


async def test_overdue_follow_ups_are_listed(sqlite_url: str, start_matching: Any) -> None:
    m = await start_matching(sqlite_url, matching_follow_up_days=3)
    pid = (
        await m.ok(
            "POST", "/providers", {"kind": "volunteer", "name": "甲", "region": COMMUNITY}, 201
        )
    )["provider_id"]
    late, fresh = [(await m.place(service_type="助餐"))["request"]["request_id"] for _ in range(2)]
    for rid, ago in ((late, 5), (fresh, 1)):
        await m.ok("POST", f"/requests/{rid}/accept", {"provider_id": pid})
        finished = (datetime.now(UTC) - timedelta(days=ago)).isoformat()
        await m.ok("POST", f"/requests/{rid}/finish", {"hours": 1, "finished_at": finished})
    overdue = await m.ok("GET", "/requests/follow-ups/overdue")
    assert [r["request_id"] for r in overdue] == [late]
    await m.ok("POST", f"/requests/{late}/follow-up", {"satisfaction": 3})
    assert await m.ok("GET", "/requests/follow-ups/overdue") == []


async def test_when_everyone_declines_the_community_responds_at_once(
    sqlite_url: str, start_matching: Any
) -> None:
    m = await start_matching(sqlite_url)
    only = (
        await m.ok(
            "POST", "/providers", {"kind": "volunteer", "name": "甲", "region": COMMUNITY}, 201
        )
    )["provider_id"]
    rid = (await m.place(service_type="探访"))["request"]["request_id"]
    after = await m.ok("POST", f"/requests/{rid}/decline", {"provider_id": only, "reason": "生病"})
    assert after["request"]["level"] == "community"
    feed = await m.ok("GET", "/events?after=0&limit=100")
    escalated = [e for e in feed["events"] if e["type"] == "OrderEscalated"]
    assert [(e["data"]["level"], e["data"]["reason"]) for e in escalated] == [
        ("community", "declined")
    ]
    assert escalated[0]["data"]["region"] == COMMUNITY


async def test_once_the_region_tree_is_known_an_order_must_name_a_community_in_it(
    sqlite_url: str, start_matching: Any, producers: dict[str, Producer]
) -> None:
    m = await start_matching(sqlite_url)
    registry = producers["registry"]
    district, street = COMMUNITY.split("/")[0], "/".join(COMMUNITY.split("/")[:2])
    for code, level, parent in (
        (district, "county", None),
        (street, "township", district),
        (COMMUNITY, "community", street),
    ):
        await registry.emit(
            code,
            "region",
            [RegionDefined(code=code, name=code.rsplit("/", 1)[-1], level=level, parent=parent)],
        )

    async def refused() -> bool:
        resp = await m.client.post(
            "/requests",
            json={"community": SAME_STREET, "target_group": "一老", "service_type": "助餐"},
        )
        return resp.status_code == 422 and resp.json()["error"]["field"] == "community"

    async def accepted() -> bool:
        # Each region is its own event: the tree may be known (refused() is true) a
        # batch before its last community arrives.
        resp = await m.client.post(
            "/requests",
            json={"community": COMMUNITY, "target_group": "一老", "service_type": "助餐"},
        )
        return resp.status_code == 201 and resp.json()["request"]["community"] == COMMUNITY

    assert await eventually(refused)
    assert await eventually(accepted)
    assert await refused()  # a community outside the tree is still refused
    street_level = await m.client.post(
        "/requests",
        json={"community": street + "/", "target_group": "一老", "service_type": "助餐"},
    )
    assert street_level.status_code == 422


async def test_a_region_filter_takes_percent_and_underscore_as_themselves(
    sqlite_url: str, start_matching: Any, producers: dict[str, Producer]
) -> None:
    """``region`` is a place's path: ``%`` or ``_`` in it is that character, not a SQL
    wildcard that lists the providers of every place."""
    m = await start_matching(sqlite_url)
    worker = await producers["registry"].worker("近", region=SAME_STREET)
    await provider_seen(m, worker)
    street = SAME_STREET.rsplit("/", 1)[0]
    assert [p["provider_id"] for p in await m.ok("GET", f"/providers?region={street}")] == [worker]
    for pattern in ("%25", "_", "安定区/%25"):  # %, _, 安定区/% as sent in a query string
        assert await m.ok("GET", f"/providers?region={pattern}") == []


async def test_every_rule_refusal_says_itself_in_chinese_too(
    sqlite_url: str, start_matching: Any
) -> None:
    # A refusal answers in the rule's own Chinese words beside the English (the kernel's
    # fallback for a rule without them: shared/kernel/tests/test_domain_error_zh.py).
    m = await start_matching(sqlite_url)
    resp = await m.client.post("/requests/nope/accept", json={"provider_id": "p"})
    assert resp.status_code == 404, resp.text
    error = resp.json()["error"]
    assert error["message"] == "no request nope"
    assert error["message_zh"] == "没有服务需求 nope"
