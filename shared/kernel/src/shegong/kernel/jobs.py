"""Imports as jobs (导入任务): an upload that answers at once and reports its progress.

An import endpoint runs the import in the request, as it always did, unless the client
asks for a job with the standard ``Prefer: respond-async`` header (RFC 7240): then the
upload is read and checked against its size limit, the import starts in the background,
and the answer is ``202 Accepted`` with the job (``Location: /imports/{job_id}``).
``GET /imports/{job_id}`` shows its progress (rows done of rows total, where the importer
counts them) and, when it is done, the same row-by-row report the synchronous call
returns (or the error, with its HTTP status, if the file was refused).

Jobs live in the service process that runs them, the last ``KEEP`` of them: a service
restart forgets them (``GET`` answers 404 and says so). What an import stored before a
restart stays stored — every importer commits whole chunks, never half a row — and
importing the same file again finishes it: rows already in are reported unchanged. With
several replicas of a service behind a balancer, a job is known only to the replica that
runs it (sticky sessions, or the synchronous call without the header).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from shegong.kernel.aggregate import DomainError
from shegong.kernel.api_keys import Principal
from shegong.kernel.auth import Authenticated, AuthError

log = logging.getLogger("shegong.jobs")

KEEP = 200
Progress = Callable[[int, int], None]
Work = Callable[[Progress | None], Awaitable[Any]]


@dataclass
class ImportJob:
    job_id: str
    kind: str
    key_id: str
    actor: str
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    status: str = "running"  # running | done | failed
    rows_done: int = 0
    rows_total: int | None = None
    finished_at: datetime | None = None
    report: Any = None
    error: Any = None
    http_status: int | None = None

    def progress(self, done: int, total: int) -> None:
        self.rows_done, self.rows_total = done, total

    def as_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "kind": self.kind,
            "status": self.status,
            "actor": self.actor,
            "rows_done": self.rows_done,
            "rows_total": self.rows_total,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "report": self.report,
            "error": self.error,
            "http_status": self.http_status,
        }


class ImportJobs:
    """The jobs of one service process (the newest ``KEEP``)."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self.jobs: OrderedDict[str, ImportJob] = OrderedDict()
        self.tasks: set[asyncio.Task[None]] = set()

    def start(self, kind: str, principal: Principal, work: Work) -> ImportJob:
        job = ImportJob(secrets.token_hex(8), kind, principal.key_id, principal.name)
        self.jobs[job.job_id] = job
        while len(self.jobs) > self.keep:
            self.jobs.popitem(last=False)
        task = asyncio.create_task(self._run(job, work))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return job

    async def _run(self, job: ImportJob, work: Work) -> None:
        try:
            result = await work(job.progress)
        except Exception as err:  # reported on the job, not lost in a log
            log.exception("import job %s failed", job.job_id)
            message = getattr(err, "message", None) or str(err)
            status = getattr(err, "status", None) or (422 if isinstance(err, DomainError) else 500)
            job.status, job.http_status = "failed", status
            job.error = {
                "code": getattr(err, "code", "failed"),
                "field": getattr(err, "field", None),
                "message": message,
                "message_zh": getattr(err, "message_zh", None) or "导入失败",
            }
        else:
            if isinstance(result, Response):  # the importer's own refusal (a bad file …)
                body = json.loads(bytes(result.body))
                job.status, job.http_status = "failed", result.status_code
                job.error = body.get("error", body)
            else:
                job.status, job.http_status, job.report = "done", 200, result
                if job.rows_total is None and isinstance(result, dict):
                    rows = result.get("rows_read")
                    if isinstance(rows, int):
                        job.rows_done = job.rows_total = rows
        job.finished_at = datetime.now(UTC)

    def visible(self, job_id: str, principal: Principal) -> ImportJob | None:
        job = self.jobs.get(job_id)
        if job is None:
            return None
        if principal.is_admin or principal.role == "auditor" or principal.key_id == job.key_id:
            return job
        raise AuthError(403, "this import was started by another key", "该导入任务由其他密钥发起")


def jobs_of(request: Request) -> ImportJobs:
    state = request.app.state
    if not hasattr(state, "import_jobs"):
        state.import_jobs = ImportJobs()
    jobs: ImportJobs = state.import_jobs
    return jobs


def wants_job(request: Request) -> bool:
    prefer = request.headers.get("prefer", "")
    return any(p.strip().lower() == "respond-async" for p in prefer.split(","))


async def run_import(request: Request, kind: str, work: Work) -> Any:
    """Run ``work`` now (the report is the answer), or as a job when the client asked for
    one (``Prefer: respond-async``): 202 with the job, ``Location: /imports/{job_id}``."""
    if not wants_job(request):
        return await work(None)
    principal: Principal = request.state.principal
    job = jobs_of(request).start(kind, principal, work)
    return JSONResponse(
        job.as_dict(),
        status_code=202,
        headers={"Location": f"/imports/{job.job_id}", "Preference-Applied": "respond-async"},
    )


def jobs_router() -> APIRouter:
    router = APIRouter(tags=["imports"])

    @router.get("/imports/{job_id}", summary="An import job: progress, then its report (导入任务)")
    async def import_job(job_id: str, request: Request, principal: Authenticated) -> Any:
        job = jobs_of(request).visible(job_id, principal)
        if job is None:
            return JSONResponse(
                {
                    "error": {
                        "code": "not_found",
                        "field": "job_id",
                        "message": f"no import job {job_id} here: jobs are kept by the "
                        "service process that ran them, which may have restarted since; what "
                        "it stored is kept — import the same file again to finish (rows "
                        "already in are reported unchanged)",
                        "message_zh": f"没有导入任务 {job_id}：服务可能已重启。已写入的数据保留，"
                        "请重新导入同一文件（已导入的行会显示为未变）",
                    }
                },
                status_code=404,
            )
        return job.as_dict()

    return router
