"""进阶名单 and 三级进阶: the registry's latest ladder decision per worker and step, one
worker's steps rule by rule, and 纳入专家库 through the registry."""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shegong.console.api import registry
from shegong.console.pages.training import PAGE, page_links, problem_status, read_or_problem
from shegong.console.upstream import UpstreamError
from shegong.console.web import Ctx, page_context

ADMIT = registry.POST_LADDER_WORKER_ID_EXPERT_POOL


def training_ladder_router() -> APIRouter:
    router = APIRouter()

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
        found, problem = await read_or_problem(
            ctx, ctx.registry, registry.GET_LADDER, {**filters, "limit": PAGE, "offset": offset}
        )
        return ctx.render(
            "training_ladder.html",
            found=found,
            problem=problem,
            f=filters,
            pager=page_links("/training/ladder", filters, found.total if found else 0, offset),
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
            answer = await ctx.registry.read(ADMIT, json=body, worker_id=worker_id)
        except UpstreamError as err:
            status = 403 if err.kind == "forbidden" else 400
            return await _standing_page(ctx, worker_id, refusal=ctx.problem(err), status=status)
        day = answer.admitted_on.isoformat()
        target = f"/training/ladder/{path}?{urlencode({'admitted': day})}"
        return RedirectResponse(target, status_code=303)

    return router


async def _standing_page(
    ctx: Ctx,
    worker_id: str,
    *,
    admitted: str = "",
    refusal: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    (found, problem), (worker, _) = await asyncio.gather(
        read_or_problem(ctx, ctx.registry, registry.GET_LADDER_WORKER_ID, {"worker_id": worker_id}),
        read_or_problem(
            ctx, ctx.registry, registry.GET_WORKERS_WORKER_ID, {"worker_id": worker_id}
        ),
    )
    if problem is not None:
        status = problem_status(problem["kind"])
    return ctx.render(
        "training_worker.html",
        status_code=status,
        ld=found,
        worker=worker,
        problem=problem,
        refusal=refusal,
        admitted=admitted,
    )
