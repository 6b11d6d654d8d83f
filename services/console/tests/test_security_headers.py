"""The console asks the browser for its defences on every answer, and its pages need nothing
the policy forbids (probed: no Content-Security-Policy, no X-Frame-Options, no nosniff —
any site could frame the console and lead a signed-in user's clicks onto its buttons).

The console app itself over HTTP (ASGI), with the services answered in-process as in
``test_pages.py``; the templates are read as shipped."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

import shegong.console

from .test_pages import GOOD_KEY, console

TEMPLATES = Path(shegong.console.__file__).parent / "templates"


def directives(policy: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for part in policy.split(";"):
        if part.strip():
            name, *values = part.split()
            found[name] = set(values)
    return found


def assert_defended(r: httpx.Response, *, page: bool = True) -> None:
    where = f"{r.request.method} {r.request.url.path} → {r.status_code}"
    csp = directives(r.headers.get("content-security-policy", ""))
    assert csp.get("frame-ancestors") == {"'none'"}, where
    assert csp.get("script-src") == {"'self'"}, where  # nothing inline, no eval
    assert csp.get("object-src") == {"'none'"} and csp.get("base-uri") == {"'none'"}, where
    assert csp.get("form-action") == {"'self'"}, where
    assert r.headers.get("x-frame-options") == "DENY", where
    assert r.headers.get("x-content-type-options") == "nosniff", where
    assert r.headers.get("referrer-policy") == "same-origin", where
    if page:
        assert r.headers.get("cache-control") == "no-store", where


async def test_every_answer_carries_the_browsers_defences() -> None:
    async for client in console([]):
        assert_defended(await client.get("/login"))
        # A refused POST (no form token, from another site) is defended too.
        refused = await client.post(
            "/login", data={"api_key": "x"}, headers={"Origin": "https://evil.example"}
        )
        assert refused.status_code == 403
        assert_defended(refused)
        signed_in = await client.post("/login", data={"api_key": GOOD_KEY})
        assert signed_in.status_code == 303
        assert_defended(signed_in)
        for path in ("/dashboard", "/census", "/services", "/training"):
            r = await client.get(path)  # a page, or the problem page for what is missing
            assert "text/html" in r.headers["content-type"], path
            assert_defended(r)
            # What the page loads and runs is all the policy allows: scripts from /static.
            for src in re.findall(r'<script[^>]*\ssrc="([^"]+)"', r.text):
                assert src.startswith("/static/"), (path, src)
        static = await client.get("/static/console.js")
        assert static.status_code == 200
        assert_defended(static, page=False)
        assert static.headers.get("cache-control") != "no-store"
        r = await client.get("/no-such-page")
        assert_defended(r)


def test_no_template_runs_script_the_policy_would_block() -> None:
    """Inline handlers, javascript: links, inline scripts and htmx expressions that htmx
    evaluates (trigger filters ``[…]``, ``js:``/``hx-on``) would be refused by the browser
    under ``script-src 'self'`` — the page would break silently instead."""
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
    evaluated = re.compile(r'hx-trigger="[^"]*\[|hx-on|js:|javascript:', re.I)
    offending = []
    for template in sorted(TEMPLATES.glob("*.html")):
        text = template.read_text()
        for pattern in (handler, inline_script, evaluated):
            offending += [f"{template.name}: {m.group(0)}" for m in pattern.finditer(text)]
    assert offending == []
    base = (TEMPLATES / "base.html").read_text()
    assert '"allowEval": false' in base  # htmx never evaluates an attribute
