"""Residents' contact data over time: deleted a configurable time after the order closed
(one leader's job, an event recording it), and on the resident's erasure request (the
vault and every read model, only the keyed hash left). A running matching service with
API keys, over HTTP, real Redis and a real database (SQLite and PostgreSQL).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from shegong.kernel.events.schema import events_table
from shegong.kernel.events.store import CommandContext, Transaction
from shegong.kernel.ops.db import reading
from shegong.kernel.testing import RoleKeys, eventually
from shegong.matching.adapters.tables import requests, resident_data
from shegong.matching.domain.request import Request

from .conftest import COMMUNITY, Matching
from .test_access import ADDRESS, PHONE, as_, ok, place, refused, volunteer
from .test_h5 import NUMBER as H5_NUMBER
from .test_h5 import order_as_resident

OTHER_PHONE, NOTES = "13909312002", "独居老人王大爷，腿脚不便"


@pytest.fixture
def keys(tmp_path: Path) -> RoleKeys:
    return RoleKeys(tmp_path / "api-keys.json")


async def start(start_matching: Any, database_url: str, keys: RoleKeys, **extra: Any) -> Matching:
    matching: Matching = await start_matching(
        database_url, api_keys_file=str(keys.file.path), **extra
    )
    return matching


async def served(client: httpx.AsyncClient, provider: str, **extra: Any) -> str:
    """An order delivered and followed up (closed), its contact still in the vault."""
    rid: str = (await place(client, **extra))["request_id"]
    ok(await client.post(f"/requests/{rid}/accept", json={"provider_id": provider}))
    ok(await client.post(f"/requests/{rid}/finish", json={"hours": 1.5}))
    ok(await client.post(f"/requests/{rid}/follow-up", json={"satisfaction": 5}))
    return rid


async def figures(client: httpx.AsyncClient) -> dict[str, Any]:
    """This year's indicators, without the event position they were read at."""
    year = datetime.now(UTC).year
    body: dict[str, Any] = ok(await client.get("/indicators/services", params={"year": year}))
    body.pop("as_of", None)
    return body


async def vault(m: Matching) -> dict[str, Any]:
    async with reading(m.app.state.runtime.engine) as conn:
        return {r.request_id: r for r in await conn.execute(select(resident_data))}


async def stored_events(m: Matching) -> list[dict[str, Any]]:
    async with reading(m.app.state.runtime.engine) as conn:
        rows = await conn.execute(
            select(events_table.c.type, events_table.c.data).order_by(events_table.c.position)
        )
        return [{"type": t, "data": d if isinstance(d, dict) else json.loads(d)} for t, d in rows]


async def replayed_equals_rows(m: Matching) -> None:
    """Each order's row says what its events, replayed, say (a rebuild shows no more)."""
    store = m.app.state.runtime.store
    async with reading(store.engine) as conn:
        rows = list(await conn.execute(select(requests)))
        tx = Transaction(store, conn, CommandContext())
        for row in rows:
            request = await tx.load(Request, row.request_id)
            assert request is not None
            view = request.view()
            for field in ("status", "version", "notes", "resident_phone_masked"):
                assert getattr(row, field) == view[field], (field, row.request_id)
            assert row.resident_address_masked == view["resident_address_masked"]


async def test_the_contact_is_purged_a_configured_time_after_the_order_closed(
    database_url: str, start_matching: Any, keys: RoleKeys
) -> None:
    m = await start(start_matching, database_url, keys, matching_contact_retention_days=30)
    async with as_(m, keys.civil) as civil, as_(m, keys.auditor) as auditor:
        helper = await volunteer(civil, "民政志愿者")
        closed = await served(civil, helper)
        still_open = (await place(civil))["request_id"]
        indicators = await figures(auditor)
        job = m.app.state.retention
        now = datetime.now(UTC)

        assert await job.purge_due(now + timedelta(days=29)) == 0  # not yet
        assert (await vault(m))[closed].phone == PHONE
        assert await job.purge_due(now + timedelta(days=31)) == 1
        assert await job.purge_due(now + timedelta(days=31)) == 0  # once

        rows = await vault(m)
        assert rows[closed].phone is None and rows[closed].address is None
        assert rows[closed].purge_reason == "retention" and rows[closed].purged_at
        assert rows[closed].phone_hash  # the keyed reference stays
        assert (rows[still_open].phone, rows[still_open].address) == (PHONE, ADDRESS)

        (event,) = [e for e in await stored_events(m) if e["type"] == "ResidentContactPurged"]
        assert event["data"]["request_id"] == closed
        assert event["data"]["reason"] == "retention"
        assert event["data"]["fields"] == ["phone", "address"]
        assert PHONE not in json.dumps(await stored_events(m), ensure_ascii=False)

        # The order and its indicators stay; its contact says it was deleted.
        order = ok(await civil.get(f"/requests/{closed}"))
        assert order["status"] == "followed_up" and order["satisfaction"] == 5
        assert order["resident_phone_masked"]  # masked forms stay until an erasure
        assert await figures(auditor) == indicators
        resp = await civil.get(f"/requests/{closed}/contact", params={"provider_id": helper})
        assert resp.status_code == 410, resp.text
        error = resp.json()["error"]
        assert error["code"] == "purged" and error["field"] == "request_id"
        assert "deleted after the retention period" in error["message"]
        assert "保存期满后删除" in error["message_zh"]
    await replayed_equals_rows(m)


