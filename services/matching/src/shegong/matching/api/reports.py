"""Indicators and the hours ledger over HTTP."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.web.access_log import audited_read
from shegong.matching.api.indicator_models import ServiceIndicators
from shegong.matching.api.models import HoursLedger
from shegong.matching.application.hours_export import ledger_rows, to_csv
from shegong.matching.application.indicators import service_indicators


def reports_router(engine: AsyncEngine) -> APIRouter:
    router = APIRouter(tags=["indicators"])

    @router.get(
        "/indicators/services",
        response_model=ServiceIndicators,
        summary="Service indicators for a year (服务指标)",
        description="Orders are counted in the year they were placed, deliveries in the year "
        "they finished, ratings in the year of their follow-up (回访); with a region, those "
        "whose community lies in it. Rates are fractions (0.75, not 75 %). Each field's "
        "definition is in the response schema below.",
    )
    async def indicators(
        year: int = Query(ge=2000, le=2100),
        region: str | None = Query(None, description="Region path, e.g. 安定区/永定路街道"),
        as_of: date | None = Query(None, description="a day of the year: the year so far"),
    ) -> dict[str, Any]:
        if as_of is not None and as_of.year != year:
            raise DomainError(
                f"as_of: {as_of} is not a day of {year}",
                field="as_of",
                zh=f"as_of：{as_of} 不在 {year} 年内",
            )
        return await service_indicators(engine, year, region, as_of)

    @router.get(
        "/hours",
        summary="The hours ledger, with totals",
        description="One entry per delivery (a re-delivery after a reopen is another entry), "
        "appended when it finishes; `satisfaction` and `followed_up_on` are that delivery's "
        "own follow-up (回访), null until it is given. Totals sum the entries' hours per "
        "person, team and organisation.",
        response_model=HoursLedger,
        dependencies=[Depends(audited_read("hours_ledger"))],
    )
    async def hours(
        year: int | None = Query(None, ge=2000, le=2100),
        provider_id: str | None = None,
    ) -> dict[str, Any]:
        rows = await ledger_rows(engine, year, provider_id)
        totals: dict[str, dict[str, float]] = {
            "person": defaultdict(float),
            "team": defaultdict(float),
            "organisation": defaultdict(float),
        }
        for r in rows:
            totals["person"][r["person"]] += r["hours"]
            if r["team"]:
                totals["team"][r["team"]] += r["hours"]
            if r["organisation"]:
                totals["organisation"][r["organisation"]] += r["hours"]
        return {"entries": rows, "totals": {k: dict(v) for k, v in totals.items()}}

    @router.get(
        "/hours/export.csv",
        summary="Volunteer service records as CSV (志愿服务记录)",
        response_class=Response,
        dependencies=[Depends(audited_read("hours_export"))],
    )
    async def export(year: int | None = Query(None, ge=2000, le=2100)) -> Response:
        body = to_csv(await ledger_rows(engine, year))
        name = f"service-hours-{year or 'all'}.csv"
        return Response(
            body.encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    return router
