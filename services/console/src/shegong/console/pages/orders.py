"""服务: the order board (点单看板) refreshing live, placing, taking, escalating and following
up orders, overdue follow-ups, programmes and volunteer hours — all through matching's API."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shegong.console.api import matching
from shegong.console.upstream import UpstreamError
from shegong.console.web import Ctx, page_context

COLUMNS = ("new", "offered", "escalated", "accepted", "follow_up", "done")
TARGET_GROUPS = {
    "elderly": ("一老", "elderly"),
    "children": ("一小", "children"),
    "hardship": ("一困", "hardship"),
    "disability": ("一残", "disability"),
}
BOARD_LIMIT = 500
CARD_LIMIT = 30  # cards shown per column; the count above it is the whole column
CANDIDATES = matching.GET_REQUESTS_REQUEST_ID_CANDIDATES
ASSIGN = matching.POST_REQUESTS_REQUEST_ID_ASSIGN
ACTIONS = {  # a card's buttons
    "accept": matching.POST_REQUESTS_REQUEST_ID_ACCEPT,
    "decline": matching.POST_REQUESTS_REQUEST_ID_DECLINE,
    "escalate": matching.POST_REQUESTS_REQUEST_ID_ESCALATE,
    "start": matching.POST_REQUESTS_REQUEST_ID_START,
    "finish": matching.POST_REQUESTS_REQUEST_ID_FINISH,
    "follow-up": matching.POST_REQUESTS_REQUEST_ID_FOLLOW_UP,
}


def column_of(order: matching.RequestRow) -> str | None:
    """新点单 / 待接单 / 已升级 / 已接单 / 待回访 / 已完成 from the order's status and level."""
    status = order.status
    if status in ("open", "offered"):
        if order.level:
            return "escalated"
        return "new" if status == "open" else "offered"
    if status in ("accepted", "in_delivery"):
        return "accepted"
    if status == "completed":
        return "follow_up"
    if status == "followed_up":
        return "done"
    return None  # cancelled orders leave the board


async def _board(ctx: Ctx, region: str = "") -> dict[str, Any]:
    orders, providers, types = await asyncio.gather(
        ctx.matching.read(matching.GET_REQUESTS, limit=BOARD_LIMIT, community=region or None),
        ctx.matching.read(matching.GET_PROVIDERS, limit=500),
        ctx.matching.read(matching.GET_SERVICE_TYPES),
    )
    names = {p.provider_id: p.name for p in providers}
    type_zh = {t.code: t.label_zh for t in types}
    columns: dict[str, list[matching.RequestRow]] = {c: [] for c in COLUMNS}
    for order in orders:
        column = column_of(order)
        if column is not None:
            columns[column].append(order)
    return {"columns": columns, "names": names, "type_zh": type_zh, "region": region}


def _board_values(board: dict[str, Any]) -> dict[str, Any]:
    return {"board": board, "columns": COLUMNS, "groups": TARGET_GROUPS, "card_limit": CARD_LIMIT}


