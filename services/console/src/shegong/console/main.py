"""The console's composition root (`shegong-console`, `python -m shegong.console`)."""

from __future__ import annotations

import logging
import os
import re
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import uvicorn
from fastapi import Depends, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from redis.asyncio import Redis
from starlette.exceptions import HTTPException

from shegong.console.body_limit import ConsoleBodyLimit, console_limits
from shegong.console.csrf import CsrfMiddleware
from shegong.console.i18n import LANGS
from shegong.console.pages.audit import audit_router
from shegong.console.pages.census import census_router
from shegong.console.pages.dashboard import dashboard_router
from shegong.console.pages.h5_codes import h5_codes_router
from shegong.console.pages.imports import imports_router
from shegong.console.pages.orders import orders_router
from shegong.console.pages.programmes import programmes_router
from shegong.console.pages.report import report_router
from shegong.console.pages.training import training_router
from shegong.console.pages.training_ladder import training_ladder_router
from shegong.console.pages.training_sessions import training_sessions_router
from shegong.console.refusals import failed, framework_refusal, invalid_form
from shegong.console.security_headers import SecurityHeadersMiddleware
from shegong.console.session import SIGNED_IN_AT, EncryptedSessionMiddleware, EndedSessions
from shegong.console.settings import SERVICES, ConsoleSettings
from shegong.console.upstream import UpstreamError
from shegong.console.web import Ctx, NotSignedIn, open_context

# What an API key is written with (sgk_<id>_<secret>: letters, digits, '-' and '_'; any
# printable ASCII is let through to the services, which say whether it is a key).
_KEY_TEXT = re.compile(r"[!-~]{1,1024}")
NOT_A_KEY = (
    "这不是API密钥：密钥由英文字母、数字和符号组成，不含空格、汉字或控制字符",
    "not an API key: a key is letters, digits and symbols, without spaces, other scripts or "
    "control characters",
)


@dataclass(frozen=True)
class WebDefinition:
    """What ``shegong up`` needs to run the console beside the services: a name and a port.
    It has no events of its own (no contract): it reads the services over HTTP."""

    name: str
    title: str
    default_port: int
    extras: dict[str, Any] = field(default_factory=dict)


SERVICE = WebDefinition(
    name="console",
    title="控制台 web console",
    default_port=8100,
    extras={"web": True},
)


