"""Who may act on which orders, providers and programmes (issue 7, Access), and the
audit of every full view of a resident's contact: a running matching service with API
keys switched on, over HTTP, real Redis and a real database.

An order belongs to the department that placed it; a volunteer, team or organisation
to the department that registered it; a programme to the department that created it.
A department key is refused (403, the field named in English and Chinese, no event
left behind) on another department's; the provider's side of an order (accept,
decline, start, finish) may also come from the provider's department. The city
administrator acts on everything.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from shegong.kernel.testing import RoleKeys, eventually

from .conftest import COMMUNITY, Matching, Producer

PHONE, ADDRESS = "13809312001", "永定路12号3单元501"


@pytest.fixture
def keys(tmp_path: Path) -> RoleKeys:
    return RoleKeys(tmp_path / "api-keys.json", service="console")


@pytest.fixture
async def m(database_url: str, start_matching: Any, keys: RoleKeys) -> Matching:
    # The text-message sender (a NotificationSent event per offer, every 2 s by default) is
    # not under test here and would append events between a test's ``head`` readings on a
    # loaded machine: it ticks once at start, then not within a test's time.
    matching: Matching = await start_matching(
        database_url, api_keys_file=str(keys.file.path), matching_notify_tick_s=3600
    )
    return matching


def as_(m: Matching, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=m.client._transport,
        base_url=str(m.client.base_url),
        headers={"Authorization": f"Bearer {key}"},
    )


def refused(resp: httpx.Response, field: str | None = "department") -> dict[str, Any]:
    assert resp.status_code == 403, resp.text
    error = resp.json()["error"]
    assert error["code"] == "forbidden"
    assert error["field"] == field
    assert error["message"] and error["message_zh"]
    return error


def ok(resp: httpx.Response) -> Any:
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


ACCESS_LOG = {"AccessRecorded", "ApiKeyIssued", "ApiKeyRevoked"}


async def head(m: Matching) -> int:
    """The last event that is not an access record (a refusal is recorded there)."""
    return max((e.sequence for e in await events(m)), default=0)


async def events(m: Matching, after: int = 0) -> list[Any]:
    every = await m.app.state.runtime.store.read_after(after, 10_000)
    return [e for e in every if e.type not in ACCESS_LOG]


async def volunteer(client: httpx.AsyncClient, name: str) -> str:
    body = {"kind": "volunteer", "name": name, "region": COMMUNITY}
    return ok(await client.post("/providers", json=body))["provider_id"]  # type: ignore[no-any-return]


async def place(client: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    body = {
        "community": COMMUNITY,
        "target_group": "elderly",
        "service_type": "home_visit",
        "resident_phone": PHONE,
        "resident_address": ADDRESS,
        **extra,
    }
    return ok(await client.post("/requests", json=body))["request"]  # type: ignore[no-any-return]


async def test_a_department_acts_only_on_its_own_orders(m: Matching, keys: RoleKeys) -> None:
    async with as_(m, keys.civil) as civil, as_(m, keys.hrss) as hrss:
        ours = await volunteer(civil, "民政志愿者")
        order = await place(civil)
        rid = order["request_id"]
        assert ours in order["offered"]
        placed = next(e for e in await events(m) if e.type == "RequestPlaced")
        assert placed.data["department"] == "civil-affairs"

        before = await head(m)
        error = refused(await hrss.post(f"/requests/{rid}/cancel", json={"reason": "x"}))
        assert "hrss" in error["message"] and "civil-affairs" in error["message"]
        assert "部门" in error["message_zh"]
        refused(await hrss.post(f"/requests/{rid}/escalate"))
        refused(
            await hrss.post(f"/requests/{rid}/assign", json={"provider_id": ours, "staff": "x"})
        )
        # Nor take it for a provider that is not theirs.
        refused(await hrss.post(f"/requests/{rid}/accept", json={"provider_id": ours}))
        refused(
            await hrss.post(f"/requests/{rid}/decline", json={"provider_id": ours, "reason": "x"})
        )
        assert await head(m) == before

        # Its own order runs from 接单 to 回访.
        ok(await civil.post(f"/requests/{rid}/accept", json={"provider_id": ours}))
        refused(await hrss.post(f"/requests/{rid}/start", json={}))
        ok(await civil.post(f"/requests/{rid}/start", json={}))
        refused(await hrss.post(f"/requests/{rid}/finish", json={"hours": 1}))
        ok(await civil.post(f"/requests/{rid}/finish", json={"hours": 1}))
        refused(await hrss.post(f"/requests/{rid}/follow-up", json={"satisfaction": 5}))
        done = ok(await civil.post(f"/requests/{rid}/follow-up", json={"satisfaction": 5}))
        assert done["request"]["status"] == "followed_up"


async def test_the_providers_department_may_take_another_departments_order(
    m: Matching, keys: RoleKeys
) -> None:
    async with as_(m, keys.civil) as civil, as_(m, keys.hrss) as hrss:
        theirs = await volunteer(hrss, "人社志愿者")
        order = await place(civil)
        assert theirs in order["offered"]
        rid = order["request_id"]
        ok(await hrss.post(f"/requests/{rid}/accept", json={"provider_id": theirs}))
        ok(await hrss.post(f"/requests/{rid}/start", json={}))
        ok(await hrss.post(f"/requests/{rid}/finish", json={"hours": 2}))
        # The follow-up is the placing department's.
        refused(await hrss.post(f"/requests/{rid}/follow-up", json={"satisfaction": 4}))
        ok(await civil.post(f"/requests/{rid}/follow-up", json={"satisfaction": 4}))


async def test_the_administrator_acts_on_every_departments_orders(
    m: Matching, keys: RoleKeys
) -> None:
    async with as_(m, keys.civil) as civil, as_(m, keys.hrss) as hrss, as_(m, keys.admin) as admin:
        civil_volunteer = await volunteer(civil, "民政志愿者")
        await volunteer(hrss, "人社志愿者")
        civil_order = (await place(civil))["request_id"]
        hrss_order = (await place(hrss))["request_id"]
        city_order = (await place(admin))["request_id"]  # no department: the city's
        ok(
            await admin.post(
                f"/requests/{civil_order}/accept", json={"provider_id": civil_volunteer}
            )
        )
        ok(await admin.post(f"/requests/{hrss_order}/escalate"))
        ok(await admin.post(f"/requests/{hrss_order}/cancel", json={"reason": "居民撤单"}))
        refused(await civil.post(f"/requests/{city_order}/cancel", json={"reason": "x"}))
        ok(await admin.post(f"/requests/{city_order}/cancel", json={"reason": "重复下单"}))
        # An admin key naming a department places an order for it.
        named = await admin.post(
            "/requests",
            json={"community": COMMUNITY, "target_group": "elderly", "service_type": "home_visit"},
            headers={"X-Department": "hrss"},
        )
        rid = ok(named)["request"]["request_id"]
        ok(await hrss.post(f"/requests/{rid}/cancel", json={"reason": "已解决"}))


async def test_providers_and_programmes_belong_to_the_department_that_made_them(
    m: Matching, keys: RoleKeys
) -> None:
    today = datetime.now(UTC).date()
    async with as_(m, keys.civil) as civil, as_(m, keys.hrss) as hrss, as_(m, keys.admin) as admin:
        ours = await volunteer(civil, "民政志愿者")
        before = await head(m)
        refused(await hrss.put(f"/providers/{ours}/availability", json={"available": False}))
        assert await head(m) == before
        ok(await civil.put(f"/providers/{ours}/availability", json={"capacity": 5}))
        ok(await admin.put(f"/providers/{ours}/availability", json={"available": True}))

        programme = {
            "title": "八段锦晨练",
            "community": COMMUNITY,
            "service_type": "health_management",
            "rrule": "FREQ=DAILY",
            "starts_on": (today - timedelta(days=7)).isoformat(),
        }
        pid = ok(await civil.post("/programmes", json=programme))["programme_id"]
        check_in = {"occurrence": today.isoformat(), "participant": "张阿姨"}
        refused(await hrss.post(f"/programmes/{pid}/check-ins", json=check_in))
        ok(await civil.post(f"/programmes/{pid}/check-ins", json=check_in))
        ok(await admin.post(f"/programmes/{pid}/check-ins", json={**check_in, "participant": "李"}))


async def test_every_full_view_of_a_residents_contact_is_one_audit_event_without_the_values(
    m: Matching, keys: RoleKeys
) -> None:
    async with (
        as_(m, keys.civil) as civil,
        as_(m, keys.hrss) as hrss,
        as_(m, keys.admin) as admin,
        as_(m, keys.auditor) as auditor,
        as_(m, keys.service) as service,
    ):
        ours = await volunteer(civil, "民政志愿者")
        order = await place(civil)
        rid = order["request_id"]
        ok(await civil.post(f"/requests/{rid}/accept", json={"provider_id": ours}))
        contact = f"/requests/{rid}/contact"

        before = await head(m)
        # Not another department's, nor a read-only key's, nor for a provider not serving.
        for client in (hrss, auditor, service):
            refused(await client.get(contact, params={"provider_id": ours}), "request_id")
        refused(await civil.get(contact, params={"provider_id": "someone"}), "provider_id")
        assert await head(m) == before

        asked = datetime.now(UTC)
        shown = ok(
            await civil.get(contact, params={"provider_id": ours}, headers={"X-Actor": "wang.fang"})
        )
        assert shown == {"phone": PHONE, "address": ADDRESS}
        viewed = [e for e in await events(m, before) if e.type == "ResidentContactViewed"]
        assert len(viewed) == 1
        (event,) = viewed
        # Who (the key and the person it named), which order, when.
        assert event.actor == "mz-clerk (wang.fang)" and event.department == "civil-affairs"
        assert asked - timedelta(seconds=1) <= event.time <= datetime.now(UTC)
        assert event.data == {
            "request_id": rid,
            "department": "civil-affairs",
            "provider_id": ours,
            "viewer": "mz-clerk (wang.fang)",
            "viewer_key_id": keys.civil.split("_")[1],  # which key (round 13)
            "viewer_role": "department",
            "viewer_department": "civil-affairs",
            "fields": ["phone", "address"],
        }
        wire = json.dumps(event.model_dump(mode="json"), ensure_ascii=False)
        assert PHONE not in wire and ADDRESS not in wire and "12号3单元" not in wire

        # The administrator sees it too, and that view is one more event.
        after_first = await head(m)
        ok(await admin.get(contact, params={"provider_id": ours}))
        (again,) = [e for e in await events(m, after_first) if e.type == "ResidentContactViewed"]
        assert again.data["viewer"] == "city-admin" and again.data["viewer_role"] == "admin"
        assert again.data["viewer_department"] is None

        # Both views are in the access log the auditors read; departments may not read it.
        log = ok(await auditor.get("/audit/access", params={"type": "ResidentContactViewed"}))
        assert log["types"] == sorted(["ResidentContactViewed", *ACCESS_LOG])
        assert log["total"] == 2
        assert [i["data"]["viewer"] for i in log["items"]] == [
            "city-admin",
            "mz-clerk (wang.fang)",
        ]
        assert PHONE not in json.dumps(log, ensure_ascii=False)
        refused(await civil.get("/audit/access"), None)


async def test_a_social_workers_department_acts_for_them(
    m: Matching, keys: RoleKeys, producers: dict[str, Producer]
) -> None:
    worker = await producers["registry"].worker("李娜")  # on civil-affairs' roster
    async with as_(m, keys.civil) as civil, as_(m, keys.hrss) as hrss:

        async def seen() -> bool:
            return any(p["provider_id"] == worker for p in ok(await civil.get("/providers")))

        await eventually(seen)
        before = await head(m)
        refused(await hrss.put(f"/providers/{worker}/availability", json={"capacity": 4}))
        assert await head(m) == before
        ok(await civil.put(f"/providers/{worker}/availability", json={"capacity": 4}))
        order = await place(hrss)
        assert worker in order["offered"]
        rid = order["request_id"]
        # civil-affairs takes hrss's order for its own worker, and sees the contact.
        ok(await civil.post(f"/requests/{rid}/accept", json={"provider_id": worker}))
        shown = ok(await civil.get(f"/requests/{rid}/contact", params={"provider_id": worker}))
        assert shown["phone"] == PHONE
        (viewed,) = [e for e in await events(m) if e.type == "ResidentContactViewed"]
        assert viewed.data["department"] == "hrss"
        assert viewed.data["viewer_department"] == "civil-affairs"


async def test_a_department_credits_hours_only_to_its_own_providers_at_its_programmes(
    m: Matching, keys: RoleKeys
) -> None:
    """Round 8: a department's programme named another department's volunteer, and its
    check-ins then put hours on that volunteer's national record (which the volunteer's
    own department reports) — a write to another department's records."""
    today = datetime.now(UTC).date()
    async with as_(m, keys.civil) as civil, as_(m, keys.hrss) as hrss, as_(m, keys.admin) as admin:
        theirs = await volunteer(hrss, "人社志愿者")
        ours = await volunteer(civil, "民政志愿者")
        programme = {
            "title": "助餐点",
            "community": COMMUNITY,
            "service_type": "meal_help",
            "rrule": "FREQ=DAILY",
            "starts_on": (today - timedelta(days=7)).isoformat(),
        }
        before = await head(m)
        error = unprocessable(
            await civil.post("/programmes", json={**programme, "provider_id": theirs})
        )
        assert "hrss" not in error["message"] + error["message_zh"]  # not whose it is
        assert "人社志愿者" not in error["message"] and "服务方" in error["message_zh"]
        assert await head(m) == before
        ok(await civil.post("/programmes", json={**programme, "provider_id": ours}))

        # A joint programme the administrator made for civil-affairs (or one made before
        # this check) names hrss's volunteer: civil-affairs' check-ins still may not
        # credit them; the administrator's may.
        joint = ok(
            await admin.post(
                "/programmes",
                json={**programme, "provider_id": theirs},
                headers={"X-Department": "civil-affairs"},
            )
        )["programme_id"]
        served = {"occurrence": today.isoformat(), "provider_id": theirs, "hours": 3}
        before = await head(m)
        unprocessable(await civil.post(f"/programmes/{joint}/check-ins", json=served))
        assert await head(m) == before
        ok(await civil.post(f"/programmes/{joint}/check-ins", json={**served, "provider_id": ours}))
        ok(await admin.post(f"/programmes/{joint}/check-ins", json=served))
        hours = ok(await hrss.get("/hours", params={"provider_id": theirs}))
        assert [e["hours"] for e in hours["entries"]] == [3.0]  # the administrator's only


