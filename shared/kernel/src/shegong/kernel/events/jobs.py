"""Imports as jobs (导入任务): an upload that answers at once and reports its progress.

An import endpoint runs the import in the request, as it always did, unless the client
asks for a job with the standard ``Prefer: respond-async`` header (RFC 7240): then the
upload is read and checked against its size limit, the import starts in the background,
and the answer is ``202 Accepted`` with the job (``Location: /imports/{job_id}``).
``GET /imports/{job_id}`` shows its progress — rows read of rows total, rows rejected,
records linked (where the importer counts them) and events written (counted in the event
store: what is stored, not what was meant) — and, when it is done, the same row-by-row
report the synchronous call returns (or the error, with its HTTP status, if the file was
refused).

Jobs are kept in the service's own database (``import_jobs``, ended ones for
``KEEP_DAYS``), so any replica answers for them and a restart does not forget them. A
running job beats a heartbeat; one whose heartbeat stopped (the process was killed or
restarted mid-import) is reported ``interrupted``, with the events it had written and the
rows it had done. Every importer commits whole chunks, never half a row, so nothing is
half-applied; where the endpoint declares it (``repeatable``: a test proves it for that
kind), importing the same file again finishes the job — rows already in are reported
unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.schema import events_table, import_jobs
from shegong.kernel.ops.db import reading, writing
from shegong.kernel.web.api_keys import Principal
from shegong.kernel.web.auth import Authenticated, AuthError
from shegong.kernel.web.correlation import correlation_id_or_new
from shegong.kernel.web.kernel_models import ImportJobView

log = logging.getLogger("shegong.jobs")

JOB_ID = re.compile(r"[0-9a-f]{16}")  # secrets.token_hex(8)
KEEP_DAYS = 90  # an ended job (its report) is kept this long
HEARTBEAT_S = 1.0  # a running job's progress is written this often
STALE_S = 10.0  # no heartbeat for this long: the process that ran it is gone


class Progress(Protocol):
    """What an importer reports after each chunk it committed."""

    def __call__(
        self, done: int, total: int, *, rejected: int | None = None, linked: int | None = None
    ) -> None: ...


Work = Callable[[Progress | None], Awaitable[Any]]


@dataclass
class ImportJob:
    job_id: str
    kind: str
    key_id: str
    actor: str
    correlation_id: str
    after_position: int
    repeatable: bool = False
    filename: str | None = None
    file_sha256: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    heartbeat_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    status: str = "running"  # running | done | failed | interrupted
    rows_done: int = 0
    rows_total: int | None = None
    rows_rejected: int | None = None
    records_linked: int | None = None
    events_written: int | None = None
    finished_at: datetime | None = None
    report: Any = None
    error: Any = None
    http_status: int | None = None

    def progress(
        self, done: int, total: int, *, rejected: int | None = None, linked: int | None = None
    ) -> None:
        self.rows_done, self.rows_total = done, total
        if rejected is not None:
            self.rows_rejected = rejected
        if linked is not None:
            self.records_linked = linked

    def row(self) -> dict[str, Any]:
        """The ``import_jobs`` row."""
        values = {c.name: getattr(self, c.name) for c in import_jobs.columns}
        values["repeatable"] = int(self.repeatable)
        return values

    def as_dict(self) -> dict[str, Any]:
        shown = {k: v for k, v in self.row().items() if k not in ("key_id", "after_position")}
        shown["repeatable"] = self.repeatable
        for k in ("started_at", "heartbeat_at", "finished_at"):
            shown[k] = shown[k].isoformat() if shown[k] else None
        if self.status == "interrupted":
            shown["error"] = interrupted_error(self)
        return shown

    def finish_from(self, result: Any) -> None:
        if isinstance(result, Response):  # the importer's own refusal (a bad file …)
            body = json.loads(bytes(result.body))
            self.status, self.http_status = "failed", result.status_code
            self.error = body.get("error", body)
            return
        self.status, self.http_status = "done", 200
        self.report = jsonable_encoder(result)
        if isinstance(self.report, dict):
            rows, rejected = self.report.get("rows_read"), self.report.get("rejected_rows")
            if isinstance(rows, int):
                self.rows_done = self.rows_total = rows
            if isinstance(rejected, int):
                self.rows_rejected = rejected

    def fail_from(self, err: Exception) -> None:
        message = getattr(err, "message", None) or str(err)
        self.status = "failed"
        self.http_status = getattr(err, "status", None) or (
            422 if isinstance(err, DomainError) else 500
        )
        self.error = {
            "code": getattr(err, "code", "failed"),
            "field": getattr(err, "field", None),
            "message": message,
            "message_zh": getattr(err, "message_zh", None) or "导入失败",
        }


def interrupted_error(job: ImportJob) -> dict[str, Any]:
    stored = f"{job.events_written or 0} event(s) written, at least {job.rows_done} row(s) done"
    stored_zh = f"已写入 {job.events_written or 0} 条事件，至少 {job.rows_done} 行已完成"
    if job.repeatable:
        again = "importing the same file again is safe: rows already in are reported unchanged"
        again_zh = "重新导入同一文件是安全的：已导入的行会显示为未变"
    else:
        again = "check what is stored before importing the same file again"
        again_zh = "重新导入同一文件前请先核对已写入的数据"
    return {
        "code": "interrupted",
        "field": None,
        "message": "the service stopped during this import (restart, crash); what each "
        f"committed chunk stored stays, nothing is half-applied: {stored}; {again}",
        "message_zh": "导入过程中服务已停止（重启或故障）；已提交的部分保留，不会只写入半行："
        f"{stored_zh}；{again_zh}",
    }


class ImportJobs:
    """The import jobs of one service: run here, kept in its database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.running: dict[str, ImportJob] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(
        self,
        kind: str,
        principal: Principal,
        work: Work,
        *,
        repeatable: bool = False,
        filename: str | None = None,
        data: bytes | None = None,
    ) -> ImportJob:
        async with reading(self.engine) as conn:
            head = await conn.scalar(select(func.coalesce(func.max(events_table.c.position), 0)))
        job = ImportJob(
            secrets.token_hex(8),
            kind,
            principal.key_id,
            principal.name,
            correlation_id_or_new(),
            int(head or 0),
            repeatable=repeatable,
            filename=filename[:255] if filename else None,
            file_sha256=hashlib.sha256(data).hexdigest() if data is not None else None,
        )
        async with writing(self.engine) as conn:
            await conn.execute(insert(import_jobs).values(**job.row()))
            # Jobs ended long ago go (their reports were there to be read, not kept).
            await conn.execute(
                delete(import_jobs).where(
                    import_jobs.c.finished_at < job.started_at - timedelta(days=KEEP_DAYS)
                )
            )
        self.running[job.job_id] = job
        task = asyncio.create_task(self._run(job, work))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return job

    async def _run(self, job: ImportJob, work: Work) -> None:
        """Run the import; its end is saved before it is shown (a client told "done" finds
        the job done in the database too)."""
        beat = asyncio.create_task(self._heartbeat(job))
        final = job
        try:
            result = await work(job.progress)
            final = dataclasses.replace(job)
            final.finish_from(result)
        except Exception as err:  # reported on the job, not lost in a log
            log.exception("import job %s failed", job.job_id)
            final = dataclasses.replace(job)
            final.fail_from(err)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
        final.finished_at = datetime.now(UTC)
        try:
            final.events_written = await self._events_written(final)
            await self._save(final)
        except Exception:  # the database is away: this process still tells how it ended
            log.exception("import job %s: its end was not saved", job.job_id)
            self.running[job.job_id] = final
            return
        self.running.pop(job.job_id, None)  # from now on the database answers

    async def _heartbeat(self, job: ImportJob) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            try:
                await self._save(job)
            except Exception:  # the database is busy or away: the next beat tries again
                log.warning("import job %s: heartbeat not written", job.job_id, exc_info=True)

    async def _save(self, job: ImportJob) -> None:
        if job.status == "running":
            job.heartbeat_at = datetime.now(UTC)
        async with writing(self.engine) as conn:
            await conn.execute(
                update(import_jobs).where(import_jobs.c.job_id == job.job_id).values(**job.row())
            )

    async def _events_written(self, job: ImportJob) -> int:
        async with reading(self.engine) as conn:
            found = await conn.scalar(
                select(func.count())
                .select_from(events_table)
                .where(
                    events_table.c.position > job.after_position,
                    events_table.c.correlation_id == job.correlation_id,
                )
            )
        return int(found or 0)

    async def find(self, job_id: str) -> ImportJob | None:
        """The job as it stands: live here, else as stored (interrupted if its process is
        gone: no heartbeat for ``STALE_S``)."""
        job = self.running.get(job_id)
        if job is not None:
            job.events_written = await self._events_written(job)
            return job
        async with reading(self.engine) as conn:
            row = (
                await conn.execute(select(import_jobs).where(import_jobs.c.job_id == job_id))
            ).first()
        if row is None:
            return None
        values = dict(row._mapping)
        values["repeatable"] = bool(values["repeatable"])
        for k in ("started_at", "heartbeat_at", "finished_at"):
            if values[k] is not None and values[k].tzinfo is None:  # SQLite drops the zone
                values[k] = values[k].replace(tzinfo=UTC)
        job = ImportJob(**values)
        if job.status == "running" and datetime.now(UTC) - job.heartbeat_at > timedelta(
            seconds=STALE_S
        ):
            job.status, job.finished_at = "interrupted", job.heartbeat_at
            job.events_written = await self._events_written(job)
            await self._save(job)
        elif job.status == "running":
            job.events_written = await self._events_written(job)
        return job

    async def visible(self, job_id: str, principal: Principal) -> ImportJob | None:
        if not JOB_ID.fullmatch(job_id):  # not one of ours: no query with it
            return None
        job = await self.find(job_id)
        if job is None:
            return None
        if principal.is_admin or principal.role == "auditor" or principal.key_id == job.key_id:
            return job
        raise AuthError(403, "this import was started by another key", "该导入任务由其他密钥发起")


