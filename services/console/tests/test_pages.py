"""The console's pages against services answered in-process (httpx.MockTransport): what it
sends them (the user's key), and what it shows when they refuse (401/403) or are absent."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from shegong.console.api import matching as matching_api
from shegong.console.api import registry as registry_api
from shegong.console.main import build
from shegong.console.month import Month
from shegong.console.pages.audit import Log, merged
from shegong.console.pages.orders import column_of
from shegong.console.pages.training import page_links
from shegong.console.settings import ConsoleSettings
from shegong.console.testing import CSRF_META, csrf_aware

GOOD_KEY = "k-good-0001"
ROLE_KEY = "k-clerk-0002"  # a valid key whose role may not read the census
AUDIT_KEY = "k-audit-0003"  # reads everything, changes nothing
DEPT_KEY = "k-dept-0004"  # changes its own department's records
WHO = {
    GOOD_KEY: {"name": "city-admin", "role": "admin", "department": None, "writes": "all"},
    AUDIT_KEY: {"name": "审计局", "role": "auditor", "department": None, "writes": "nothing"},
    DEPT_KEY: {
        "name": "mz-clerk",
        "role": "department",
        "department": "civil-affairs",
        "writes": "own_department",
    },
}


def services(seen: list[httpx.Request], training: dict[str, Any] | None = None) -> Callable:
    """Registry and matching that want ``Bearer GOOD_KEY``; training only when given."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        host, path = request.url.host, request.url.path
        if host == "training":
            if training is None:
                raise httpx.ConnectError("refused", request=request)
            if path == "/openapi.json":
                return httpx.Response(200, json=training)
            if path == "/indicators/training":
                return httpx.Response(200, json=TRAINING_INDICATORS)
            if path == "/sessions":
                return httpx.Response(200, json=[SESSION_LISTED])
            if path == "/sessions/s-1":
                return httpx.Response(200, json=SESSION)
            if path == "/sessions/s-1/signin-sheet" and request.method == "POST":
                assert b"sheet.csv" in request.read()
                return httpx.Response(
                    200,
                    json={
                        "rows_read": 2,
                        "new": 2,
                        "changed": 0,
                        "unchanged": 0,
                        "rejected": [],
                        "warnings": [],
                    },
                )
            return httpx.Response(404, json={"detail": "Not Found"})
        auth = request.headers.get("Authorization")
        if auth == f"Bearer {ROLE_KEY}":
            return httpx.Response(403, json={"error": {"message": "role clerk may not"}})
        key = (auth or "").removeprefix("Bearer ")
        if key not in WHO:
            return httpx.Response(401, json={"error": {"message": "a valid key is required"}})
        if path == "/whoami":
            return httpx.Response(200, json={**WHO[key], "auth": "keys"})
        if key == AUDIT_KEY and request.method == "POST":
            return httpx.Response(
                403,
                json={"error": {"message": "role auditor may not", "message_zh": "审计只能查看"}},
            )
        if path == "/census/status":
            return httpx.Response(200, json=CENSUS_STATUS)
        if path == "/regions":
            return httpx.Response(200, json=[])
        if path == "/indicators/workforce":
            return httpx.Response(200, json=WORKFORCE)
        if path == "/indicators/services":
            return httpx.Response(404, json={"error": {"message": "no such year"}})
        return httpx.Response(404, json={"detail": "Not Found"})

    return answer


# The services' answers as their published documents give them (the console reads them
# with models generated from those documents: a body of another shape is refused).
AS_OF = {"census_version": 1, "computed_at": "2026-01-01T00:00:00+00:00", "positions": {}}
CENSUS_STATUS = {"records": 3, "persons": 2, "in_review": 0, "as_of": AS_OF}
SESSION = {
    "session_id": "s-1",
    "title": "岗前培训第一期",
    "kind": "prejob",
    "kind_zh": "岗前培训",
    "held_on": "2026-02-10",
    "hours": 6,
    "enrolled": 0,
    "attendance": [],
}
SESSION_LISTED = {
    **{k: v for k, v in SESSION.items() if k != "attendance"},
    "base_name": None,
    "region": None,
    "tier": None,
}
WORKFORCE = {
    "as_of": AS_OF,
    "as_of_date": "2026-12-31",
    "year": 2026,
    "region": None,
    "certified_in_community": 400,
    "certified_yoy": 0.14,
    "conversion_rate": None,
    "new_community_workers": 2,
    "new_professionals": 234,
    "newly_certified": 56,
    "professionals": 1234,
    "professionals_prev": 1000,
    "professionals_yoy": 0.234,
    "certified": 456,
    "certified_prev": 400,
    "community_workers": 17,
    "urban_population": 10000,
    "community_workers_per_10k": 17.0,
    "senior": 3,
    "expert_pool": 2,
    "by_level": {"assistant": 300, "intermediate": 150, "senior": 6},
    "basis": "best_estimate",
    "review": {
        "queued_pairs": 12,
        "counted_as_one": 9,
        "persons_linked": 1300,
        "persons_estimated": 1291,
    },
}

