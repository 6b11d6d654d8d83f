"""培训: overdue pre-job training, exam results and the ladder (who is eligible for the next
step, rule by rule) as their own views; the calendar, a session and its 报名.

Uploads (sign-in sheets, exam results) are the forms training documents in its
``/openapi.json``, shown where they belong (a session's sheet on its page, exam results
beside them); "all data" (全部数据) still lists every GET training documents as a table.
Absent service → a notice. A read-only key (审计) is offered no upload or 报名.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from shegong.console.month import Month, by_day
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
            _read(ctx, ctx.training, "/obligations/prejob/overdue", filters),
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
            _read(ctx, ctx.training, "/exams", {**filters, "limit": PAGE, "offset": offset}),
            training_operations(ctx),
        )
        return ctx.render(
            "training_exams.html",
            found=found,
            problem=problem,
            f=filters,
            pager=page_links("/training/exams", filters, found, offset),
            upload=(ops or {}).get(EXAM_RESULTS),
        )

    @router.get("/training/ladder", response_class=HTMLResponse)
    async def ladder(
        ctx: Annotated[Ctx, Depends(page_context)],
        step: str = "",
        eligible: str = "",
        department: str = "",
        offset: int = 0,
    ) -> Response:
        """进阶名单: the registry's latest decision per worker and step, with every rule."""
        filters = {"step": step, "eligible": eligible, "department": department.strip()}
        offset = max(offset, 0)
        found, problem = await _read(
            ctx, ctx.registry, "/ladder", {**filters, "limit": PAGE, "offset": offset}
        )
        return ctx.render(
            "training_ladder.html",
            found=found,
            problem=problem,
            f=filters,
            pager=page_links("/training/ladder", filters, found, offset),
        )

    @router.get("/training/ladder/{worker_id}", response_class=HTMLResponse)
    async def standing(
        ctx: Annotated[Ctx, Depends(page_context)], worker_id: str, admitted: str = ""
    ) -> Response:
        """三级进阶: one worker's steps, each rule met or not with what the worker has; the
        worker's name and organisation as the registry knows them, where it does."""
        return await _standing_page(ctx, worker_id, admitted=admitted)

    @router.post("/training/ladder/{worker_id}/expert-pool", response_class=HTMLResponse)
    async def admit(
        ctx: Annotated[Ctx, Depends(page_context)],
        worker_id: str,
        admitted_on: Annotated[str, Form()] = "",
    ) -> Response:
        """纳入专家库 through the registry, which checks the rules again (and refuses a
        worker already admitted or not eligible): its refusal is shown on the page."""
        path = quote(worker_id, safe="")
        body = {"admitted_on": admitted_on.strip()} if admitted_on.strip() else {}
        try:
            answer = await ctx.registry.post(f"/ladder/{path}/expert-pool", json=body)
        except UpstreamError as err:
            status = 403 if err.kind == "forbidden" else 400
            return await _standing_page(ctx, worker_id, refusal=ctx.problem(err), status=status)
        day = str(answer.get("admitted_on") or "") if isinstance(answer, dict) else ""
        target = f"/training/ladder/{path}?{urlencode({'admitted': day})}"
        return RedirectResponse(target, status_code=303)

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

    @router.get("/training/calendar", response_class=HTMLResponse)
    async def calendar(ctx: Annotated[Ctx, Depends(page_context)], month: str = "") -> Response:
        """培训日历: the month's sessions on their dates, each linking to its page."""
        m = Month.parse(month)
        ops = await training_operations(ctx)
        listing = (ops or {}).get(("get", "/sessions"))
        if listing is None:
            return ctx.render("training_calendar.html", available=False, m=m, placed={})
        params = {"year": m.year} if "year" in listing["params"] else {}
        problem = None
        try:
            sessions = await ctx.training.get("/sessions", **params)
        except UpstreamError as err:
            sessions, problem = [], ctx.problem(err)
        placed = by_day(sessions, lambda s: s.get("held_on"))
        placed = {day: items for day, items in placed.items() if m.contains(day)}
        return ctx.render(
            "training_calendar.html",
            available=True,
            m=m,
            placed=placed,
            count=sum(len(items) for items in placed.values()),
            sessions_view=SESSION in (ops or {}),
            problem=problem,
        )

    @router.get("/training/sessions/{session_id}", response_class=HTMLResponse)
    async def session(
        ctx: Annotated[Ctx, Depends(page_context)],
        session_id: str,
        enrolled: str = "",
        accepted: int | None = None,
    ) -> Response:
        """One session (attendance as training gives it) and 报名 when training offers it."""
        return await _session_page(ctx, session_id, enrolled=enrolled, accepted=accepted)

    @router.post("/training/sessions/{session_id}/enrolments", response_class=HTMLResponse)
    async def enrol(
        ctx: Annotated[Ctx, Depends(page_context)],
        session_id: str,
        worker_id: Annotated[str, Form()] = "",
    ) -> Response:
        worker = worker_id.strip()
        path = f"/sessions/{quote(session_id, safe='')}/enrolments"
        try:
            answer = await ctx.training.post(path, json={"worker_id": worker})
        except UpstreamError as err:
            status = 403 if err.kind == "forbidden" else 400
            return await _session_page(ctx, session_id, problem=ctx.problem(err), status=status)
        accepted = int(bool(answer.get("accepted"))) if isinstance(answer, dict) else 0
        target = f"/training/sessions/{quote(session_id, safe='')}"
        return RedirectResponse(
            f"{target}?enrolled={quote(worker, safe='')}&accepted={accepted}", status_code=303
        )

    @router.post("/training/upload", response_class=HTMLResponse)
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


