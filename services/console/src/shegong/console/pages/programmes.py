"""项目与打卡: a programme's occurrences for a month with their check-ins, and 打卡 — all
through matching's API (``/programmes``, ``/programmes/{id}/occurrences``, ``/check-ins``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shegong.console.api import matching
from shegong.console.month import Month, by_day
from shegong.console.upstream import UpstreamError
from shegong.console.web import Ctx, page_context

OCCURRENCES = matching.GET_PROGRAMMES_PROGRAMME_ID_OCCURRENCES
CHECK_IN = matching.POST_PROGRAMMES_PROGRAMME_ID_CHECK_INS


def programmes_router() -> APIRouter:
    router = APIRouter()

    @router.get("/services/programmes/{programme_id}", response_class=HTMLResponse)
    async def programme(
        ctx: Annotated[Ctx, Depends(page_context)],
        programme_id: str,
        month: str = "",
        checked: str = "",
        recorded: int | None = None,
        count: int | None = None,
    ) -> Response:
        result = {"participant": checked, "recorded": recorded, "count": count} if checked else None
        return await _programme_page(ctx, programme_id, Month.parse(month), result=result)

    @router.post("/services/programmes/{programme_id}/check-ins", response_class=HTMLResponse)
    async def check_in(
        ctx: Annotated[Ctx, Depends(page_context)],
        programme_id: str,
        occurrence: Annotated[str, Form()] = "",
        participant: Annotated[str, Form()] = "",
    ) -> Response:
        body = {"occurrence": occurrence.strip(), "participant": participant.strip()}
        m = Month.parse(occurrence.strip()[:7])
        try:
            answer = await ctx.matching.read(CHECK_IN, json=body, programme_id=programme_id)
        except UpstreamError as err:
            return await _programme_page(ctx, programme_id, m, problem=ctx.problem(err), status=400)
        recorded = int(answer.recorded)
        target = f"/services/programmes/{quote(programme_id, safe='')}?month={m.key}"
        who = quote(body["participant"], safe="")
        return RedirectResponse(
            f"{target}&checked={who}&recorded={recorded}&count={answer.check_ins}",
            status_code=303,
        )

    return router


async def _programme_page(
    ctx: Ctx,
    programme_id: str,
    m: Month,
    *,
    result: dict[str, Any] | None = None,
    problem: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    listed = await ctx.matching.read(matching.GET_PROGRAMMES)
    found = next((p for p in listed if p.programme_id == programme_id), None)
    if found is None:
        missing = {"text": ctx.t("error"), "service": "matching", "detail": programme_id}
        return ctx.render("programme.html", status_code=404, programme=None, problem=missing)
    try:
        occurrences = await ctx.matching.read(
            OCCURRENCES,
            programme_id=programme_id,
            start=m.first.isoformat(),
            end=m.last.isoformat(),
        )
    except UpstreamError as err:
        occurrences, problem = [], problem or ctx.problem(err)
    today = dt.date.today()
    return ctx.render(
        "programme.html",
        status_code=status,
        programme=found,
        m=m,
        placed=by_day(occurrences, lambda o: o.occurrence),
        occurrences=occurrences,
        # 打卡 only for an occurrence that has happened (matching refuses future ones).
        open_days=[o.occurrence for o in occurrences if o.occurrence <= today],
        total=sum(o.check_ins for o in occurrences),
        result=result,
        problem=problem,
    )
