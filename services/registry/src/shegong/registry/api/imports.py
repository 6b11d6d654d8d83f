"""File uploads over HTTP: rosters (花名册, ``POST /imports/roster``) and the region tree."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from shegong.kernel.data.tabular import TabularFileError, open_upload
from shegong.kernel.data.visible import VisibleText
from shegong.kernel.events.jobs import Progress, run_import
from shegong.kernel.web.auth import Ctx, admin_only, refuse_other_department
from shegong.registry.api.models import RegionsImported, RosterImported
from shegong.registry.application.region_import import RegionImporter
from shegong.registry.application.roster_import import RosterImporter


def imports_router(importer: RosterImporter, regions: RegionImporter) -> APIRouter:
    router = APIRouter(prefix="/imports", tags=["imports"])

    @router.post(
        "/regions",
        summary="Import the region tree with urban population (区县…; city admin only)",
        dependencies=[Depends(admin_only)],
        response_model=RegionsImported,
    )
    async def import_regions(
        request: Request,
        ctx: Ctx,
        file: Annotated[UploadFile, File(description="区县, 乡镇街道, 社区村, 城镇常住人口")],
    ) -> Any:
        return await _imported(
            request,
            "regions",
            file,
            "regions.csv",
            lambda data, name, _: regions.import_file(data, name, ctx),
        )

    @router.post(
        "/roster",
        summary="Import a department's roster (CSV UTF-8/GBK or XLSX)",
        response_model=RosterImported,
    )
    async def import_roster(
        request: Request,
        ctx: Ctx,
        file: Annotated[UploadFile, File(description="花名册: .csv or .xlsx")],
        department: Annotated[str, Form(description="Department code, e.g. civil-affairs")],
        department_name: Annotated[VisibleText | None, Form(description="e.g. 民政局")] = None,
    ) -> Any:
        refuse_other_department(ctx, department)  # before the upload is even read
        return await _imported(
            request,
            "roster",
            file,
            "roster.csv",
            lambda data, name, progress: importer.import_file(
                department, data, name, ctx, department_name=department_name, progress=progress
            ),
            # tests/faults/test_import_job_restart.py: a roster imported again after a
            # restart cut it short ends as one import would have
            repeatable=True,
        )

    return router


async def _imported(
    request: Request,
    kind: str,
    file: UploadFile,
    default_name: str,
    run: Callable[[bytes, str, Progress | None], Awaitable[Reported]],
    repeatable: bool = False,
) -> Any:
    """Read the upload within the declared limits and parse it off the event loop
    (``tabular.open_upload``), run the import — now, or as a job when the client asks
    (``Prefer: respond-async``, see ``kernel/jobs.py``) — and turn a refused file into a 4xx."""
    try:
        data, filename = await open_upload(file, default_name)
    except TabularFileError as err:
        return _file_error(err.status, err.message, err.message_zh)

    async def work(progress: Progress | None) -> Any:
        try:
            report = await run(data, filename, progress)
        except TabularFileError as err:
            return _file_error(err.status, err.message, err.message_zh)
        return report.as_dict()

    return await run_import(
        request, kind, work, repeatable=repeatable, filename=filename, data=data
    )


class Reported(Protocol):
    def as_dict(self) -> dict[str, Any]: ...


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