async def test_the_leader_runs_the_retention_job(
    database_url: str, start_matching: Any, keys: RoleKeys
) -> None:
    m = await start(
        start_matching,
        database_url,
        keys,
        matching_contact_retention_days=1e-6,  # a tenth of a second
        matching_contact_retention_tick_s=0.1,
    )
    async with as_(m, keys.civil) as civil:
        rid = (await place(civil))["request_id"]
        await eventually(lambda: _has(m, rid, PHONE))  # open: kept
        ok(await civil.post(f"/requests/{rid}/cancel", json={"reason": "居民取消"}))

        async def purged() -> bool:
            return (await vault(m))[rid].purged_at is not None

        await eventually(purged)
    assert m.app.state.retention.is_leader and m.app.state.retention.purged_total == 1


async def _has(m: Matching, rid: str, phone: str) -> bool:
    return (await vault(m))[rid].phone == phone


async def test_an_erasure_request_leaves_only_keyed_references(
    database_url: str, start_matching: Any, keys: RoleKeys
) -> None:
    m = await start(start_matching, database_url, keys)
    async with (
        as_(m, keys.civil) as civil,
        as_(m, keys.admin) as admin,
        as_(m, keys.auditor) as auditor,
    ):
        helper = await volunteer(civil, "民政志愿者")
        done = await served(civil, helper, notes=NOTES)
        active = (await place(civil, notes=NOTES))["request_id"]
        ok(await civil.post(f"/requests/{active}/accept", json={"provider_id": helper}))
        other = (await place(civil, resident_phone=OTHER_PHONE))["request_id"]
        indicators = await figures(auditor)

        # The city administrator's alone; one of the phone or its hash, named.
        refused(await civil.post("/residents/erasure", json={"phone": PHONE}), None)
        refused(await auditor.post("/residents/erasure", json={"phone": PHONE}), None)
        resp = await admin.post("/residents/erasure", json={})
        assert resp.status_code == 422 and resp.json()["error"]["field"] == "phone"
        assert "二选一" in resp.json()["error"]["message"]

        erased = ok(await admin.post("/residents/erasure", json={"phone": PHONE}))
        assert sorted(erased["orders"]) == sorted([done, active]) and erased["erased"] == 2
        key = erased["resident_phone_hash"]
        again = ok(await admin.post("/residents/erasure", json={"phone_hash": key}))
        assert again["erased"] == 0  # nothing left to erase

        rows = await vault(m)
        for rid in (done, active):
            assert (rows[rid].phone, rows[rid].address, rows[rid].phone_hash) == (None, None, key)
            assert rows[rid].purge_reason == "erasure"
            order = ok(await civil.get(f"/requests/{rid}"))
            assert order["resident_phone_masked"] is None
            assert order["resident_address_masked"] is None and order["notes"] is None
        assert rows[other].phone == OTHER_PHONE  # another resident's stays
        assert ok(await civil.get(f"/requests/{other}"))["resident_phone_masked"]

        # Recorded, with the keyed hash only; the serving provider is told it is gone.
        purges = [e["data"] for e in await stored_events(m) if e["type"] == "ResidentContactPurged"]
        assert {p["request_id"] for p in purges} == {done, active}
        assert all(p["reason"] == "erasure" and p["resident_phone_hash"] == key for p in purges)
        assert set(purges[0]["fields"]) == {
            "phone",
            "address",
            "phone_masked",
            "address_masked",
            "notes",
        }
        wire = json.dumps(await stored_events(m), ensure_ascii=False)
        assert PHONE not in wire and ADDRESS not in wire
        resp = await civil.get(f"/requests/{active}/contact", params={"provider_id": helper})
        assert resp.status_code == 410 and "应居民本人要求" in resp.json()["error"]["message_zh"]

        # The orders and their indicators stay; the order carries on.
        assert await figures(auditor) == indicators
        ok(await civil.post(f"/requests/{active}/finish", json={"hours": 1}))
        assert ok(await civil.get(f"/requests/{active}"))["resident_phone_masked"] is None

        # On the bus too: no value, the erasure events with the keyed hash.
        runtime = m.app.state.runtime

        async def published() -> str:  # the relay publishes after the commit
            entries = await runtime.redis.xrange(runtime.stream)
            raw = "".join(
                (v.decode() if isinstance(v, bytes) else str(v))
                for _, e in entries
                for v in e.values()
            )
            return raw if raw.count("ResidentContactPurged") >= 2 else ""

        raw = await eventually(published, timeout=30)
        assert PHONE not in raw and ADDRESS not in raw
    # A rebuild of each order from its events brings back none of it.
    await replayed_equals_rows(m)


