"""The console's own edges, probed from outside (redteam round 3).

- Bodies: anyone could take the login page's cookie and form token and post a multipart
  body of any size to an upload page; the console spooled all of it to disk (2 GB
  probed) before the page found nobody was signed in.
- The form token was kept across login (SECURITY.md said "renewed"): a token known before
  signing in still worked after.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from shegong.console.main import build
from shegong.console.settings import ConsoleSettings
from shegong.console.testing import CSRF_META, csrf_aware

from .test_pages import GOOD_KEY, console, services

MIB = 1024 * 1024


class Counted:
    """A request body sent in 1 MiB chunks (no Content-Length: chunked), counting what the
    console pulled."""

    def __init__(self, total: int, head: bytes = b"") -> None:
        self.total, self.head, self.pulled = total, head, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.head
        while self.pulled < self.total:
            self.pulled += MIB
            yield b"a" * MIB


MULTIPART = "multipart/form-data; boundary=xx"
HEAD = b'--xx\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'


async def _token(client: httpx.AsyncClient, path: str = "/login") -> str:
    found = CSRF_META.search((await client.get(path)).text)
    assert found
    return found.group(1)


async def test_an_upload_before_signing_in_is_refused_before_it_is_read() -> None:
    async for client in console([]):
        client.event_hooks = {"request": [], "response": []}  # as an attacker's script
        token = await _token(client)
        headers = {"X-CSRF-Token": token, "Content-Type": MULTIPART}
        declared = await client.post(
            "/census/roster",
            content=HEAD + b"a" * (3 * MIB),
            headers=headers,
        )
        assert declared.status_code == 413, declared.status_code
        assert "已拒绝" in declared.text and "refused" in declared.text
        body = Counted(200 * MIB, HEAD)
        chunked = await client.post("/census/roster", content=body, headers=headers)
        assert chunked.status_code == 413
        assert body.pulled <= 2 * MIB, f"read {body.pulled / MIB:.0f} MiB before refusing"
        # The login form itself still goes through.
        ok = await client.post(
            "/login", data={"api_key": GOOD_KEY, "csrf_token": token, "next": "/"}
        )
        assert ok.status_code == 303


async def test_a_signed_in_upload_is_bounded_by_twice_the_sheet_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHEET_MAX_BYTES", str(2 * MIB))
    async for client in console([]):
        assert (await client.post("/login", data={"api_key": GOOD_KEY})).status_code == 303
        token = await _token(client, "/census")
        headers = {"X-CSRF-Token": token, "Content-Type": MULTIPART}
        body = Counted(100 * MIB, HEAD)
        refused = await client.post("/census/roster", content=body, headers=headers)
        assert refused.status_code == 413
        assert body.pulled <= 5 * MIB
        # A JSON or form body stays at 1 MiB, signed in or not.
        form = await client.post(
            "/services/orders",
            content=b"x=" + b"a" * (2 * MIB),
            headers={"X-CSRF-Token": token, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert form.status_code == 413


async def test_signing_in_gives_a_new_form_token() -> None:
    async for client in console([]):
        client.event_hooks = {"request": [], "response": []}
        before = await _token(client)
        signed_in = await client.post(
            "/login", data={"api_key": GOOD_KEY, "csrf_token": before, "next": "/"}
        )
        assert signed_in.status_code == 303
        after = await _token(client, "/census")
        assert after != before
        stale = await client.post(
            "/services/orders", data={"csrf_token": before}, headers={"Origin": "http://console"}
        )
        assert stale.status_code == 403


async def test_the_language_chosen_before_signing_in_is_kept() -> None:
    async for client in console([]):
        await client.get("/login?lang=en")
        assert (await client.post("/login", data={"api_key": GOOD_KEY})).status_code == 303
        page = await client.get("/census")
        assert '<html lang="en"' in page.text or 'lang="en"' in page.text[:300]


async def test_a_throttled_key_does_not_sign_in() -> None:
    """The services answer 429 after too many wrong secrets for a key id; the console
    signed such a login in (any answer but 401 did) and showed errors on every page."""
    from asgi_lifespan import LifespanManager

    from shegong.console.main import build
    from shegong.console.settings import ConsoleSettings
    from shegong.console.testing import csrf_aware

    def throttled(request: httpx.Request) -> httpx.Response:
        error = {"code": "too_many_failures", "message": "too many", "message_zh": "过多"}
        return httpx.Response(429, json={"error": error}, headers={"Retry-After": "60"})

    app = build(
        ConsoleSettings(registry_url="http://registry", session_secret="s" * 32),
        transport=httpx.MockTransport(throttled),
    )
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as c,
    ):
        login = await csrf_aware(c).post("/login", data={"api_key": "sgk_abcdef_" + "x" * 43})
        assert login.status_code == 429 and "过多" in login.text
        assert (await c.get("/census")).status_code == 303  # still signed out


async def test_a_form_dripped_in_small_chunks_is_joined_once() -> None:
    """The CSRF check added each chunk of a form to the body so far (copied again every
    time): a 1 MiB form in 100,000 chunks cost seconds of the console's CPU."""
    import time
    from typing import Any

    from shegong.console.csrf import CsrfMiddleware

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    chunks = [b"csrf_token=" + b"t" * 43 + b"&x="] + [b"a" * 10] * 100_000
    messages = iter(
        [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
        + [{"type": "http.request", "body": b"", "more_body": False}]
    )

    async def receive() -> Any:
        return next(messages)

    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "scheme": "http",
        "path": "/services/orders",
        "headers": [
            (b"host", b"console"),
            (b"content-type", b"application/x-www-form-urlencoded"),
        ],
        "session": {"csrf": "t" * 43},
    }
    started = time.process_time()
    await CsrfMiddleware(app)(scope, receive, send)
    took = time.process_time() - started
    assert sent[0]["status"] == 200  # its token read from the first chunk
    assert took < 1.0, f"{took:.2f} s of CPU"


