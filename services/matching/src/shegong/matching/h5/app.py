"""The public mobile pages, as their own small app mounted at ``/h5`` (no API key; see
``guard.py`` for what guards them instead): a resident places an order (``order.py``) and
follows it (``progress.py``); a worker takes and serves orders (``worker.py``); what the
pages share is in ``common.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.matching.application.requests import MatchingCommands
from shegong.matching.h5.common import H5
from shegong.matching.h5.guard import Codes, Limits, Signer
from shegong.matching.h5.html import box, page
from shegong.matching.h5.notify import Notifier
from shegong.matching.h5.order import add_order_pages
from shegong.matching.h5.progress import add_progress_pages
from shegong.matching.h5.worker import add_worker_pages
from shegong.matching.settings import MatchingSettings


def h5_app(
    commands: MatchingCommands,
    engine: AsyncEngine,
    limits: Limits,
    codes: Codes,
    signer: Signer,
    hasher: PersonalDataHasher,
    notifier: Notifier,
    settings: MatchingSettings,
) -> FastAPI:
    app = FastAPI(title="shegong H5", docs_url=None, redoc_url=None, openapi_url=None)

    # -- guards ----------------------------------------------------------------------
    @app.middleware("http")
    async def rate_limit(request: Request, call_next: Callable[..., Awaitable[Any]]) -> Any:
        client = request.client.host if request.client else "-"
        allowed = await limits.hit(f"ip:{client}", settings.matching_h5_requests_per_min, 60)
        if allowed and request.method == "POST":
            allowed = await limits.hit(f"post:{client}", settings.matching_h5_posts_per_min, 60)
        if not allowed:
            return HTMLResponse(
                page("请稍后再试", box("error", "操作太频繁，请一分钟后再试。")),
                status_code=429,
                headers={"Retry-After": "60"},
            )
        if request.method == "POST" and not from_these_pages(request):
            return HTMLResponse(
                page("无法提交", box("error", "请在本页面内提交。")), status_code=403
            )
        response = await call_next(request)
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        )
        return response

    h5 = H5(commands, engine, limits, codes, signer, hasher, notifier, settings)
    add_order_pages(app, h5)
    add_progress_pages(app, h5)
    add_worker_pages(app, h5)
    return app


def from_these_pages(request: Request) -> bool:
    """Whether a POST comes from these pages' own origin. The resident's cookie is
    SameSite=Strict, which keeps other *sites* out but not another origin of the same
    site (another port of the host, a sibling sub-domain): those could post the
    resident's forms — erase their data, cancel their order — with the cookie. Browsers
    send ``Origin`` with a form's POST (``Referer`` where they do not); the host is
    compared, not the scheme (a proxy may end TLS before this service)."""
    own = request.headers.get("host", "").lower()
    origin = request.headers.get("origin")
    if origin is not None:
        return origin != "null" and urlsplit(origin).netloc.lower() == own
    referer = request.headers.get("referer")
    return referer is None or urlsplit(referer).netloc.lower() == own


def community_link(signer: Signer, community: str) -> str:
    query = urlencode({"community": community, "sig": signer.sign("community", community)})
    return f"/h5/order?{query}"
