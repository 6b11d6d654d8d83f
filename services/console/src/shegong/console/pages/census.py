"""人员库: search persons, one person's records side by side, the review queue, coverage and
data quality, and roster upload with the registry's row-level report."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, UploadFile
from fastapi.responses import HTMLResponse, Response

from shegong.console.api import registry
from shegong.console.pages.imports import start_import
from shegong.console.upstream import UpstreamError
from shegong.console.web import Ctx, page_context

PAGE = 50


def census_router() -> APIRouter:
    router = APIRouter()

    @router.get("/census", response_class=HTMLResponse)
    async def census(
        ctx: Annotated[Ctx, Depends(page_context)], q: str = "", offset: int = 0
    ) -> Response:
        persons, status, review, coverage, quality = await asyncio.gather(
            ctx.registry.read(
                registry.GET_CENSUS_PERSONS, q=q or None, limit=PAGE, offset=max(offset, 0)
            ),
            ctx.registry.read(registry.GET_CENSUS_STATUS),
            ctx.registry.read(registry.GET_CENSUS_REVIEW, limit=PAGE),
            ctx.registry.read(registry.GET_CENSUS_COVERAGE),
            ctx.registry.read(registry.GET_CENSUS_QUALITY),
        )
        return ctx.render(
            "census.html",
            q=q,
            offset=offset,
            page=PAGE,
            persons=persons,
            status=status,
            review=review,
            coverage=coverage,
            quality=quality,
        )

    @router.get("/census/persons/{person_id}", response_class=HTMLResponse)
    async def person(ctx: Annotated[Ctx, Depends(page_context)], person_id: str) -> Response:
        found = await ctx.registry.read(registry.GET_CENSUS_PERSONS_PERSON_ID, person_id=person_id)
        fields = _record_fields(found.record_details)
        return ctx.render("person.html", person=found, fields=fields)

    @router.post("/census/review", response_class=HTMLResponse)
    async def decide(
        ctx: Annotated[Ctx, Depends(page_context)],
        a: Annotated[str, Form()],
        b: Annotated[str, Form()],
        same: Annotated[bool, Form()],
    ) -> Response:
        """One click: the pair's row is replaced by the decision (HTMX)."""
        try:
            body = {"a": a, "b": b, "same": same}
            await ctx.registry.read(registry.POST_CENSUS_REVIEW, json=body)
            problem = None
        except UpstreamError as err:
            problem = ctx.problem(err)
        return ctx.render("_decided.html", a=a, b=b, same=same, problem=problem)

    @router.post("/census/roster", response_class=HTMLResponse)
    async def upload_roster(
        ctx: Annotated[Ctx, Depends(page_context)],
        file: UploadFile,
        department: Annotated[str, Form()],
        department_name: Annotated[str, Form()] = "",
    ) -> Response:
        content = await file.read()
        return await start_import(  # a job: the live bar, then the report
            ctx,
            ctx.registry,
            "/imports/roster",
            files={"file": (file.filename or "roster.csv", content)},
            data={"department": department, "department_name": department_name},
        )

    return router


SHOWN = (
    "name",
    "gender",
    "birth_date",
    "id_masked",
    "phone_masked",
    "organization",
    "org_type",
    "post",
    "county",
    "township",
    "community",
    "hired_on",
    "left_on",
)


def _record_fields(records: list[registry.RecordDetail]) -> list[dict[str, Any]]:
    """Each field across the departments' records, marked where the records disagree."""
    rows = []
    for name in SHOWN:
        values = [getattr(r, name) for r in records]
        if name == "birth_date":  # a key that may not see it whole gets the year
            values = [v or r.birth_year for v, r in zip(values, records, strict=True)]
        present = {str(v) for v in values if v not in (None, "")}
        if name == "birth_date" and any(isinstance(v, int) for v in values):
            present = {p[:4] for p in present}  # a year beside a date: compare the years
        rows.append({"field": name, "values": values, "differs": len(present) > 1})
    return rows