async def _session_page(
    ctx: Ctx,
    session_id: str,
    *,
    enrolled: str = "",
    accepted: int | None = None,
    problem: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    ops = await training_operations(ctx)
    if ops is None or SESSION not in ops:
        return ctx.render("training_session.html", available=False, ts=None)
    try:
        found = await ctx.training.get(f"/sessions/{quote(session_id, safe='')}")
    except UpstreamError as err:
        return ctx.render(
            "training_session.html",
            status_code=_status(err.kind),
            available=True,
            ts=None,
            problem=ctx.problem(err),
        )
    bases: dict[str, str] = {}
    if ("get", "/bases") in ops and found.get("base_id"):
        try:
            bases = {b["base_id"]: b["name"] for b in await ctx.training.get("/bases")}
        except UpstreamError:
            bases = {}
    return ctx.render(
        "training_session.html",
        status_code=status,
        available=True,
        ts=found,
        base_name=bases.get(found.get("base_id") or ""),
        can_enrol=ENROL in ops,
        upload=ops.get(SIGNIN_SHEET),
        enrolled=enrolled,
        accepted=accepted,
        problem=problem,
    )


async def _standing_page(
    ctx: Ctx,
    worker_id: str,
    *,
    admitted: str = "",
    refusal: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    path = quote(worker_id, safe="")
    (found, problem), (worker, _) = await asyncio.gather(
        _read(ctx, ctx.registry, f"/ladder/{path}"),
        _read(ctx, ctx.registry, f"/workers/{path}"),
    )
    if problem is not None:
        status = _status(problem["kind"])
    return ctx.render(
        "training_worker.html",
        status_code=status,
        ld=found,
        worker=worker,
        problem=problem,
        refusal=refusal,
        admitted=admitted,
    )


async def _read(
    ctx: Ctx, upstream: Upstream, path: str, params: dict[str, Any] | None = None
) -> tuple[Any, dict[str, str] | None]:
    """The service's answer, or what to tell the user instead (the rest of the page shows)."""
    try:
        return await upstream.get(path, **(params or {})), None
    except UpstreamError as err:
        return None, ctx.problem(err)


def _status(kind: str) -> int:
    return {"absent": 503, "forbidden": 403, "unauthenticated": 401}.get(kind, 404)


def page_links(path: str, filters: dict[str, str], found: Any, offset: int) -> dict[str, Any]:
    """Previous/next links keeping the filters; ``total`` as the service counts it."""
    total = int(found.get("total") or 0) if isinstance(found, dict) else 0
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