def jobs_of(request: Request) -> ImportJobs:
    state = request.app.state
    if not hasattr(state, "import_jobs"):
        state.import_jobs = ImportJobs(state.runtime.engine)
    jobs: ImportJobs = state.import_jobs
    return jobs


def wants_job(request: Request) -> bool:
    prefer = request.headers.get("prefer", "")
    return any(p.strip().lower() == "respond-async" for p in prefer.split(","))


async def run_import(
    request: Request,
    kind: str,
    work: Work,
    *,
    repeatable: bool = False,
    filename: str | None = None,
    data: bytes | None = None,
) -> Any:
    """Run ``work`` now (the report is the answer), or as a job when the client asked for
    one (``Prefer: respond-async``): 202 with the job, ``Location: /imports/{job_id}``.
    ``repeatable``: importing the same file again is safe (say so only where a test
    proves it); ``filename`` and ``data`` name the file on the job (its SHA-256)."""
    if not wants_job(request):
        return await work(None)
    principal: Principal = request.state.principal
    job = await jobs_of(request).start(
        kind, principal, work, repeatable=repeatable, filename=filename, data=data
    )
    return JSONResponse(
        job.as_dict(),
        status_code=202,
        headers={"Location": f"/imports/{job.job_id}", "Preference-Applied": "respond-async"},
    )


def jobs_router() -> APIRouter:
    router = APIRouter(tags=["imports"])

    @router.get(
        "/imports/{job_id}",
        summary="An import job: progress, then its report (导入任务)",
        response_model=ImportJobView,
    )
    async def import_job(job_id: str, request: Request, principal: Authenticated) -> Any:
        job = await jobs_of(request).visible(job_id, principal)
        if job is None:
            return JSONResponse(
                {
                    "error": {
                        "code": "not_found",
                        "field": "job_id",
                        "message": f"no import job {job_id} in this service",
                        "message_zh": f"本服务没有导入任务 {job_id}",
                    }
                },
                status_code=404,
            )
        return job.as_dict()

    return router