async def test_the_feed_serves_an_erased_order_without_the_residents_words(
    database_url: str, start_matching: Any, keys: RoleKeys
) -> None:
    """Round 10, probed on ``shegong up``: after an erasure the read models and a replay
    showed no notes and no masks, but ``GET /events`` still served the order's
    ``RequestPlaced`` with the resident's notes (name, illness, where the key is) and the
    masks of their phone and address — to any department's key, the service's too. The
    feed now serves it as the read models show it; another resident's order is untouched."""
    m = await start(start_matching, database_url, keys)
    async with as_(m, keys.civil) as civil, as_(m, keys.admin) as admin:
        erased = (await place(civil, notes=NOTES))["request_id"]
        kept = (await place(civil, resident_phone=OTHER_PHONE, notes=NOTES))["request_id"]
        ok(await admin.post("/residents/erasure", json={"phone": PHONE}))
    for key in (keys.hrss, keys.auditor, keys.service, keys.admin):
        async with as_(m, key) as client:
            page = ok(await client.get("/events", params={"after": 0, "limit": 5000}))
        placed = {
            e["data"]["request_id"]: e["data"]
            for e in page["events"]
            if e["type"] == "RequestPlaced"
        }
        gone = placed[erased]
        assert (gone["notes"], gone["resident_phone_masked"], gone["resident_address_masked"]) == (
            None,
            None,
            None,
        ), gone
        assert NOTES not in json.dumps(page, ensure_ascii=False).replace(
            json.dumps(placed[kept], ensure_ascii=False), ""
        )
        assert placed[kept]["notes"] == NOTES and placed[kept]["resident_phone_masked"]


async def test_whether_a_contact_was_erased_is_told_only_to_who_may_see_it(
    database_url: str, start_matching: Any, keys: RoleKeys
) -> None:
    """Redteam round 3: any key asking for another department's order's contact was told
    410 "deleted at the resident's request on <day>" — before being told it may not see
    it; a live order's answered 403. Now the refusal comes first, the same either way."""
    m = await start(start_matching, database_url, keys)
    async with (
        as_(m, keys.civil) as civil,
        as_(m, keys.admin) as admin,
        as_(m, keys.hrss) as hrss,
        as_(m, keys.auditor) as auditor,
    ):
        helper = await volunteer(civil, "民政志愿者")
        erased = (await place(civil))["request_id"]
        live = (await place(civil, resident_phone=OTHER_PHONE))["request_id"]
        for rid in (erased, live):
            ok(await civil.post(f"/requests/{rid}/accept", json={"provider_id": helper}))
        ok(await admin.post("/residents/erasure", json={"phone": PHONE}))
        for outsider in (hrss, auditor):
            answers = [
                await outsider.get(f"/requests/{rid}/contact", params={"provider_id": helper})
                for rid in (erased, live)
            ]
            assert [a.status_code for a in answers] == [403, 403], [a.text for a in answers]
            assert answers[0].json()["error"] == answers[1].json()["error"]
            assert "应居民本人要求" not in answers[0].text
        # The order's own department still learns why there is nothing to show.
        resp = await civil.get(f"/requests/{erased}/contact", params={"provider_id": helper})
        assert resp.status_code == 410 and "应居民本人要求" in resp.json()["error"]["message_zh"]
        assert ok(await civil.get(f"/requests/{live}/contact", params={"provider_id": helper}))


