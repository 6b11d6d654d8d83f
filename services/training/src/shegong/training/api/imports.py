"""File uploads: sign-in sheets (``POST /sessions/{id}/signin-sheet``) and national exam
results (``POST /imports/exam-results``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from shegong.kernel.data.tabular import TabularFileError, open_upload
from shegong.kernel.events.jobs import Progress, run_import
from shegong.kernel.web.auth import Ctx
from shegong.training.api.models import SheetImported
from shegong.training.application.imports import ImportReport, SheetImporter


def imports_router(importer: SheetImporter) -> APIRouter:
    router = APIRouter(tags=["imports"])

    @router.post(
        "/sessions/{session_id}/signin-sheet",
        summary="Import a sign-in sheet (签到表)",
        response_model=SheetImported,
    )
    async def signin_sheet(
        session_id: str,
        request: Request,
        ctx: Ctx,
        file: Annotated[
            UploadFile, File(description="姓名, 身份证号 and/or 手机号 (or 工作单位), 签到时间")
        ],
    ) -> Any:
        return await _imported(
            request,
            "signin-sheet",
            file,
            "signin.csv",
            lambda d, n: importer.import_signin(session_id, d, n, ctx),
        )

    @router.post(
        "/imports/exam-results",
        summary="Import national exam results (考试成绩)",
        response_model=SheetImported,
    )
    async def exam_results(
        request: Request,
        ctx: Ctx,
        file: Annotated[UploadFile, File(description="姓名, 身份证号, 考试年度, 级别, 是否通过")],
        exam_year: Annotated[
            int | None,
            Form(
                ge=2000,
                le=2100,
                description="The exam year (考试年度) where the sheet and its name say none",
            ),
        ] = None,
    ) -> Any:
        return await _imported(
            request,
            "exam-results",
            file,
            "exams.csv",
            lambda d, n: importer.import_exams(d, n, ctx, exam_year),
        )

    return router


async def _imported(
    request: Request,
    kind: str,
    file: UploadFile,
    default: str,
    run: Callable[[bytes, str], Awaitable[ImportReport]],
) -> Any:
    """Read the upload within the declared limits, parsed off the event loop
    (``tabular.open_upload``); run the import — now, or as a job when the client asks
    (``Prefer: respond-async``, see ``kernel/jobs.py``); a refused file is a 4xx."""
    try:
        data, filename = await open_upload(file, default)
    except TabularFileError as err:
        return _file_error(err.status, err.message, err.message_zh)

    async def work(_: Progress | None) -> Any:
        try:
            return (await run(data, filename)).as_dict()
        except TabularFileError as err:
            return _file_error(err.status, err.message, err.message_zh)

    return await run_import(request, kind, work, filename=filename, data=data)


def _file_error(status: int, message: str, message_zh: str) -> JSONResponse:
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