async def test_a_trailing_slash_is_no_redirect_to_the_requests_host() -> None:
    """Round 9: ``/login/`` and ``/dashboard/`` were a 307 to ``http://<Host>/…`` — the
    request's own ``Host`` header, which a proxy may pass through: a redirect anywhere.
    The services' routes (``/workers/``) and the mobile pages (``/h5/me/``) did the same
    (``services/registry/tests/test_error_answers.py``)."""
    async for client in console([]):
        for path in ("/login/", "/dashboard/"):
            resp = await client.get(path, headers={"Host": "evil.example"})
            assert resp.status_code == 404, (path, resp.status_code)
            assert "location" not in resp.headers


async def test_the_frameworks_refusals_are_the_consoles_page_in_both_languages() -> None:
    """Round 9: an unknown console path (signed in or not) and a wrong method were
    FastAPI's ``{"detail": "Not Found"}`` in English JSON; a form missing a field was a
    422 quoting what was sent. Now the console's problem page, both languages, the
    status (and a 405's ``Allow``) kept, nothing the client typed in it."""
    typed = "zq<b>typed</b>qz"
    async for client in console([]):
        for signed_in in (False, True):
            if signed_in:
                login = await client.post("/login", data={"api_key": GOOD_KEY})
                assert login.status_code == 303
            token = await _token(client, "/census" if signed_in else "/login")
            for method, path, status in (
                ("GET", f"/nowhere/{typed}", 404),
                ("GET", f"/census/persons/p1/{typed}", 404),
                ("POST", f"/{typed}", 404),
                ("GET", "/logout", 405),
                ("PUT", "/login", 405),
            ):
                resp = await client.request(
                    method, path, params={"q": typed}, headers={"X-CSRF-Token": token}
                )
                assert resp.status_code == status, (method, path, resp.status_code)
                assert resp.headers["content-type"].startswith("text/html"), resp.text[:200]
                assert 'data-testid="problem"' in resp.text
                zh, en = (
                    ("没有这个页面", "There is no such page")
                    if status == 404
                    else ("此页面不接受这种请求", "This page does not take this request")
                )
                assert zh in resp.text and en in resp.text, resp.text[-600:]
                # (not "zq" alone: the page's random form token holds it one time in 90)
                assert "zq<" not in resp.text and "typed" not in resp.text
                assert "Not Found" not in resp.text and "detail" not in resp.text
                assert resp.headers["x-frame-options"] == "DENY"
                if status == 405:
                    assert "POST" in resp.headers["allow"] or "GET" in resp.headers["allow"]
        # A form without its fields: which fields, not what was sent.
        missing = await client.post("/census/review", data={"a": typed, "same": typed})
        assert missing.status_code == 422
        assert "表单缺少内容" in missing.text and "lacks a field" in missing.text
        assert "same" in missing.text and "typed" not in missing.text and "zq<" not in missing.text


