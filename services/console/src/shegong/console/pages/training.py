"""培训: overdue pre-job training, exam results and the ladder (who is eligible for the next
step, rule by rule) as their own views; the calendar, a session and its 报名.

The ladder's pages are ``training_ladder.py``; the calendar and a session's page
``training_sessions.py``; what they share (training's documented operations, reading an
upstream, paging) is here.

Uploads (sign-in sheets, exam results) are the forms training documents in its
``/openapi.json``, shown where they belong (a session's sheet on its page, exam results
beside them); "all data" (全部数据) still lists every GET training documents as a table.
Absent service → a notice. A read-only key (审计) is offered no upload or 报名.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from shegong.console.api import Operation, training
from shegong.console.body_limit import upload_page
from shegong.console.pages.imports import start_import
from shegong.console.upstream import Upstream, UpstreamError
from shegong.console.web import Ctx, page_context

SESSION = ("get", "/sessions/{session_id}")
ENROL = ("post", "/sessions/{session_id}/enrolments")
SIGNIN_SHEET = ("post", "/sessions/{session_id}/signin-sheet")
EXAM_RESULTS = ("post", "/imports/exam-results")
PAGE = 50
PLUMBING = {"/health", "/ready", "/asyncapi", "/events", "/metrics", "/openapi.json"}
Operations = dict[tuple[str, str], dict[str, Any]]
CACHE_S = 15.0  # a training service that comes up shows within this
T = TypeVar("T")


async def training_operations(ctx: Ctx) -> Operations | None:
    """(method, path) → parameters, or None while the service is absent."""
    upstream = ctx.training
    if not upstream.configured:
        return None
    assert upstream.base_url is not None
    cache: dict[str, tuple[float, Operations | None]] = ctx.request.app.state.openapi_cache
    cached = cache.get(upstream.base_url)
    if cached and time.monotonic() - cached[0] < CACHE_S:
        return cached[1]
    try:
        document = await upstream.get("/openapi.json")
        ops: Operations | None = _operations(document) if isinstance(document, dict) else None
    except UpstreamError:
        ops = None
    cache[upstream.base_url] = (time.monotonic(), ops)
    return ops


def _operations(document: dict[str, Any]) -> Operations:
    schemas = document.get("components", {}).get("schemas", {})
    ops: Operations = {}
    for path, methods in document.get("paths", {}).items():
        if path in PLUMBING:
            continue
        for method, op in methods.items():
            if not isinstance(op, dict):
                continue
            body = op.get("requestBody", {}).get("content", {})
            form_fields: list[dict[str, Any]] = []
            if "multipart/form-data" in body:
                schema = body["multipart/form-data"].get("schema", {})
                ref = schema.get("$ref", "").rsplit("/", 1)[-1]
                schema = schemas.get(ref, schema)
                required = set(schema.get("required", []))
                form_fields = [
                    {
                        "name": name,
                        "file": prop.get("format") == "binary" or "contentMediaType" in prop,
                        "required": name in required,
                        "description": prop.get("description") or prop.get("title") or name,
                    }
                    for name, prop in schema.get("properties", {}).items()
                ]
            ops[(method, path)] = {
                "method": method,
                "path": path,
                "path_params": re.findall(r"\{(\w+)\}", path),
                "summary": op.get("summary") or op.get("description") or path,
                "params": [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"],
                "templated": "{" in path,
                "upload": form_fields,
            }
    return ops


def training_router() -> APIRouter:
    router = APIRouter()

    @router.get("/training", response_class=HTMLResponse)
    async def overdue(
        ctx: Annotated[Ctx, Depends(page_context)],
        region: str = "",
        organization: str = "",
        as_of: str = "",
    ) -> Response:
        """逾期岗前培训: training's report, by region and organisation, as it counts them."""
        filters = {"region": region.strip(), "organization": organization.strip(), "as_of": as_of}
        (report, problem), regions = await asyncio.gather(
            read_or_problem(ctx, ctx.training, training.GET_OBLIGATIONS_PREJOB_OVERDUE, filters),
            ctx.region_codes(),
        )
        return ctx.render(
            "training.html", report=report, problem=problem, f=filters, regions=regions
        )

    @router.get("/training/exams", response_class=HTMLResponse)
    async def exams(
        ctx: Annotated[Ctx, Depends(page_context)],
        year: str = "",
        level: str = "",
        passed: str = "",
        department: str = "",
        offset: int = 0,
    ) -> Response:
        """考试成绩: training's results, filtered and a page at a time; the upload beside."""
        filters = {
            "year": year.strip(),
            "level": level,
            "passed": passed,
            "department": department.strip(),
        }
        offset = max(offset, 0)
        (found, problem), ops = await asyncio.gather(
            read_or_problem(
                ctx, ctx.training, training.GET_EXAMS, {**filters, "limit": PAGE, "offset": offset}
            ),
            training_operations(ctx),
        )
        return ctx.render(
            "training_exams.html",
            found=found,
            problem=problem,
            f=filters,
            pager=page_links("/training/exams", filters, found.total if found else 0, offset),
            upload=(ops or {}).get(EXAM_RESULTS),
        )

    @router.get("/training/data", response_class=HTMLResponse)
    async def all_data(
        ctx: Annotated[Ctx, Depends(page_context)], view: str = "", year: int | None = None
    ) -> Response:
        """全部数据: every GET training documents, shown as a table, and every upload."""
        ops = await training_operations(ctx)
        if ops is None:
            return ctx.render("training_data.html", available=False, reads=[], uploads=[])
        reads = [o for (m, _), o in sorted(ops.items()) if m == "get" and not o["templated"]]
        uploads = [o for (m, _), o in sorted(ops.items()) if m == "post" and o["upload"]]
        sessions_view = SESSION in ops
        shown: dict[str, Any] | None = None
        op = documented(ops, "get", view) if view else None
        if op is not None:
            params = {"year": year} if year and "year" in op["params"] else {}
            try:
                shown = {"path": view, "data": await ctx.training.get(view, **params)}
            except UpstreamError as err:
                shown = {"path": view, "problem": ctx.problem(err)}
        return ctx.render(
            "training_data.html",
            available=True,
            reads=reads,
            uploads=uploads,
            shown=shown,
            sessions_view=sessions_view,
        )

    @router.post("/training/upload", response_class=HTMLResponse)
    @upload_page  # its fields are training's own (read from its API): the file allowance
    async def upload(ctx: Annotated[Ctx, Depends(page_context)], request: Request) -> Response:
        form = await request.form()
        path = str(form.get("_path", ""))
        ops = await training_operations(ctx)
        op = (ops or {}).get(("post", path))
        if op is not None and op["path_params"]:
            values = {name: str(form.get(name, "")).strip() for name in op["path_params"]}
            if not all(values.values()):
                missing = ", ".join(n for n, v in values.items() if not v)
                return ctx.render(
                    "report.html", report=None, problem={"text": ctx.t("error"), "detail": missing}
                )
            for name, given in values.items():
                path = path.replace("{" + name + "}", quote(given, safe=""))
        if op is None or not op["upload"]:
            return ctx.render("report.html", report=None, problem={"text": ctx.t("absent")})
        files: dict[str, tuple[str, bytes]] = {}
        data: dict[str, str] = {}
        for f in op["upload"]:
            field = form.get(f["name"])
            if isinstance(field, UploadFile):
                if field.filename:
                    files[f["name"]] = (field.filename, await field.read())
            elif field:
                data[f["name"]] = str(field)
        return await start_import(ctx, ctx.training, path, files=files, data=data)

    return router


