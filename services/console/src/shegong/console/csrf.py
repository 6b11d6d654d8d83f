"""Cross-site request forgery (CSRF) protection for every POST of the console.

The session cookie goes with any request the browser makes to the console, also one a
hostile page starts (a form posted to ``/services/orders``, or to ``/login`` with the
attacker's key — login CSRF). SameSite=Lax stops some of it, not all (another port of
the same host is the same *site*). Two checks, on every method but GET/HEAD/OPTIONS:

1. **Origin**: a browser names the page that sent the request (``Origin``, else
   ``Referer``); one that is not this console's own origin is refused.
2. **Token**: the session holds a random token (made on the first page, the login page
   included, and renewed at login); a request must carry it — in the ``X-CSRF-Token``
   header (htmx sends it from ``<body hx-headers>``) or in the form field
   ``csrf_token`` (every ``<form method="post">`` has it). A hostile page cannot read it.

A refusal is a 403 page in both languages; nothing is forwarded to the services.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-csrf-token"
FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MAX_FORM = 1024 * 1024


def csrf_token(session: Any) -> str:
    """The session's token, made on first use."""
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def _refused(reason: str) -> HTMLResponse:
    body = (
        "<!doctype html><meta charset='utf-8'><title>403</title>"
        "<p data-testid='csrf-refused'>请求来源无法确认（跨站请求伪造防护），已拒绝。"
        "请返回页面刷新后重试。</p>"
        f"<p>The request's origin could not be confirmed (CSRF protection): {reason}. "
        "Go back, reload the page and try again.</p>"
    )
    return HTMLResponse(body, status_code=403)


class CsrfMiddleware:
    """Inside the session middleware (it reads ``scope["session"]``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        own = f"{scope.get('scheme', 'http')}://{conn.headers.get('host', '')}".lower()
        origin = conn.headers.get("origin")
        referer = conn.headers.get("referer")
        if origin is not None and (origin == "null" or _origin(origin) != own):
            await _refused("a request from another site")(scope, receive, send)
            return
        if origin is None and referer and _origin(referer) != own:
            await _refused("a request from another site")(scope, receive, send)
            return
        expected = scope.get("session", {}).get("csrf")
        given = conn.headers.get(HEADER)
        body: list[Message] = []
        if given is None and conn.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            size = 0
            while True:
                message = await receive()
                body.append(message)
                size += len(message.get("body", b""))
                if size > _MAX_FORM or not message.get("more_body"):
                    break
            raw: bytes = b"".join(m.get("body", b"") for m in body)  # once, not per chunk
            found = parse_qs(raw.decode("latin-1")).get(FIELD)
            given = found[0] if found else None
        if not expected or not given or not hmac.compare_digest(str(expected), given):
            await _refused("no valid form token")(scope, receive, send)
            return
        if body:
            replay = iter(body)

            async def replayed() -> Message:
                try:
                    return next(replay)
                except StopIteration:
                    return await receive()

            await self.app(scope, replayed, send)
            return
        await self.app(scope, receive, send)
