"""Roster upload (花名册导入) over HTTP: ``POST /imports/roster``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse

from shegong.registry.api.routes import Ctx
from shegong.registry.application.region_import import RegionImporter
from shegong.registry.application.roster_import import RosterImporter
from shegong.registry.imports.roster import RosterFileError

MAX_UPLOAD = 64 * 1024 * 1024


def imports_router(importer: RosterImporter, regions: RegionImporter) -> APIRouter:
    router = APIRouter(prefix="/imports", tags=["imports"])

    @router.post("/regions", summary="Import the region tree with urban population (区县…)")
    async def import_regions(
        ctx: Ctx,
        file: Annotated[UploadFile, File(description="区县, 乡镇街道, 社区村, 城镇常住人口")],
    ) -> Any:
        data = await file.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            return _file_error(413, "file is larger than 64 MiB", "文件超过 64 MiB")
        try:
            report = await regions.import_file(data, file.filename or "regions.csv", ctx)
        except RosterFileError as err:
            return _file_error(422, str(err), getattr(err, "message_zh", None))
        return report.as_dict()

    @router.post("/roster", summary="Import a department's roster (CSV UTF-8/GBK or XLSX)")
    async def import_roster(
        ctx: Ctx,
        file: Annotated[UploadFile, File(description="花名册: .csv or .xlsx")],
        department: Annotated[str, Form(description="Department code, e.g. civil-affairs")],
        department_name: Annotated[str | None, Form(description="e.g. 民政局")] = None,
    ) -> Any:
        data = await file.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            return _file_error(413, "file is larger than 64 MiB", "文件超过 64 MiB")
        try:
            report = await importer.import_file(
                department,
                data,
                file.filename or "roster.csv",
                ctx,
                department_name=department_name,
            )
        except RosterFileError as err:
            return _file_error(422, str(err), getattr(err, "message_zh", None))
        return report.as_dict()

    return router


def _file_error(status: int, message: str, message_zh: str | None) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "code": "bad_file",
                "field": "file",
                "message": message,
                "message_zh": message_zh,
            }
        },
        status_code=status,
    )
