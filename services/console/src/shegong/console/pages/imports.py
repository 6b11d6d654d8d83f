"""Uploads as import jobs, with a live bar: roster, sign-in sheet, exam results, survey.

The upload is handed to the service as a job (``Prefer: respond-async``: 202 and the job
at once); the page shows a bar that asks the console for the job every half second
(HTMX: the bar replaces itself, ``GET /imports/{service}/{job_id}``) — rows read of rows
total, rows rejected, records linked, events written — until the service's row-by-row
report replaces it, the same report an upload shows without a job. A job the service's
restart cut short says what it had stored and whether importing the file again is safe.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from shegong.console.api import Operation, matching, registry, training
from shegong.console.upstream import Upstream, UpstreamError
from shegong.console.web import Ctx, page_context

Job = registry.ImportJobView | training.ImportJobView | matching.ImportJobView

# The services that take uploads, and how each answers for a job.
JOBS: dict[str, Operation[Job]] = {
    "registry": registry.GET_IMPORTS_JOB_ID,
    "training": training.GET_IMPORTS_JOB_ID,
    "matching": matching.GET_IMPORTS_JOB_ID,
}
SERVICES = tuple(JOBS)
POLL_MS = 500


async def start_import(
    ctx: Ctx, upstream: Upstream, path: str, *, files: Any, data: dict[str, Any] | None = None
) -> Response:
    """Upload as a job; the bar (or, from a service that answers at once, the report)."""
    try:
        answer = await upstream.call(
            "POST", path, files=files, data=data, headers={"Prefer": "respond-async"}
        )
    except UpstreamError as err:
        return ctx.render("report.html", report=None, problem=ctx.problem(err))
    if isinstance(answer, dict) and "job_id" in answer and "status" in answer:
        try:  # 202: the job, as its GET /imports/{job_id} gives it
            job = JOBS[upstream.name].validate(answer)
        except ValidationError:
            wrong = UpstreamError(
                upstream.name,
                502,
                "the import job was answered in a form the console cannot read",
                "导入任务的应答格式与控制台所读不符",
            )
            return ctx.render("report.html", report=None, problem=ctx.problem(wrong))
        return job_view(ctx, upstream.name, job)
    # The importer's own row-by-row report (each importer's shape: shown as it came).
    return ctx.render("report.html", report=answer, problem=None)


def job_view(ctx: Ctx, service: str, job: Job) -> Response:
    """A running job's bar; a finished one's report (or what went wrong)."""
    if job.status == "running":
        poll = f"/imports/{service}/{quote(job.job_id, safe='')}"
        return ctx.render("_import_job.html", job=job, poll=poll, poll_ms=POLL_MS)
    if job.status == "done":
        return ctx.render("report.html", report=job.report, problem=None, job=job)
    error = job.error
    detail = error.message_zh if error and ctx.lang == "zh" else None
    problem = {
        "kind": "error",
        "service": service,
        "text": ctx.t("import_interrupted" if job.status == "interrupted" else "error"),
        "detail": detail or (error.message if error else None) or job.status,
    }
    return ctx.render("report.html", report=None, problem=problem, job=job)


def imports_router() -> APIRouter:
    router = APIRouter()

    @router.get("/imports/{service}/{job_id}", response_class=HTMLResponse)
    async def import_job(
        ctx: Annotated[Ctx, Depends(page_context)], service: str, job_id: str
    ) -> Response:
        """The job as it stands (the bar polls this)."""
        if service not in SERVICES:
            return ctx.render(
                "report.html", report=None, problem={"text": ctx.t("absent")}, status_code=404
            )
        try:
            job = await ctx.upstream(service).read(JOBS[service], job_id=job_id)
        except UpstreamError as err:
            return ctx.render("report.html", report=None, problem=ctx.problem(err))
        return job_view(ctx, service, job)

    @router.post("/services/needs-survey", response_class=HTMLResponse)
    async def needs_survey(
        ctx: Annotated[Ctx, Depends(page_context)], file: UploadFile
    ) -> Response:
        """需求调查: matching's survey import, as a job."""
        content = await file.read()
        return await start_import(
            ctx,
            ctx.matching,
            "/imports/needs-survey",
            files={"file": (file.filename or "survey.csv", content)},
        )

    return router