async def read_or_problem(
    ctx: Ctx, upstream: Upstream, op: Operation[T], params: dict[str, Any] | None = None
) -> tuple[T | None, dict[str, str] | None]:
    """The service's answer, or what to tell the user instead (the rest of the page shows)."""
    try:
        return await upstream.read(op, **(params or {})), None
    except UpstreamError as err:
        return None, ctx.problem(err)


def problem_status(kind: str) -> int:
    return {"absent": 503, "forbidden": 403, "unauthenticated": 401}.get(kind, 404)


def page_links(path: str, filters: dict[str, str], total: int, offset: int) -> dict[str, Any]:
    """Previous/next links keeping the filters; ``total`` as the service counts it."""
    kept = {k: v for k, v in filters.items() if v}

    def href(at: int) -> str:
        return f"{path}?{urlencode({**kept, 'offset': at})}"

    return {
        "total": total,
        "first": offset + 1 if total else 0,
        "last": min(offset + PAGE, total),
        "prev": href(max(offset - PAGE, 0)) if offset > 0 else None,
        "next": href(offset + PAGE) if offset + PAGE < total else None,
    }


def documented(ops: Operations, method: str, path: str) -> dict[str, Any] | None:
    """The operation a concrete path belongs to (``/sessions/abc`` → ``/sessions/{id}``)."""
    if (method, path) in ops:
        return ops[(method, path)]
    for (m, template), op in ops.items():
        pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template))
        if m == method and op["templated"] and re.fullmatch(pattern, path):
            return op
    return None
