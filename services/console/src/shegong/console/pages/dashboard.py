"""数据看板: the workforce, service and training indicators for a year and a region.

Every figure is the services' own number (``/indicators/*``), shown as it came; the charts
read the same JSON the page embeds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from shegong.console.pages.training import training_operations
from shegong.console.upstream import UpstreamError
from shegong.console.web import Ctx, page_context

STAFFING_STANDARD_PER_10K = 18


def dashboard_router() -> APIRouter:
    router = APIRouter()

    @router.get("/dashboard", response_class=HTMLResponse)
    async def dashboard(
        ctx: Annotated[Ctx, Depends(page_context)], year: int | None = None, region: str = ""
    ) -> Response:
        year = year or dt.date.today().year
        region = region.strip()
        regions, problems = await _regions(ctx)
        children = [r for r in regions if (r.get("parent") or "") == region]
        here = next((r for r in regions if r["code"] == region), None)
        workforce, services, training = await asyncio.gather(
            _safe(ctx.registry.get("/indicators/workforce", year=year, region=region or None)),
            _safe(ctx.matching.get("/indicators/services", year=year, region=region or None)),
            _training_indicators(ctx, year, region),
        )
        ratios = await asyncio.gather(
            *(
                _safe(ctx.registry.get("/indicators/workforce", year=year, region=c["code"]))
                for c in children
            )
        )
        staffing = [
            {
                "code": c["code"],
                "name": c["name"],
                "per_10k": r.get("community_workers_per_10k"),
                "community_workers": r.get("community_workers"),
                "urban_population": r.get("urban_population"),
            }
            for c, r in zip(children, ratios, strict=True)
            if isinstance(r, dict)
        ]
        for value in (workforce, services):
            if isinstance(value, UpstreamError):
                problems.append(ctx.problem(value))
        return ctx.render(
            "dashboard.html",
            year=year,
            region=region,
            here=here,
            trail=_trail(regions, region),
            children=children,
            workforce=workforce if isinstance(workforce, dict) else None,
            services=services if isinstance(services, dict) else None,
            training=training,
            staffing=staffing,
            standard=STAFFING_STANDARD_PER_10K,
            problems=problems,
            years=list(range(dt.date.today().year, dt.date.today().year - 6, -1)),
        )

    return router


async def _safe(call: Any) -> Any:
    try:
        return await call
    except UpstreamError as err:
        return err


async def _regions(ctx: Ctx) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    try:
        return list(await ctx.registry.get("/regions")), []
    except UpstreamError as err:
        return [], [ctx.problem(err)]


def _trail(regions: list[dict[str, Any]], code: str) -> list[dict[str, Any]]:
    by_code = {r["code"]: r for r in regions}
    trail = []
    while code and code in by_code:
        trail.append(by_code[code])
        code = by_code[code].get("parent") or ""
    return list(reversed(trail))


async def _training_indicators(ctx: Ctx, year: int, region: str) -> dict[str, Any]:
    """The training service's indicators when it runs and documents them; else why not."""
    ops = await training_operations(ctx)
    if ops is None:
        return {"available": False}
    op = ops.get(("get", "/indicators/training"))
    if op is None:
        return {"available": False}
    params: dict[str, Any] = {"year": year}
    if region and "region" in op["params"]:
        params["region"] = region
    try:
        return {"available": True, "data": await ctx.training.get("/indicators/training", **params)}
    except UpstreamError as err:
        return {"available": False, "problem": ctx.problem(err)}