def build(
    settings: ConsoleSettings | None = None, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """The console app; ``transport`` lets a test answer for the services in-process."""
    settings = settings or ConsoleSettings()
    # Logouts shared by every replica, through the platform's Redis when it has one.
    shared = Redis.from_url(settings.redis_url) if settings.redis_url else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=settings.timeout_s, transport=transport) as http:
            app.state.http = http
            try:
                yield
            finally:
                if shared is not None:
                    await shared.aclose()

    # No redirect to the request's Host for a trailing slash: ``/login/`` was a 307 to
    # ``http://<Host>/login``, wherever a proxy passes the Host through (round 9).
    app = FastAPI(
        title="shegong console",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.openapi_cache = {}
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    # The framework's 404, 405, 400 and 422: the console's page, not English JSON (round 9).
    app.add_exception_handler(HTTPException, framework_refusal)
    app.add_exception_handler(RequestValidationError, invalid_form)
    app.add_exception_handler(Exception, failed)

    @app.exception_handler(NotSignedIn)
    async def to_login(request: Request, exc: NotSignedIn) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=204, headers={"HX-Redirect": f"/login?next={exc.next_url}"})
        return RedirectResponse(f"/login?next={exc.next_url}", status_code=303)

    @app.exception_handler(UpstreamError)
    async def upstream_failed(request: Request, exc: UpstreamError) -> Response:
        ctx = open_context(request)
        status = {"absent": 503, "unauthenticated": 401, "forbidden": 403}.get(exc.kind, 502)
        return ctx.render("problem.html", status_code=status, problem=ctx.problem(exc))

    @app.middleware("http")
    async def language(request: Request, call_next: Any) -> Response:
        lang = request.query_params.get("lang")
        if lang in LANGS and "session" in request.scope:
            request.session["lang"] = lang
        response: Response = await call_next(request)
        return response

    # Every POST: same origin and the session's form token (csrf.py); inside the session.
    app.add_middleware(CsrfMiddleware)
    # Bodies bounded before the CSRF check or a page reads them; inside the session.
    max_body, max_upload = console_limits()
    app.add_middleware(ConsoleBodyLimit, max_body=max_body, max_upload=max_upload)
    # Added after the language middleware so the session wraps it.
    app.state.ended_sessions = EndedSessions(shared, settings.stream_prefix)
    app.add_middleware(
        EncryptedSessionMiddleware,
        secret_key=settings.cookie_secret(),
        max_age=settings.session_max_age_s,
        https_only=settings.https_only,
        ended=app.state.ended_sessions,
    )
    # Outermost: every answer, the CSRF refusal and the static files included.
    app.add_middleware(SecurityHeadersMiddleware)

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", include_in_schema=False)
    async def ready() -> JSONResponse:
        # Which services it was given, not where they are (round 11: the URLs told anyone
        # the deployment's internal host names and ports; /ready needs no session).
        given = [name for name in SERVICES if settings.service_url(name)]
        return JSONResponse({"ready": True, "services": given})

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/dashboard", status_code=303)

    @app.get("/login", response_class=HTMLResponse)
    async def login_form(ctx: Annotated[Ctx, Depends(open_context)], next: str = "/") -> Response:
        return ctx.render("login.html", next=_safe_next(next), error=None)

    @app.post("/login", response_class=HTMLResponse)
    async def login(
        ctx: Annotated[Ctx, Depends(open_context)],
        api_key: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        # Checked already (csrf.py). A new session: new form token too, so a token known
        # before signing in (a planted pre-login cookie) is worth nothing after.
        lang = ctx.lang
        ctx.request.session.clear()
        ctx.request.session.update(lang=lang, csrf=secrets.token_urlsafe(32))
        key = api_key.strip()
        if key and not _KEY_TEXT.fullmatch(key):
            # Round 11: a key of other characters was a 500 (not sendable in a header) or,
            # with a line break or NUL, "signed in" to pages of errors; it never leaves here.
            said = NOT_A_KEY[0] if ctx.lang == "zh" else NOT_A_KEY[1]
            error = {"kind": "unauthenticated", "text": ctx.t("unauthenticated"), "detail": said}
            return ctx.render("login.html", status_code=401, next=next, error=error)
        probe = ctx.upstream("registry")
        probe.api_key = key or None
        try:
            await probe.get("/census/status")
            role = "ok"
        except UpstreamError as err:
            if err.kind == "unauthenticated" or err.status == 429:  # 429: too many wrong
                status, problem = err.status or 401, ctx.problem(err)
                return ctx.render("login.html", status_code=status, next=next, error=problem)
            role = err.kind  # forbidden or absent: signed in, the pages say what is missing
        ctx.request.session.update(
            signed_in=True,
            api_key=key,
            probe=role,
            key_label=_label(key),
            sid=secrets.token_urlsafe(18),  # ended server-side at logout
            **{SIGNED_IN_AT: int(time.time())},  # the session's age counts from here
        )
        await ctx.learn_who()
        return RedirectResponse(_safe_next(next), status_code=303)

    @app.post("/logout")
    async def logout(request: Request) -> RedirectResponse:
        """Ends the session here too: its cookie, even a copy, opens nothing any more."""
        lang = request.session.get("lang", "zh")
        sid = request.session.get("sid")
        if isinstance(sid, str):
            await request.app.state.ended_sessions.end(sid, settings.session_max_age_s)
        request.session.clear()
        request.session["lang"] = lang
        return RedirectResponse("/login", status_code=303)

    for router in (
        dashboard_router(),
        report_router(),
        census_router(),
        orders_router(),
        programmes_router(),
        h5_codes_router(),
        training_router(),
        training_ladder_router(),
        training_sessions_router(),
        audit_router(),
        imports_router(),
    ):
        app.include_router(router)
    return app


def _label(key: str) -> str:
    """What identifies a key on screen without revealing it: a platform key's id
    (``sgk_<id>_<secret>``), else its last four characters."""
    if not key:
        return ""
    parts = key.split("_")
    if len(parts) >= 3 and parts[0] == "sgk":
        return f"sgk_{parts[1]}"
    return f"…{key[-4:]}"


def _safe_next(target: str) -> str:
    """Only paths on this site (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


def main() -> None:
    settings = ConsoleSettings()
    logging.basicConfig(level=settings.log_level.upper())
    proxies = trusted_proxies()
    uvicorn.run(
        build(settings),
        host=settings.host,
        port=settings.port or SERVICE.default_port,
        log_level=settings.log_level.lower(),
        # A request's head bounded (httptools keeps any size: a 200 MiB header stayed in
        # memory); the console's traffic is people's pages, h11's speed is plenty.
        http="h11",
        h11_max_incomplete_event_size=64 * 1024,
        # X-Forwarded-* only from the proxies FORWARDED_ALLOW_IPS names, as the services
        # (kernel web/serve.py): uvicorn's default believes 127.0.0.1 — every client of
        # ``shegong up`` — so anyone chose the scheme (a Secure cookie, the CSRF check's
        # own origin) and the address logged (round 15).
        proxy_headers=proxies is not None,
        forwarded_allow_ips=proxies,
    )


def trusted_proxies() -> str | None:
    return os.environ.get("FORWARDED_ALLOW_IPS", "").strip() or None


if __name__ == "__main__":
    main()