def orders_router() -> APIRouter:
    router = APIRouter()

    @router.get("/services", response_class=HTMLResponse)
    async def services(ctx: Annotated[Ctx, Depends(page_context)], region: str = "") -> Response:
        board, types, regions, overdue, programmes = await asyncio.gather(
            _board(ctx, region.strip()),
            ctx.matching.read(matching.GET_SERVICE_TYPES),
            ctx.region_codes("community"),
            ctx.matching.read(matching.GET_REQUESTS_FOLLOW_UPS_OVERDUE),
            ctx.matching.read(matching.GET_PROGRAMMES),
        )
        hours = await ctx.matching.read(matching.GET_HOURS, year=dt.date.today().year)
        return ctx.render(
            "services.html",
            **_board_values(board),
            types=types,
            communities=regions,
            overdue=overdue,
            programmes=programmes,
            hours=hours,
        )

    @router.get("/services/board", response_class=HTMLResponse)
    async def board(ctx: Annotated[Ctx, Depends(page_context)], region: str = "") -> Response:
        """The board alone: what HTMX polls every 2 seconds."""
        return await _render_board(ctx, region.strip())

    @router.post("/services/orders")
    async def place(
        ctx: Annotated[Ctx, Depends(page_context)],
        community: Annotated[str, Form()],
        target_group: Annotated[str, Form()],
        service_type: Annotated[str, Form()],
        urgency: Annotated[str, Form()] = "routine",
        notes: Annotated[str, Form()] = "",
    ) -> Response:
        body = {
            "community": community.strip(),
            "target_group": target_group,
            "service_type": service_type,
            "urgency": urgency,
            "notes": notes or None,
        }
        await ctx.matching.read(matching.POST_REQUESTS, json=body)
        return RedirectResponse("/services", status_code=303)

    @router.get("/services/orders/{request_id}/candidates", response_class=HTMLResponse)
    async def candidates(
        ctx: Annotated[Ctx, Depends(page_context)], request_id: str, region: str = ""
    ) -> Response:
        """派单: matching's ranked, explained candidates as the choice list (outside the
        board, so its 2-second refresh leaves the staff user's choice alone)."""
        try:
            order, ranked = await asyncio.gather(
                ctx.matching.read(matching.GET_REQUESTS_REQUEST_ID, request_id=request_id),
                ctx.matching.read(CANDIDATES, request_id=request_id),
            )
        except UpstreamError as err:
            return ctx.render("_assign.html", order=None, panel_problem=ctx.problem(err))
        return ctx.render(
            "_assign.html",
            order=order,
            ranked=ranked.ranked,
            ineligible=ranked.ineligible,
            staff=ctx.request.session.get("key_label") or "",
            region=region,
        )

    # Before the card actions' route, which would take "assign" for one of its own.
    @router.post("/services/orders/{request_id}/assign", response_class=HTMLResponse)
    async def assign(
        ctx: Annotated[Ctx, Depends(page_context)],
        request_id: str,
        provider_id: Annotated[str, Form()] = "",
        staff: Annotated[str, Form()] = "",
        region: Annotated[str, Form()] = "",
    ) -> Response:
        """The board re-rendered; the panel (out of band) cleared, or the refusal in it."""
        body = {"provider_id": provider_id.strip(), "staff": staff.strip()}
        problem = None
        try:
            await ctx.matching.read(ASSIGN, json=body, request_id=request_id)
        except UpstreamError as err:
            problem = ctx.problem(err)
        values = await _board_or_problem(ctx, region.strip())
        return ctx.render(
            "_assigned.html", **values, oob=True, panel_problem=problem, done=problem is None
        )

    @router.post("/services/orders/{request_id}/{action}", response_class=HTMLResponse)
    async def act(
        ctx: Annotated[Ctx, Depends(page_context)],
        request_id: str,
        action: str,
        provider_id: Annotated[str, Form()] = "",
        region: Annotated[str, Form()] = "",
        reason: Annotated[str, Form()] = "",
        hours: Annotated[float, Form()] = 1.0,
        satisfaction: Annotated[int, Form()] = 5,
    ) -> Response:
        """A card's button (HTMX): the board comes back re-rendered, or the error on top."""
        bodies: dict[str, Any] = {
            "accept": {"provider_id": provider_id},
            "decline": {"provider_id": provider_id, "reason": reason.strip() or "unavailable"},
            "escalate": None,
            "start": {},
            "finish": {"hours": hours},
            "follow-up": {"satisfaction": satisfaction},
        }
        problem = None
        if action not in ACTIONS:
            problem = {"text": ctx.t("error"), "detail": action}
        else:
            try:
                await ctx.matching.read(ACTIONS[action], json=bodies[action], request_id=request_id)
            except UpstreamError as err:
                problem = ctx.problem(err)
        return await _render_board(ctx, region.strip(), problem)

    return router


async def _render_board(ctx: Ctx, region: str, problem: dict[str, str] | None = None) -> Response:
    """Always 200: HTMX swaps only successful answers, so a refusal (401/403) or an absent
    matching service is shown on the board instead of leaving it silently stale."""
    return ctx.render("_board.html", **await _board_or_problem(ctx, region, problem))


async def _board_or_problem(
    ctx: Ctx, region: str, problem: dict[str, str] | None = None
) -> dict[str, Any]:
    try:
        board = await _board(ctx, region)
    except UpstreamError as err:
        empty: dict[str, list[Any]] = {c: [] for c in COLUMNS}
        board = {"columns": empty, "names": {}, "type_zh": {}, "region": region}
        problem = ctx.problem(err)
    return {**_board_values(board), "problem": problem}