async def test_only_an_import_page_takes_a_signed_in_users_upload(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Round 9: a signed-in user could post a body labelled multipart twice
    ``SHEET_MAX_BYTES`` (64 MiB) to any page that reads a form (``/census/review``,
    ``/services/orders``), spooled to disk. Only the pages that take a file have the
    allowance now; elsewhere 1 MiB, refused before it is read (the services' own,
    ``tests/faults/test_hostile_bodies.py``)."""
    monkeypatch.setenv("SHEET_MAX_BYTES", str(2 * MIB))  # the allowance: 4 MiB
    body = HEAD + b"a" * (3 * MIB) + b"\r\n--xx--\r\n"
    async for client in console([]):
        assert (await client.post("/login", data={"api_key": GOOD_KEY})).status_code == 303
        token = await _token(client, "/census")
        headers = {"X-CSRF-Token": token, "Content-Type": MULTIPART}
        for path in ("/census/review", "/services/orders", "/login"):
            declared = await client.post(path, content=body, headers=headers)
            assert declared.status_code == 413, (path, declared.status_code)
            assert "已拒绝" in declared.text and "refused" in declared.text
            assert "1 MiB" in declared.text
            chunked = Counted(100 * MIB, HEAD)
            refused = await client.post(path, content=chunked, headers=headers)
            assert refused.status_code == 413, (path, refused.status_code)
            assert chunked.pulled <= 2 * MIB, f"{path}: read {chunked.pulled / MIB:.0f} MiB"
        # The pages that take a file still take 3 MiB (whatever the services then say).
        for path in (
            "/census/roster",
            "/services/needs-survey",
            "/training/upload",
            "/dashboard/report/changes",
        ):
            taken = await client.post(path, content=body, headers=headers)
            assert taken.status_code != 413, (path, taken.text[:300])


async def test_a_key_no_header_can_carry_never_leaves_the_console() -> None:
    """Round 11, on ``shegong up``: a key typed with Chinese characters or an accent was a
    plain "Internal Server Error" (not sendable in a header), and one with a line break
    or a NUL was "signed in" to pages of errors (the services "absent"). Such a key is
    refused on the login page in the user's language, and nothing is sent anywhere."""
    seen: list[httpx.Request] = []
    async for client in console(seen):
        for key in ("一丁", "é", "sgk_a\r\nX-Evil: 1", "sgk_a\x00b", "sgk a b"):
            login = await client.post("/login", data={"api_key": key, "next": "/"})
            assert login.status_code == 401, (key, login.status_code)
            assert "这不是API密钥" in login.text
            assert (await client.get("/census")).status_code == 303, "still signed out"
        await client.get("/login?lang=en")
        login = await client.post("/login", data={"api_key": "一丁", "next": "/"})
        assert login.status_code == 401 and "not an API key" in login.text
    assert seen == [], "no key of these went to a service"


async def test_a_failure_is_the_consoles_page_in_both_languages() -> None:
    """Round 11: a request the console failed on was Starlette's plain-text "Internal
    Server Error"; it is the console's problem page, in both languages, quoting nothing."""
    from asgi_lifespan import LifespanManager

    from shegong.console.main import build
    from shegong.console.settings import ConsoleSettings

    app = build(
        ConsoleSettings(registry_url="http://registry", session_secret="s" * 32),
        transport=httpx.MockTransport(lambda _: httpx.Response(200, json={})),
    )

    async def fails() -> None:
        raise RuntimeError("secret 620102198805061231")

    app.add_api_route("/failing", fails)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with LifespanManager(app), httpx.AsyncClient(transport=transport) as c:
        page = await c.get("http://c/failing")
    assert page.status_code == 500
    assert "控制台处理本次请求时出错" in page.text and "The console failed" in page.text
    assert "620102198805061231" not in page.text and "secret" not in page.text


async def test_the_readiness_probe_names_no_internal_address() -> None:
    """Round 11: the console's ``/ready`` (no session needed) answered every service's URL
    — in a deployment the internal host names and ports. It names the services it was
    given, not where they are."""
    async for client in console([]):
        ready = await client.get("/ready")
        assert ready.status_code == 200
        assert ready.json() == {"ready": True, "services": ["registry", "training", "matching"]}
        assert "http://" not in ready.text


async def test_a_session_ends_its_age_after_signing_in_however_often_it_is_resealed() -> None:
    """Round 14: ``?lang=zh`` on any page sealed the cookie again with a fresh age, so a
    copy of it, asked a page now and then, stayed signed in for ever (8 h was an idle
    limit). The age now counts from signing in."""
    settings = ConsoleSettings(
        registry_url="http://registry",
        matching_url="http://matching",
        session_secret="s" * 32,
        session_max_age_s=3,
    )
    app = build(settings, transport=httpx.MockTransport(services([])))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as raw,
    ):
        client = csrf_aware(raw)
        assert (await client.post("/login", data={"api_key": GOOD_KEY})).status_code == 303
        signed_in = time.monotonic()
        resealed = 0
        while time.monotonic() - signed_in < 4.5:
            page = await client.get("/census?lang=zh")
            if page.status_code == 303:
                break
            resealed += "shegong_console=" in page.headers.get("set-cookie", "")
            await asyncio.sleep(0.5)
        assert resealed >= 2  # the cookie was sealed again while the session lasted
        late = await client.get("/census")
        assert late.status_code == 303 and late.headers["location"].startswith("/login")
        assert time.monotonic() - signed_in < 6
