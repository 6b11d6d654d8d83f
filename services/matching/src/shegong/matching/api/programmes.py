"""Programmes (常态化项目), check-ins (打卡) and the needs register (需求台账) over HTTP."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.kernel.data.tabular import TabularFileError, open_upload
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.jobs import run_import
from shegong.kernel.ops.db import reading
from shegong.kernel.web.access_log import POLLED, audited_read
from shegong.kernel.web.auth import Ctx
from shegong.matching.adapters.tables import programmes
from shegong.matching.api.models import CheckInResult, Occurrence, ProgrammeRow
from shegong.matching.application.needs import NeedsImporter, unmet_needs
from shegong.matching.application.programmes import ProgrammeCommands, programme_suggestions
from shegong.matching.domain.commands import CheckIn, CreateProgramme


def programmes_router(
    commands: ProgrammeCommands, importer: NeedsImporter, engine: AsyncEngine
) -> APIRouter:
    router = APIRouter(tags=["programmes and needs"])

    @router.post("/programmes", status_code=201, summary="Create a recurring programme (RRULE)")
    async def create(cmd: CreateProgramme, ctx: Ctx) -> dict[str, Any]:
        return await commands.create(cmd, ctx)

    @router.get("/programmes", summary="Programmes", response_model=list[ProgrammeRow])
    async def list_programmes() -> list[dict[str, Any]]:
        async with reading(engine) as conn:
            return [r._asdict() for r in await conn.execute(select(programmes))]

    @router.get("/programmes/suggestions", summary="Needs that keep repeating: make a programme")
    async def suggestions(
        min_repeats: int = Query(3, ge=2, le=100), within_days: int = Query(90, ge=1, le=3650)
    ) -> list[dict[str, Any]]:
        return await programme_suggestions(engine, min_repeats=min_repeats, within_days=within_days)

    @router.get(
        "/programmes/{programme_id}/occurrences",
        summary="Occurrences with check-ins",
        response_model=list[Occurrence],
        # who took part, by name as typed at the check-in (residents too)
        dependencies=[Depends(audited_read("programme_attendance", POLLED))],
    )
    async def occurrences(
        programme_id: str, start: date = Query(...), end: date = Query(...)
    ) -> list[dict[str, Any]]:
        if (end - start).days > 366:
            raise DomainError("at most one year at a time", field="end", zh="一次最多一年")
        return await commands.calendar(programme_id, start, end)

    @router.post(
        "/programmes/{programme_id}/check-ins",
        summary="Check in (打卡)",
        response_model=CheckInResult,
    )
    async def check_in(programme_id: str, cmd: CheckIn, ctx: Ctx) -> dict[str, Any]:
        return await commands.check_in(programme_id, cmd, ctx)

    @router.post("/imports/needs-survey", summary="Import a needs survey (需求调查) CSV/XLSX")
    async def import_survey(request: Request, ctx: Ctx, file: Annotated[UploadFile, File()]) -> Any:
        try:
            # Read within the declared limits and parsed off the event loop.
            data, filename = await open_upload(file, "survey")
        except TabularFileError as err:
            return _file_error(err)

        async def work(_: object) -> Any:
            try:
                report = await importer.import_file(data, filename, ctx)
            except TabularFileError as err:
                return _file_error(err)
            return asdict(report)

        # a job if the client asks
        return await run_import(request, "needs-survey", work, filename=filename, data=data)

    @router.get("/needs/unmet", summary="Unmet needs per community")
    async def unmet(community: str | None = None) -> list[dict[str, Any]]:
        return await unmet_needs(engine, community)

    return router


def _file_error(err: TabularFileError) -> JSONResponse:
    """A refused file: 422 (413 when too large) naming the limit, in both languages."""
    body = {"code": "bad_file", "field": "file", "message": err.message}
    return JSONResponse({"error": {**body, "message_zh": err.message_zh}}, err.status)
