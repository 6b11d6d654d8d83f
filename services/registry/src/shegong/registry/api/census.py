"""The census over HTTP: persons, the review queue and decisions, coverage, data quality,
the workforce indicators, the expert pool upload."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.kernel.data.formula import safe_cell
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.ops.db import reading
from shegong.kernel.web.access_log import audited_read
from shegong.kernel.web.auth import Ctx, admin_only
from shegong.kernel.web.birth_dates import narrow_problems
from shegong.kernel.web.digests import for_caller
from shegong.registry.api.census_models import (
    CensusStatus,
    Coverage,
    DecisionRecorded,
    MatchModelView,
    PersonDetail,
    PersonsPage,
    PersonSummary,
    Quality,
    ReviewQueue,
    TrainingRequested,
    WorkforceIndicators,
)
from shegong.registry.api.imports import _imported
from shegong.registry.api.models import ExpertPoolImported
from shegong.registry.application.census import CensusCommands, ExpertPoolImporter
from shegong.registry.census import quality as census_quality
from shegong.registry.census import queries, workforce_reads
from shegong.registry.census import review as census_review
from shegong.registry.census.indicator_table import format_table

Year = Annotated[int, Query(ge=2000, le=2100, description="Indicators as of 31 December")]


class Decision(BaseModel):
    """A clerk's decision on a pair of records (from the review queue or anywhere)."""

    a: str = Field(min_length=3, max_length=200, description="record key department:record_id")
    b: str = Field(min_length=3, max_length=200)
    same: bool = Field(description="true: one person (同一人); false: two persons (不同人)")
    note: str | None = Field(default=None, max_length=500)