TRAINING_INDICATORS = {
    "year": 2026,
    "as_of": {},
    "as_of_date": "2026-12-31",
    "region": None,
    "hours": 18,
    "session_hours": 18,
    "trainees": 40,
    "examprep_pass_rate": {"denominator": 0, "numerator": 0, "participants": 0, "value": None},
    "prejob_coverage": {"denominator": 0, "numerator": 0, "value": None, "window_days": 90},
    "sessions": 3,
    "person_times": 42,
    "by_kind": {"prejob": {"label_zh": "岗前培训", "sessions": 2, "person_times": 30}},
    "by_tier": {"city": {"label_zh": "市级", "sessions": 3, "person_times": 42}},
    "labels_zh": {"sessions": "培训班次", "person_times": "培训人次"},
}

TRAINING_OPENAPI = {
    "paths": {
        "/health": {"get": {}},
        "/indicators/training": {
            "get": {
                "summary": "Training indicators",
                "parameters": [{"name": "year", "in": "query"}, {"name": "region", "in": "query"}],
            }
        },
        "/sessions": {"get": {"summary": "Sessions", "parameters": []}},
        "/sessions/{session_id}": {"get": {"summary": "One session"}},
        "/sessions/{session_id}/signin-sheet": {
            "post": {
                "summary": "Sign-in sheet",
                "requestBody": {
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "properties": {"file": {"type": "string", "format": "binary"}},
                                "required": ["file"],
                            }
                        }
                    }
                },
            }
        },
    }
}


async def console(
    seen: list[httpx.Request], training: dict[str, Any] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    settings = ConsoleSettings(
        registry_url="http://registry",
        matching_url="http://matching",
        training_url="http://training",
        session_secret="s" * 32,
    )
    app = build(settings, transport=httpx.MockTransport(services(seen, training)))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://console"
        ) as client,
    ):
        yield csrf_aware(client)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async for c in console([]):
        yield c


async def test_pages_need_a_session(client: httpx.AsyncClient) -> None:
    response = await client.get("/census")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/census"


async def test_a_wrong_key_is_refused_with_the_reason(client: httpx.AsyncClient) -> None:
    response = await client.post("/login", data={"api_key": "nope"})
    assert response.status_code == 401
    assert "未登录或密钥无效" in response.text and "a valid key is required" in response.text


async def test_the_key_goes_to_the_services_and_stays_out_of_reach_of_scripts() -> None:
    seen: list[httpx.Request] = []
    async for client in console(seen):
        response = await client.post("/login", data={"api_key": GOOD_KEY, "next": "/census"})
        assert response.status_code == 303 and response.headers["location"] == "/census"
        cookie = response.headers["set-cookie"]
        assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
        seen.clear()
        page = await client.get("/dashboard")
        assert page.status_code == 200
        assert {r.headers.get("Authorization") for r in seen if r.url.host == "registry"} == {
            f"Bearer {GOOD_KEY}"
        }
        # The figure shown is the API's; the service that failed says so, the rest shows.
        assert 'data-value="1234"' in page.text
        # While pairs wait for a clerk the figures say they are the best estimate.
        basis = page.text.split('data-testid="workforce-basis">', 1)[1].split("</p>", 1)[0]
        assert "最佳估计" in basis and 'data-value="9"' in basis and 'data-value="12"' in basis
        assert "服务返回错误" in page.text and "no such year" in page.text
        assert "key …0001" in page.text or "密钥 …0001" in page.text
        await client.post("/logout")
        assert (await client.get("/dashboard")).status_code == 303


