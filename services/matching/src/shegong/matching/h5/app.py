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
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException as StarletteHTTPException

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
    # No redirect to the request's Host for a trailing slash (kernel app.py).
    app = FastAPI(
        title="shegong H5",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        redirect_slashes=False,
    )

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

    # A resident's phone shows a page, never FastAPI's English JSON ({"detail": "Not
    # Found"}, "Too many fields. Maximum number of fields is 1000.", a form's missing
    # field with its value echoed): the same page for every such refusal, both languages.
    @app.exception_handler(StarletteHTTPException)
    async def refused(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        return _refusal(exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def unreadable(request: Request, exc: RequestValidationError) -> HTMLResponse:
        return _refusal(400)

    h5 = H5(commands, engine, limits, codes, signer, hasher, notifier, settings)
    add_order_pages(app, h5)
    add_progress_pages(app, h5)
    add_worker_pages(app, h5)
    return app


_REFUSALS = {
    404: (
        "页面不存在",
        "页面不存在或链接已失效。",
        "This page does not exist or its link has expired.",
    ),
    405: ("无法打开", "此页面不能这样打开。", "This page cannot be opened this way."),
}
_UNREADABLE = (
    "无法提交",
    "提交的内容无法读取，请返回重新填写。",
    "The form could not be read; go back and fill it in again.",
)


def _refusal(status: int) -> HTMLResponse:
    title, zh, en = _REFUSALS.get(status, _UNREADABLE)
    return HTMLResponse(page(title, box("error", f"{zh} {en}")), status_code=status)


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