def census_router(
    engine: AsyncEngine, commands: CensusCommands, experts: ExpertPoolImporter
) -> APIRouter:
    router = APIRouter(tags=["census"])

    @router.get(
        "/census/status",
        summary="How far the census has got, and its size",
        response_model=CensusStatus,
    )
    async def status() -> dict[str, Any]:
        async with reading(engine) as conn:
            return await queries.status(conn)

    @router.get(
        "/census/persons",
        summary="Persons (one per human), department records merged (recorded in the access log)",
        dependencies=[Depends(audited_read("census_persons"))],
        response_model=PersonsPage,
    )
    async def persons(
        request: Request,
        q: Annotated[str | None, Query(max_length=64, description="part of a name")] = None,
        department: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    ) -> dict[str, Any]:
        async with reading(engine) as conn:
            found = await queries.persons_page(
                conn, q=q, department=department, limit=limit, offset=offset
            )
        return for_caller(request, found)  # type: ignore[no-any-return]

    @router.get(
        "/census/persons/{person_id:path}",
        summary="One person: records, disagreements",
        response_model=PersonDetail,
    )
    async def person(request: Request, person_id: str) -> dict[str, Any]:
        async with reading(engine) as conn:
            found = await queries.person_detail(conn, person_id)
        if found is None:
            raise DomainError(
                "no such person in the census (person_id)",
                field="person_id",
                code="not_found",
                zh="人员库中没有该人员（person_id）",
            )
        return for_caller(request, found)  # type: ignore[no-any-return]

    @router.get(
        "/census/review",
        summary="Pairs the rules cannot decide (待人工判定)",
        response_model=ReviewQueue,
        response_model_exclude_unset=True,
    )
    async def review(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    ) -> dict[str, Any]:
        async with reading(engine) as conn:
            found = await census_review.review_queue(conn, limit=limit, offset=offset)
        return for_caller(request, found)  # type: ignore[no-any-return]

    @router.post(
        "/census/review",
        status_code=202,
        summary="Decide a pair: same person or not (人工判定; city admin only)",
        dependencies=[Depends(admin_only)],
        response_model=DecisionRecorded,
    )
    async def decide(decision: Decision, ctx: Ctx) -> dict[str, Any]:
        return await commands.decide(decision.a, decision.b, decision.same, decision.note, ctx)

    @router.get(
        "/census/model",
        summary="The match model in use: m, u and the weight of each comparison level",
        response_model=MatchModelView,
    )
    async def model() -> dict[str, Any]:
        async with reading(engine) as conn:
            return await queries.model(conn)

    @router.post(
        "/census/model/train",
        status_code=202,
        summary="Learn the match model again from the records (city admin only)",
        dependencies=[Depends(admin_only)],
        response_model=TrainingRequested,
    )
    async def train(ctx: Ctx) -> dict[str, Any]:
        return await commands.request_training(ctx)

    @router.get(
        "/census/coverage",
        summary="Who one department reports that another does not",
        response_model=Coverage,
        response_model_exclude_unset=True,
    )
    async def coverage(
        request: Request,
        a: Annotated[str | None, Query(max_length=64, description="department code")] = None,
        b: Annotated[str | None, Query(max_length=64, description="department code")] = None,
    ) -> dict[str, Any]:
        if (a is None) != (b is None):
            raise DomainError(
                "give both a and b, or neither (for the matrix)",
                field="b" if b is None else "a",
                zh="请同时给出 a 和 b 两个部门，或都不给（得到全部部门的矩阵）",
            )
        async with reading(engine) as conn:
            try:
                found = await census_quality.coverage(conn, a, b)
            except LookupError as err:
                field = "a" if repr(a) in str(err) else "b"
                raise DomainError(
                    f"{field}: {err}",
                    field=field,
                    code="not_found",
                    zh=f"{field}：该部门在人员库中没有记录",
                ) from None
        return for_caller(request, found)  # type: ignore[no-any-return]

    @router.get(
        "/census/quality", summary="Data-quality problems per department", response_model=Quality
    )
    async def quality(request: Request) -> dict[str, Any]:
        async with reading(engine) as conn:
            found = await census_quality.quality(conn)
        principal = getattr(request.state, "principal", None)
        for department, rows in found["rows_with_problems"].items():
            rows["first"] = narrow_problems(rows["first"], principal, department)
        return found

    @router.get(
        "/census/export",
        summary="One row per person, as CSV or JSON (recorded in the access log)",
        dependencies=[Depends(audited_read("census_export"))],
        response_model=list[PersonSummary],
        responses={
            200: {
                "description": "format=json: the persons as JSON; format=csv (the default): "
                "the same rows as a CSV download (census.csv, UTF-8)",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        },
    )
    async def export(request: Request, format: Literal["csv", "json"] = "csv") -> Response:
        async with reading(engine) as conn:
            rows = for_caller(request, await queries.export_persons(conn))
        if format == "json":
            return Response(
                await asyncio.to_thread(json.dumps, rows, ensure_ascii=False, default=str),
                media_type="application/json",
            )
        return PlainTextResponse(
            await asyncio.to_thread(export_csv, rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="census.csv"'},
        )

    @router.get(
        "/indicators/workforce",
        summary="Workforce indicators as of 31 Dec of a year",
        response_model=WorkforceIndicators,
    )
    async def workforce(
        year: Year,
        region: Annotated[str | None, Query(description="region code, e.g. 安定区")] = None,
        format: Literal["json", "table"] = "json",
        as_of: Annotated[
            date | None,
            Query(description="a day of the year (default 31 Dec); YoY against a year before"),
        ] = None,
        basis: Annotated[
            Literal["best_estimate", "linked"],
            Query(
                description="best_estimate: each pair awaiting a clerk counted as one person "
                "from match probability 0.5 (a clerk's decision always wins); linked: "
                "linked persons only"
            ),
        ] = "best_estimate",
    ) -> Any:
        if as_of is not None and as_of.year != year:
            raise DomainError(
                f"as_of: {as_of} is not a day of {year}",
                field="as_of",
                zh=f"as_of：{as_of} 不在 {year} 年内",
            )
        async with reading(engine) as conn:
            try:
                result = await workforce_reads.workforce(conn, year, region, as_of, basis)
            except ValueError:
                raise DomainError(
                    "region: not a region of the imported region tree",
                    field="region",
                    code="not_found",
                    zh="region：区划树中没有该地区（请先导入区划）",
                ) from None
        if format == "table":
            return PlainTextResponse(format_table(result))
        return result

    @router.post(
        "/imports/expert-pool",
        summary="Admit persons to the expert pool (专家库; city admin only)",
        dependencies=[Depends(admin_only)],
        response_model=ExpertPoolImported,
    )
    async def import_experts(
        request: Request,
        ctx: Ctx,
        file: Annotated[UploadFile, File(description="姓名, 身份证号, 入库日期: .csv or .xlsx")],
    ) -> Any:
        return await _imported(
            request,
            "expert-pool",
            file,
            "experts.csv",
            lambda data, name, _: experts.import_file(data, name, ctx),
        )

    return router


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        value = ";".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    # A cell a spreadsheet would run as a formula is written as text (CSV injection).
    return safe_cell(value)


def export_csv(rows: list[dict[str, Any]]) -> str:
    """UTF-8 with BOM (Excel on Windows opens it right), bilingual header."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"{zh} {en}" for en, zh in queries.EXPORT_COLUMNS])
    for row in rows:
        # A key that may not see a birth date whole reads its year in that column.
        row = {**row, "birth_date": row.get("birth_date") or row.get("birth_year")}
        writer.writerow([_cell(row.get(en)) for en, _ in queries.EXPORT_COLUMNS])
    return "\ufeff" + out.getvalue()