async def test_a_role_that_may_not_see_is_told_so() -> None:
    async for client in console([]):
        response = await client.post("/login", data={"api_key": ROLE_KEY})
        assert response.status_code == 303, "a valid key signs in; pages say what it may not see"
        census = await client.get("/census")
        assert census.status_code == 403
        assert "无权查看人员库" in census.text, "the header says what the services answered"
        assert "你的角色无权查看此内容" in census.text
        english = await client.get("/census?lang=en")
        assert "Your role may not see this" in english.text
        board = await client.get("/services/board")
        assert board.status_code == 200, "HTMX swaps only successful answers"
        assert "Your role may not see this" in board.text and 'data-column="new"' in board.text


async def test_training_absent_then_present_from_its_openapi() -> None:
    async for client in console([]):
        await client.post("/login", data={"api_key": GOOD_KEY})
        absent = await client.get("/training")
        assert "培训服务暂不可用" in absent.text
    async for client in console([], TRAINING_OPENAPI):
        await client.post("/login", data={"api_key": GOOD_KEY})
        page = await client.get("/training/data?view=/sessions")
        assert "GET /sessions" in page.text and "岗前培训" in page.text
        assert 'data-session="s-1"' in page.text, "a session links to its own page"
        one = await client.get("/training/data", params={"view": "/sessions/s-1"})
        assert "GET /sessions/s-1" in one.text
        unknown = await client.get("/training/data", params={"view": "/admin/keys"})
        assert "GET /admin/keys" not in unknown.text, "only documented paths are read"
        assert 'value="/sessions/{session_id}/signin-sheet"' in page.text
        report = await client.post(
            "/training/upload",
            data={"_path": "/sessions/{session_id}/signin-sheet", "session_id": "s-1"},
            files={"file": ("sheet.csv", b"name\n")},
        )
        assert 'data-testid="rows-read">2<' in report.text
        dashboard = await client.get("/dashboard?year=2026")
        assert 'data-indicator="training.person_times"><span data-value="42">' in dashboard.text
        assert "培训人次" in dashboard.text and 'id="chart-training"' in dashboard.text


def test_the_board_columns_follow_status_and_level() -> None:
    def order(status: str, level: str | None = None) -> matching_api.RequestRow:
        return matching_api.RequestRow.model_validate(
            {
                **ORDER,
                "request_id": "r-1",
                "status": status,
                "level": level,
                "declined": [],
                "offered": [],
                "placed_ts": 1.0,
                "placed_year": 2026,
                "reopened": 0,
                "version": 1,
            }
        )

    assert column_of(order("open")) == "new"
    assert column_of(order("offered")) == "offered"
    assert column_of(order("offered", "street")) == "escalated"
    assert column_of(order("in_delivery")) == "accepted"
    assert column_of(order("completed")) == "follow_up"
    assert column_of(order("followed_up")) == "done"
    assert column_of(order("cancelled")) is None


def test_service_urls_come_from_the_env_or_the_feeds() -> None:
    feeds = json.dumps(
        {"/shegong/registry/city": "http://r:8101/", "/shegong/matching/city": "http://m"}
    )
    settings = ConsoleSettings.model_validate(
        {"feeds": json.loads(feeds), "matching_url": "http://x"}
    )
    assert settings.service_url("registry") == "http://r:8101"
    assert settings.service_url("matching") == "http://x"
    assert settings.service_url("training") is None


async def test_the_session_cookie_is_encrypted_and_a_tampered_one_is_refused() -> None:
    async for client in console([]):
        response = await client.post("/login", data={"api_key": GOOD_KEY})
        header = response.headers["set-cookie"]
        assert "httponly" in header.lower() and "samesite=lax" in header.lower()
        assert "secure" not in header.lower(), "plain http: the browser would drop it"
        value = client.cookies["shegong_console"]
        assert GOOD_KEY not in value
        decoded = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        assert GOOD_KEY.encode() not in decoded, "not even base64-encoded"
        assert (await client.get("/dashboard")).status_code == 200
        # One character changed: no session, back to login (and the bad cookie is dropped).
        flipped = value[:20] + ("A" if value[20] != "A" else "B") + value[21:]
        client.cookies.set("shegong_console", flipped)
        refused = await client.get("/dashboard")
        assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
        assert "shegong_console=null" in refused.headers.get("set-cookie", "")
        # A cookie starlette's signed-only session would have accepted is no session here.
        client.cookies.set("shegong_console", base64.b64encode(b'{"signed_in": true}').decode())
        assert (await client.get("/dashboard")).status_code == 303