async def test_a_resident_erases_their_data_from_their_own_page(
    database_url: str, start_matching: Any
) -> None:
    m: Matching = await start_matching(database_url)
    await m.ok(
        "POST", "/providers", {"kind": "volunteer", "name": "张志愿", "region": COMMUNITY}, 201
    )
    async with (
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=m.app), base_url="http://m"
        ) as resident,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=m.app), base_url="http://m"
        ) as stranger,
    ):
        order = await order_as_resident(m, resident)
        rid = order.split("/h5/o/")[1].split("?")[0]
        assert "删除我的信息" in (await resident.get("/h5/me")).text
        # Without the phone's cookie: nothing to erase, nothing erased.
        assert (await stranger.post("/h5/me/erase")).status_code == 403
        assert (await vault(m))[rid].phone == H5_NUMBER

        assert (await resident.get("/h5/me/erase")).status_code == 200
        done = await resident.post("/h5/me/erase")
        assert done.status_code == 200 and "已删除您 1 个订单" in done.text
        row = (await vault(m))[rid]
        assert (row.phone, row.address, row.purge_reason) == (None, None, "erasure")
        assert (await m.request(rid))["notes"] is None
        # The cookie is gone: the page asks for the phone again.
        assert (await resident.get("/h5/me")).status_code == 403
    (event,) = [e for e in await stored_events(m) if e["type"] == "ResidentContactPurged"]
    assert event["data"]["reason"] == "erasure" and event["data"]["request_id"] == rid
    await replayed_equals_rows(m)


async def test_the_workers_page_says_the_contact_was_erased(
    database_url: str, start_matching: Any
) -> None:
    m: Matching = await start_matching(database_url)
    body = {"kind": "volunteer", "name": "张志愿", "region": COMMUNITY}
    helper = (await m.ok("POST", "/providers", body, 201))["provider_id"]
    rid = (await m.place(resident_phone=PHONE))["request"]["request_id"]
    await m.ok("POST", f"/requests/{rid}/accept", {"provider_id": helper})
    link = (await m.ok("POST", f"/providers/{helper}/worker-link"))["url"]
    await m.ok("POST", "/residents/erasure", {"phone": PHONE})
    page = await m.client.post(f"{link}/{rid}/contact")
    assert page.status_code == 403 and "应居民本人要求删除" in page.text
    assert PHONE not in page.text


async def test_another_origin_cannot_post_the_residents_pages_with_their_cookie(
    database_url: str, start_matching: Any
) -> None:
    """Round 8: the resident's cookie is SameSite=Strict, which stops other *sites* but
    not another origin of the same site — another port of the same host (any page
    ``shegong up``'s machine serves), a sibling sub-domain of the city's domain. Such a
    page posted ``/h5/me/erase`` with the resident's cookie and their contact data was
    deleted for good. A POST whose ``Origin`` (else ``Referer``) is not the page's own
    origin is now refused, 403 in Chinese, nothing done."""
    m: Matching = await start_matching(database_url)
    await m.ok(
        "POST", "/providers", {"kind": "volunteer", "name": "张志愿", "region": COMMUNITY}, 201
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=m.app), base_url="http://m"
    ) as resident:
        order = await order_as_resident(m, resident)
        rid = order.split("/h5/o/")[1].split("?")[0]
        for foreign in (
            {"Origin": "http://m:8080"},
            {"Origin": "http://other.m"},
            {"Origin": "null"},
            {"Referer": "http://other.m/page"},
        ):
            refused_page = await resident.post("/h5/me/erase", headers=foreign)
            assert refused_page.status_code == 403, (foreign, refused_page.text)
            assert "本页面" in refused_page.text
            assert (await vault(m))[rid].phone == H5_NUMBER
        # The resident's own page posts with its own origin (browsers send it), or none.
        done = await resident.post("/h5/me/erase", headers={"Origin": "http://m"})
        assert done.status_code == 200 and "已删除您 1 个订单" in done.text
        assert (await vault(m))[rid].phone is None