def unprocessable(resp: httpx.Response, field: str = "provider_id") -> dict[str, Any]:
    assert resp.status_code == 422, resp.text
    error: dict[str, Any] = resp.json()["error"]
    assert error["field"] == field and error["message"] and error["message_zh"]
    return error


async def test_a_day_outside_the_indicators_year_is_the_platforms_error(
    m: Matching, keys: RoleKeys
) -> None:
    """Round 8: it was FastAPI's bare English ``{"detail": "as_of … is not a day of …"}``."""
    async with as_(m, keys.civil) as civil:
        resp = await civil.get("/indicators/services", params={"year": 2024, "as_of": "2023-06-30"})
        assert resp.status_code == 422 and "detail" not in resp.json(), resp.text
        error = unprocessable(resp, "as_of")
        assert "2024" in error["message_zh"] and "年" in error["message_zh"]


async def test_the_hours_ledger_and_its_export_are_bulk_reads_in_the_access_log(
    m: Matching, keys: RoleKeys
) -> None:
    """Round 10: ``/hours`` and ``/hours/export.csv`` give every volunteer's service
    records (who served, where, when) to any key, and were read without a record while the
    hours record (``/volunteers/hours-record``) was recorded. Each is an
    ``AccessRecorded`` now."""
    async with as_(m, keys.hrss) as hrss:
        assert (await hrss.get("/hours", params={"year": 2026})).status_code == 200
        assert (await hrss.get("/hours/export.csv")).status_code == 200
    every = await m.app.state.runtime.store.read_after(0, 10_000)
    reads = [
        (e.data["what"], e.data["path"], e.data["viewer"])
        for e in every
        if e.type == "AccessRecorded" and e.data["outcome"] == "read"
    ]
    assert ("hours_ledger", "/hours", "rs-clerk") in reads, reads
    assert ("hours_export", "/hours/export.csv", "rs-clerk") in reads, reads