async def test_the_session_cookie_is_secure_over_https() -> None:
    app = build(
        ConsoleSettings(registry_url="http://registry", session_secret="s" * 32),
        transport=httpx.MockTransport(services([])),
    )
    async with (
        LifespanManager(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://console"
        ) as client,
    ):
        response = await csrf_aware(client).post("/login", data={"api_key": GOOD_KEY})
        assert "; secure" in response.headers["set-cookie"].lower()


async def test_the_new_pages_say_what_is_missing_instead_of_failing() -> None:
    async for client in console([]):
        await client.post("/login", data={"api_key": GOOD_KEY})
        calendar = await client.get("/training/calendar?month=2026-02")
        assert calendar.status_code == 200 and 'data-testid="training-absent"' in calendar.text
        one = await client.get("/training/sessions/s-1")
        assert 'data-testid="training-absent"' in one.text
        for path in ("/training", "/training/exams"):
            view = await client.get(path)
            assert view.status_code == 200 and 'data-testid="training-absent"' in view.text
            assert 'data-testid="training-tabs"' in view.text, path
        ladder = await client.get("/training/ladder")
        assert ladder.status_code == 200 and "registry" in ladder.text
        assert 'data-testid="problem"' in ladder.text, "the registry's answer, not a crash"
    async for client in console([], TRAINING_OPENAPI):
        await client.post("/login", data={"api_key": GOOD_KEY})
        calendar = await client.get("/training/calendar?month=2026-02")
        assert 'data-month="2026-02"' in calendar.text and "month=2026-03" in calendar.text
        one = await client.get("/training/sessions/s-1")
        assert 'data-testid="enrol-form"' not in one.text, "training documents no enrolment"
    async for client in console([]):
        await client.post("/login", data={"api_key": ROLE_KEY})
        panel = await client.get("/services/orders/r-1/candidates")
        assert panel.status_code == 200 and "你的角色无权查看此内容" in panel.text
        assigned = await client.post(
            "/services/orders/r-1/assign", data={"provider_id": "p", "staff": "s"}
        )
        assert 'hx-swap-oob="true"' in assigned.text and "role clerk may not" in assigned.text


def test_a_month_parses_and_steps_across_years() -> None:
    today = dt.date(2026, 11, 29)
    assert Month.parse("2026-12", today).next == "2027-01"
    assert Month.parse("2026-01", today).prev == "2025-12"
    assert Month.parse("nonsense", today).key == "2026-11"
    assert Month.parse("2026-13", today).key == "2026-11"
    february = Month.parse("2028-2", today)
    assert february.last == dt.date(2028, 2, 29) and february.weeks[0][0].weekday() == 0


async def test_who_is_signed_in_is_asked_once_and_an_auditor_is_offered_no_change() -> None:
    seen: list[httpx.Request] = []
    async for client in console(seen):
        await client.post("/login", data={"api_key": GOOD_KEY})
        for _ in range(3):
            page = await client.get("/dashboard")
        asked = [r for r in seen if r.url.path == "/whoami"]
        assert len(asked) == 1, "once per session, not once per page"
        assert 'data-testid="who-name">city-admin<' in page.text and "市级管理员" in page.text
        assert 'data-testid="read-only"' not in page.text
    async for client in console([]):
        await client.post("/login", data={"api_key": DEPT_KEY})
        page = await client.get("/dashboard")
        assert 'data-testid="who-department">civil-affairs<' in page.text and "部门" in page.text
        assert 'data-testid="own-department"' in page.text and "仅可修改本部门" in page.text
        assert 'data-testid="read-only"' not in page.text
    async for client in console([]):
        await client.post("/login", data={"api_key": AUDIT_KEY})
        page = await client.get("/census?lang=en")
        assert 'data-testid="read-only"' in page.text and "Auditor" in page.text
        assert 'data-testid="roster-form"' not in page.text
        # A change asked for anyway: the service's 403, told as a refused change.
        refused = await client.post(
            "/services/orders",
            data={"community": "a/b/c", "target_group": "elderly", "service_type": "x"},
        )
        assert refused.status_code == 403
        assert "Your role may not make this change" in refused.text
        assert "role auditor may not" in refused.text
        # In Chinese, the service's own Chinese wording.
        await client.get("/census?lang=zh")
        refused = await client.post(
            "/services/orders",
            data={"community": "a/b/c", "target_group": "elderly", "service_type": "x"},
        )
        assert "审计只能查看" in refused.text and "role auditor may not" not in refused.text


