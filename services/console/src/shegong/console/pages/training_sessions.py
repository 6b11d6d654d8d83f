"""培训日历 and a session's page: the month's sessions on their dates, one session with
its attendance as training gives it, 报名 and its sign-in sheet when training offers them."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shegong.console.api import training
from shegong.console.month import Month, by_day
from shegong.console.pages.training import (
    ENROL,
    SESSION,
    SIGNIN_SHEET,
    problem_status,
    training_operations,
)
from shegong.console.upstream import UpstreamError
from shegong.console.web import Ctx, page_context

ENROL_OP = training.POST_SESSIONS_SESSION_ID_ENROLMENTS


def training_sessions_router() -> APIRouter:
    router = APIRouter()

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
            sessions = await ctx.training.read(training.GET_SESSIONS, **params)
        except UpstreamError as err:
            sessions, problem = [], ctx.problem(err)
        placed = by_day(sessions, lambda s: s.held_on)
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
        try:
            answer = await ctx.training.read(
                ENROL_OP, json={"worker_id": worker}, session_id=session_id
            )
        except UpstreamError as err:
            status = 403 if err.kind == "forbidden" else 400
            return await _session_page(ctx, session_id, problem=ctx.problem(err), status=status)
        accepted = int(bool(answer.accepted))
        target = f"/training/sessions/{quote(session_id, safe='')}"
        return RedirectResponse(
            f"{target}?enrolled={quote(worker, safe='')}&accepted={accepted}", status_code=303
        )

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
        found = await ctx.training.read(training.GET_SESSIONS_SESSION_ID, session_id=session_id)
    except UpstreamError as err:
        return ctx.render(
            "training_session.html",
            status_code=problem_status(err.kind),
            available=True,
            ts=None,
            problem=ctx.problem(err),
        )
    bases: dict[str, str] = {}
    if ("get", "/bases") in ops and found.base_id:
        try:
            bases = {b.base_id: b.name for b in await ctx.training.read(training.GET_BASES)}
        except UpstreamError:
            bases = {}
    return ctx.render(
        "training_session.html",
        status_code=status,
        available=True,
        ts=found,
        base_name=bases.get(found.base_id or ""),
        can_enrol=ENROL in ops,
        upload=ops.get(SIGNIN_SHEET),
        enrolled=enrolled,
        accepted=accepted,
        problem=problem,
    )
