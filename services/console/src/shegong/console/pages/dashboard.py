"""数据看板: the workforce, service and training indicators for a year and a region.

Every figure is the services' own number (``/indicators/*``), shown as it came; the charts
read the same JSON the page embeds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from shegong.console.api import matching, registry
from shegong.console.api import training as training_api
from shegong.console.pages.training import training_operations
from shegong.console.upstream import UpstreamError
from shegong.console.web import Ctx, page_context

STAFFING_STANDARD_PER_10K = 18
WORKFORCE = registry.GET_INDICATORS_WORKFORCE
T = TypeVar("T")


def dashboard_router() -> APIRouter:
    router = APIRouter()

    @router.get("/dashboard", response_class=HTMLResponse)
    async def dashboard(
        ctx: Annotated[Ctx, Depends(page_context)], year: int | None = None, region: str = ""
    ) -> Response:
        year = year or dt.date.today().year
        region = region.strip()
        regions, problems = await _regions(ctx)
        children = [r for r in regions if (r.parent or "") == region]
        here = next((r for r in regions if r.code == region), None)
        workforce, services, training = await asyncio.gather(
            _safe(ctx.registry.read(WORKFORCE, year=year, region=region or None)),
            _safe(
                ctx.matching.read(
                    matching.GET_INDICATORS_SERVICES, year=year, region=region or None
                )
            ),
            _training_indicators(ctx, year, region),
        )
        ratios = await asyncio.gather(
            *(_safe(ctx.registry.read(WORKFORCE, year=year, region=c.code)) for c in children)
        )
        staffing = [
            {
                "code": c.code,
                "name": c.name,
                "per_10k": r.community_workers_per_10k,
                "community_workers": r.community_workers,
                "urban_population": r.urban_population,
            }
            for c, r in zip(children, ratios, strict=True)
            if isinstance(r, registry.WorkforceIndicators)
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
            workforce=workforce if isinstance(workforce, registry.WorkforceIndicators) else None,
            services=services if isinstance(services, matching.ServiceIndicators) else None,
            training=training,
            staffing=staffing,
            standard=STAFFING_STANDARD_PER_10K,
            problems=problems,
            years=list(range(dt.date.today().year, dt.date.today().year - 6, -1)),
        )

    return router


async def _safe(call: Awaitable[T]) -> T | UpstreamError:
    try:
        return await call
    except UpstreamError as err:
        return err


async def _regions(ctx: Ctx) -> tuple[list[registry.RegionRow], list[dict[str, str]]]:
    try:
        return await ctx.registry.read(registry.GET_REGIONS), []
    except UpstreamError as err:
        return [], [ctx.problem(err)]


def _trail(regions: list[registry.RegionRow], code: str) -> list[registry.RegionRow]:
    by_code = {r.code: r for r in regions}
    trail = []
    while code and code in by_code:
        trail.append(by_code[code])
        code = by_code[code].parent or ""
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
        found = await ctx.training.read(training_api.GET_INDICATORS_TRAINING, **params)
        # Shown figure by figure as training names them (its own labels_zh among them).
        return {"available": True, "data": found.model_dump(mode="json")}
    except UpstreamError as err:
        return {"available": False, "problem": ctx.problem(err)}