async def test_the_order_board_and_providers_are_bulk_reads_recorded_once_per_poll(
    m: Matching, keys: RoleKeys
) -> None:
    """Round 11: ``GET /requests`` (every department's orders with the residents' own
    words and masked contact), the overdue follow-ups, ``GET /providers`` (volunteers by
    name) and a programme's occurrences (who checked in, by name) were served to any key
    without a record, the console polling the order board every 2 s. Each is an
    ``AccessRecorded`` now; the same key asking the same again is covered by its first
    record for ``POLLED`` seconds — ten polls, one record — while other parameters or
    another key are recorded apart."""
    today = datetime.now(UTC).date()
    programme = {"title": "晨练", "community": COMMUNITY, "service_type": "health_management"}
    programme |= {"rrule": "FREQ=DAILY", "starts_on": today.isoformat()}
    async with as_(m, keys.civil) as civil:
        await place(civil)
        pid = ok(await civil.post("/programmes", json=programme))["programme_id"]
    month = {"start": today.isoformat(), "end": (today + timedelta(days=30)).isoformat()}
    for key in (keys.hrss, keys.auditor):
        async with as_(m, key) as client:
            for _ in range(2):
                seen = await client.get(f"/programmes/{pid}/occurrences", params=month)
                assert seen.status_code == 200, seen.text
            for _ in range(10):
                assert (await client.get("/requests")).status_code == 200
            assert (await client.get("/requests", params={"status": "offered"})).status_code == 200
            assert (await client.get("/requests/follow-ups/overdue")).status_code == 200
            assert (await client.get("/providers")).status_code == 200
    every = await m.app.state.runtime.store.read_after(0, 10_000)
    reads = [
        (e.data["what"], e.data["path"], e.data["query"], e.data["viewer"])
        for e in every
        if e.type == "AccessRecorded" and e.data["outcome"] == "read"
    ]
    for who in ("rs-clerk", "audit-office"):
        assert reads.count(("orders_list", "/requests", None, who)) == 1, reads
        assert reads.count(("orders_list", "/requests", "status=offered", who)) == 1, reads
        overdue = ("follow_ups_overdue", "/requests/follow-ups/overdue", None, who)
        assert reads.count(overdue) == 1, reads
        assert reads.count(("providers_list", "/providers", None, who)) == 1, reads
        at = ("programme_attendance", f"/programmes/{pid}/occurrences")
        assert [r for r in reads if r[:2] == at and r[3] == who] == [(*at, urlencode(month), who)]
