"""The HTTP edge every service shares: FastAPI app, health, feed, AsyncAPI, errors, and
the API-key check in front of every route but the public ones (``auth.py``).

Commands are checked at the edge (rule 8): a refused command answers with the field at
fault and a reason in English and, where people read it, Chinese.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shegong.contracts.asyncapi import asyncapi_document
from shegong.kernel.data.identity import PersonalDataError
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.feed import feed_router
from shegong.kernel.events.jobs import jobs_router
from shegong.kernel.events.store import ConcurrencyError
from shegong.kernel.ops import tracing
from shegong.kernel.ops.runtime import Runtime
from shegong.kernel.web.access_log import audited_read, record_refusal, watch_keys
from shegong.kernel.web.audit import audit_router
from shegong.kernel.web.auth import Authenticated, AuthError, authenticate, gate_for
from shegong.kernel.web.body_limit import BodyLimitMiddleware, body_limits
from shegong.kernel.web.docs_pages import docs_router
from shegong.kernel.web.edge import EdgeMiddleware
from shegong.kernel.web.kernel_models import AsyncApiDocument, Health, Readiness, WhoAmI
from shegong.kernel.web.key_throttle import KeyThrottle
from shegong.kernel.web.openapi import document_command_headers
from shegong.kernel.web.text_guard import (
    ControlCharacterError,
    TextGuardMiddleware,
    refusal,
)
from shegong.kernel.web.validation import unreadable_body, validation_error

log = logging.getLogger("shegong.app")


def create_app(runtime: Runtime, routers: Callable[[Runtime], Sequence[APIRouter]]) -> FastAPI:
    definition = runtime.definition
    gate = gate_for(runtime.settings, definition.name)  # refuses an open network service

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        app.state.runtime = runtime
        # The keys this service accepts, issued and revoked, go into its access log.
        keys = None if gate.open else asyncio.create_task(watch_keys(runtime.store, gate.keyring))
        yield
        if keys is not None:
            keys.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keys
        await runtime.stop()

    app = FastAPI(
        title=f"shegong {definition.name} — {definition.title}",
        version="0.1.0",
        lifespan=lifespan,
        # Every route checks a key but the public ones (auth.PUBLIC_PATHS): fail closed,
        # also for routes a service adds after create_app. It checks a multipart form's
        # text fields too (text_guard.form_fields_guard).
        dependencies=[Depends(authenticate)],
        docs_url=None,  # docs_pages: the same pages, with a browser's defences
        redoc_url=None,
        # ``/workers/`` was a 307 to ``http://<the request's Host>/workers``: a redirect
        # anywhere a proxy passes the Host through. No route ends with a slash.
        redirect_slashes=False,
    )
    app.include_router(docs_router(app.title))
    app.state.auth_gate = gate
    app.state.key_throttle = KeyThrottle()

    @app.get("/health", tags=["ops"], summary="Liveness: the process answers")
    async def health() -> Health:
        return Health(status="ok", service=definition.name)

    @app.get(
        "/ready",
        tags=["ops"],
        summary="Readiness: database and Redis answer",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "Not ready: what is wrong"}},
    )
    async def ready() -> JSONResponse:
        checks = await runtime.readiness()
        try:
            checks["relay_backlog"] = await runtime.relay.backlog()
        except Exception as err:  # the database is down: readiness already says so
            checks["relay_backlog"] = f"unknown: {type(err).__name__}"
        checks["auth"] = gate.mode
        body = Readiness.model_validate(checks).model_dump()
        return JSONResponse(body, status_code=200 if body["ready"] else 503)

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        body = await runtime.metrics.exposition()
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    @app.get("/asyncapi", tags=["ops"], summary="AsyncAPI 3.0 document of this service's stream")
    async def asyncapi() -> AsyncApiDocument:
        document = asyncapi_document(
            [definition.contract], title=f"shegong {definition.name} events"
        )
        return AsyncApiDocument.model_validate(document)

    @app.get("/whoami", tags=["ops"], summary="Who this key is: name, role, department (我是谁)")
    async def whoami(principal: Authenticated) -> WhoAmI:
        """What the caller's key may do here, so a client (the console, the CLI) can show
        it and offer only what is allowed; nothing secret (no key id or hash)."""
        writes = {"admin": "all", "department": "own_department"}.get(principal.role, "nothing")
        return WhoAmI(
            name=principal.name,
            role=principal.role,
            department=principal.department,
            auth=gate.mode,
            writes=writes,  # type: ignore[arg-type]  # one of the three, by the table above
        )

    # The feed carries personal data (masked forms, hashes): a read by a person's key is
    # recorded (service keys, the platform's own consumers, are not).
    app.include_router(
        feed_router(
            runtime.store,
            definition.contract.audit_types(),
            definition.feed_narrowing(runtime) if definition.feed_narrowing else None,
        ),
        dependencies=[Depends(audited_read("events_feed"))],
    )
    app.include_router(jobs_router())  # GET /imports/{job_id}: imports run as jobs
    if definition.contract.audit_types():
        app.include_router(audit_router(runtime.engine, definition.contract))
    for router in routers(runtime):
        app.include_router(router)

    # The headers a command's context reads, in the document (auth.command_context).
    openapi = app.openapi

    def documented() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_command_headers(app, openapi())
        return app.openapi_schema

    app.openapi = documented  # type: ignore[method-assign]

    # Refused by a route's model: field and reason in both languages, no value echoed.
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, err: RequestValidationError) -> JSONResponse:
        return await validation_error(request, err)

    # A body json.loads could not finish (nested too deep, a 5,000-digit number).
    app.add_exception_handler(StarletteHTTPException, unreadable_body)  # type: ignore[arg-type]

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, err: DomainError) -> JSONResponse:
        status = {"conflict": 409, "duplicate": 409, "not_found": 404, "forbidden": 403}.get(
            err.code, 422
        )
        if status == 403:
            await record_refusal(request, status, str(err))
        return _error(status, err.code, str(err), err.field, err.zh or _zh_of(err))

    @app.exception_handler(ControlCharacterError)
    async def control_character(_: Request, err: ControlCharacterError) -> Response:
        return Response(refusal(err.field, err.char), 422, media_type="application/json")

    @app.exception_handler(PersonalDataError)
    async def personal_data_error(_: Request, err: PersonalDataError) -> JSONResponse:
        return _error(422, "invalid", err.reason, err.field, err.reason_zh)

    @app.exception_handler(AuthError)
    async def auth_error(request: Request, err: AuthError) -> JSONResponse:
        if err.logged:
            await record_refusal(request, err.status, str(err))  # 403 stored, 401 logged
        resp = _error(err.status, err.code, str(err), err.field, err.message_zh)
        if err.status == 401:
            resp.headers["WWW-Authenticate"] = 'Bearer realm="shegong"'
        if err.status == 429:
            resp.headers["Retry-After"] = "60"
        return resp

    @app.exception_handler(OperationalError)
    async def database_unavailable(_: Request, err: OperationalError) -> JSONResponse:
        # The database went away mid-request (restart, failover, network): nothing was
        # committed; the client may retry. Not a 500 — the command was not wrong.
        log.warning("database unavailable: %s", str(err).splitlines()[0])
        resp = _error(
            503,
            "database_unavailable",
            "the database is not reachable right now; nothing was stored, retry shortly",
            None,
            "数据库暂时无法连接，本次请求未保存，请稍后重试",
        )
        resp.headers["Retry-After"] = "5"
        return resp

    @app.exception_handler(ConcurrencyError)
    async def concurrency_error(_: Request, err: ConcurrencyError) -> JSONResponse:
        zh = "记录刚被其他请求修改，本次未保存，请刷新后重试"
        return _error(409, "concurrent_change", str(err), None, zh)

    # Anything else: the platform's error in both languages, saying nothing of the failure
    # (Starlette's own was "Internal Server Error" in English; the log has the traceback).
    @app.exception_handler(Exception)
    async def failed(_: Request, err: Exception) -> JSONResponse:
        return _error(
            500,
            "internal",
            "the service failed on this request; its operator finds why in the service's log",
            None,
            "服务处理本次请求时出错，原因已记入服务日志，请联系运维人员",
        )

    # Control characters in a JSON command's text: a 422 naming the field (text_guard.py).
    app.add_middleware(TextGuardMiddleware)
    # A body over its limit is a 413 before anything reads it, the key check included.
    max_body, max_upload = body_limits()
    app.add_middleware(BodyLimitMiddleware, max_body=max_body, max_upload=max_upload)
    app.add_middleware(EdgeMiddleware, metrics=runtime.metrics)
    if tracing.enabled():
        # Server spans, only when tracing is on (its middleware costs even as a no-op);
        # probes and scrapes are not traced.
        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=tracing.tracer_provider(),
            excluded_urls="/health,/ready,/metrics",
            exclude_spans=["receive", "send"],
        )
    return app


# A rule's refusal written in English only still says in Chinese what kind it is, and
# quotes the English (a field's name, an id) — until the rule gives its own Chinese.
_KIND_ZH = {
    "not_found": "未找到",
    "conflict": "与当前状态冲突",
    "duplicate": "已存在",
    "forbidden": "无权操作",
}


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _zh_of(err: DomainError) -> str:
    if _CJK.search(str(err)):  # "session … is full (名额已满：…)": bilingual already
        return str(err)
    kind = _KIND_ZH.get(err.code, "不符合业务规则")
    field = f"（字段 {err.field}）" if err.field else ""
    return f"{kind}{field}：{err}"


def _error(
    status: int, code: str, message: str, field: str | None, message_zh: str | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message, "field": field}
    if message_zh:
        body["message_zh"] = message_zh
    return JSONResponse({"error": body}, status_code=status)