def test_a_page_of_results_links_to_its_neighbours_keeping_the_filters() -> None:
    middle = page_links("/training/exams", {"year": "2025", "level": ""}, 120, 50)
    assert (middle["first"], middle["last"], middle["total"]) == (51, 100, 120)
    assert middle["prev"] == "/training/exams?year=2025&offset=0"
    assert middle["next"] == "/training/exams?year=2025&offset=100"
    last = page_links("/training/ladder", {"step": "expert_pool"}, 120, 100)
    assert last["next"] is None and last["last"] == 120
    nothing = page_links("/training/exams", {}, 0, 0)
    assert (nothing["first"], nothing["total"], nothing["prev"], nothing["next"]) == (
        0,
        0,
        None,
        None,
    )


def test_the_access_log_merges_the_services_newest_first_a_page_at_a_time() -> None:
    def record(position: int, at: str) -> registry_api.AccessRecord:
        body = {"position": position, "type": "X", "occurred_at": at, "data": {}}
        return registry_api.AccessRecord.model_validate({**body, "actor": None, "department": None})

    found = {  # SQLite answers naive UTC times, PostgreSQL aware ones
        "registry": Log(2, [record(9, "2026-11-29T10:00:00"), record(3, "2026-11-28T09:00:00")]),
        "matching": Log(1, [record(4, "2026-11-29T09:30:00+00:00")]),
    }
    first = [(r.service, r.record.position) for r in merged(found, 0)]
    assert first == [("registry", 9), ("matching", 4), ("registry", 3)]
    assert [(r.service, r.record.position) for r in merged(found, 2)] == [("registry", 3)]


ORDER = {
    "community": "东关社区",
    "target_group": "elderly",
    "service_type": "meal",
    "urgency": "routine",
}


async def test_a_cross_site_post_is_refused_and_nothing_reaches_the_services() -> None:
    """Issue 16 (6): a hostile page's form posted with the session cookie created an order,
    and a forged login signed the victim in with the attacker's key."""
    seen: list[httpx.Request] = []
    async for client in console(seen):
        assert (await client.post("/login", data={"api_key": GOOD_KEY})).status_code == 303
        page = await client.get("/services")
        token = CSRF_META.search(page.text)
        assert token and f'name="csrf_token" value="{token.group(1)}"' in page.text
        assert f'hx-headers=\'{{"X-CSRF-Token": "{token.group(1)}"}}\'' in page.text
        client.event_hooks = {"request": [], "response": []}  # now as a hostile page would
        seen.clear()
        hostile = {"Origin": "http://evil.example"}
        refused = await client.post("/services/orders", data=ORDER, headers=hostile)
        assert refused.status_code == 403 and "CSRF" in refused.text and "跨站" in refused.text
        # Same origin claimed, but no token (or a wrong one): refused too.
        for extra in ({}, {"csrf_token": "x" * 43}):
            resp = await client.post("/services/orders", data={**ORDER, **extra})
            assert resp.status_code == 403
        referer = {"Referer": "http://127.0.0.1:8101/docs", "X-CSRF-Token": token.group(1)}
        assert (
            await client.post("/services/orders", data=ORDER, headers=referer)
        ).status_code == 403
        assert [r for r in seen if r.method == "POST"] == [], "nothing was forwarded"
        # With the page's token (as the form sends it), from the console itself: accepted.
        ok = await client.post(
            "/services/orders",
            data={**ORDER, "csrf_token": token.group(1)},
            headers={"Origin": "http://console"},
        )
        assert ok.status_code != 403 and "csrf-refused" not in ok.text, ok.text
        # (the stub services answer no order: what counts is that it was forwarded)
        assert [r.url.path for r in seen if r.method == "POST"] == ["/requests"]


async def test_login_csrf_is_refused() -> None:
    async for client in console([]):
        client.event_hooks = {"request": [], "response": []}
        forged = await client.post("/login", data={"api_key": GOOD_KEY})
        assert forged.status_code == 403 and "set-cookie" not in forged.headers


async def test_logout_ends_the_session_on_the_server() -> None:
    """Issue 16 (6): after logout, a copy of the cookie still opened the session for 8 h."""
    async for client in console([]):
        assert (await client.post("/login", data={"api_key": GOOD_KEY})).status_code == 303
        copied = client.cookies["shegong_console"]
        assert (await client.get("/census")).status_code != 303  # signed in
        assert (await client.post("/logout")).status_code == 303
        client.cookies.clear()
        client.cookies.set("shegong_console", copied)
        again = await client.get("/census")
        assert again.status_code == 303 and again.headers["location"].startswith("/login")


async def test_a_logout_on_one_replica_ends_the_session_on_the_others(
    redis_url: str, stream_prefix: str
) -> None:
    """Two console replicas behind one balancer (the prod overlay runs two): a copy of the
    cookie taken before the logout served by one is refused by the other too."""
    settings = ConsoleSettings(
        registry_url="http://registry",
        matching_url="http://matching",
        session_secret="s" * 32,
        redis_url=redis_url,
        stream_prefix=stream_prefix,
    )
    one, two = (build(settings, transport=httpx.MockTransport(services([]))) for _ in "12")
    async with (
        LifespanManager(one),
        LifespanManager(two),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=one), base_url="http://c") as raw,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=two), base_url="http://c") as other,
    ):
        client = csrf_aware(raw)
        assert (await client.post("/login", data={"api_key": GOOD_KEY})).status_code == 303
        other.cookies.set("shegong_console", client.cookies["shegong_console"])
        assert (await other.get("/census")).status_code != 303  # one session, either replica
        assert (await client.post("/logout")).status_code == 303
        again = await other.get("/census")
        assert again.status_code == 303 and again.headers["location"].startswith("/login")


async def test_an_answer_of_another_shape_is_the_services_error_naming_fields_not_values() -> None:
    """A service that answers a route in a shape its published document does not give (an
    older or newer deployment) is shown as that service's error, in Chinese and English,
    naming the fields at fault and none of their values (they may be personal data)."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/whoami":
            return httpx.Response(200, json={**WHO[GOOD_KEY], "auth": "keys"})
        if request.url.path == "/h5-links/communities":
            return httpx.Response(200, json=[{"url": 13800138000, "region": "社区"}])
        return httpx.Response(404, json={"detail": "Not Found"})

    settings = ConsoleSettings(
        registry_url="http://registry", matching_url="http://matching", session_secret="s" * 32
    )
    app = build(settings, transport=httpx.MockTransport(answer))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as raw,
    ):
        client = csrf_aware(raw)
        await client.post("/login", data={"api_key": GOOD_KEY})
        page = await client.get("/services/h5-codes")
        assert page.status_code == 503 and 'data-testid="problem"' in page.text
        assert "服务返回错误" in page.text and "应答格式与控制台所读不符" in page.text
        assert "0.community" in page.text and "0.url" in page.text
        english = await client.get("/services/h5-codes?lang=en")
        assert "answered in a form the console cannot read (0.community, 0.url)" in english.text
        assert "13800138000" not in page.text + english.text


def test_a_person_page_shows_the_birth_year_where_the_date_is_not_given() -> None:
    """The registry gives a key that may not see a birth date whole ``birth_date: null``
    and ``birth_year`` (its own department's records whole): the page shows either."""
    from shegong.console.pages.census import _record_fields

    records = [
        registry_api.RecordDetail(
            key="hrss:RS-1", certificates=[], birth_date=dt.date(1975, 1, 18)
        ),
        registry_api.RecordDetail(key="civil-affairs:MZ-1", certificates=[], birth_year=1975),
    ]
    (row,) = [r for r in _record_fields(records) if r["field"] == "birth_date"]
    assert row["values"] == [dt.date(1975, 1, 18), 1975] and not row["differs"]
