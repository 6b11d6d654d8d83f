"""Imports as jobs, from the command line: upload with ``Prefer: respond-async``, follow
the job (``GET /imports/{job_id}``) with a rich progress bar, and print its report; a
service restarting mid-import is waited for, then the job says what became of it."""

from __future__ import annotations

import time
import urllib.parse
from typing import TYPE_CHECKING, Any, Literal

import typer
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shegong.platform.client import Api, err, error_text, fail, out

if TYPE_CHECKING:
    from rich.progress import Progress, ProgressColumn

RESTART_PATIENCE_S = 120.0


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow")


class Rejection(_Lenient):
    row: int | str
    reason: str
    reason_zh: str | None = None
    field: str | None = None
    sheet: str | None = None
    name: str | None = None


class Report(_Lenient):
    """What every import's report holds that the command reads (each kind adds its own)."""

    rows_read: int = Field(0, ge=0)
    rejected_rows: int | None = Field(None, ge=0)
    rejected: list[Rejection] = []

    @model_validator(mode="after")
    def _count_rejected(self) -> Report:
        if self.rejected_rows is None:
            self.rejected_rows = len({r.row for r in self.rejected})
        return self


class Job(_Lenient):
    """What the command reads of ``GET /imports/{job_id}`` (round 13: a node answering
    ``"rows_done": "lots"``, no status or no report ended the import with a traceback)."""

    job_id: str | int
    status: Literal["running", "done", "failed", "interrupted"]
    rows_done: int = Field(0, ge=0)
    rows_total: int | None = Field(None, ge=0)
    http_status: int | None = None
    error: dict[str, Any] | None = None
    report: Report | None = None


def checked(model: type[BaseModel], answer: Any, what: str) -> dict[str, Any]:
    """``answer`` read as ``model``, or the command ends naming the field that is not."""
    try:
        return model.model_validate(answer).model_dump(exclude_none=True)
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(the whole answer)"
        fail(
            f"{what}: the node's answer is not an import job — field {field}: {first['msg']} / "
            f"节点的回答不是导入任务：字段 {field} 不符合要求"
        )


def run_import(api: Api, path: str, title: str, **kw: Any) -> dict[str, Any]:
    """Upload a file as an import job (``Prefer: respond-async``), show its progress, and
    return its report; a refused file, a failed or an interrupted job exits 1 with the
    reason (an interrupted one: what it had stored, and whether importing again is safe)."""
    from rich.progress import BarColumn, MofNCompleteColumn, TimeElapsedColumn

    resp = api.request("POST", path, headers={"Prefer": "respond-async"}, **kw)
    if resp.is_error:
        fail(f"导入失败 import refused — HTTP {resp.status_code}: {error_text(resp)}")
    if resp.status_code != 202:  # a service that runs it at once: the report itself
        return checked(Report, resp.json(), f"POST {path}")
    job = checked(Job, resp.json(), f"POST {path}")
    # The job's id, as the node named it, in a path: quoted (a space in it was a traceback).
    where = f"/imports/{urllib.parse.quote(str(job['job_id']), safe='')}"
    with progress_bar(BarColumn(), MofNCompleteColumn(), "counts", TimeElapsedColumn()) as bar:
        task = bar.add_task(f"{title} (job {job['job_id']})", total=None, counts="")
        while job["status"] == "running":
            time.sleep(0.2)
            # A service restarting mid-import: wait for it, then ask what became of the job.
            poll = api.request("GET", where, patience=RESTART_PATIENCE_S)
            if poll.is_error:
                fail(f"import job {job['job_id']}: HTTP {poll.status_code}: {error_text(poll)}")
            job = checked(Job, poll.json(), f"GET {where}")
            bar.update(
                task,
                completed=job.get("rows_done", 0),
                total=job.get("rows_total"),
                counts=job_counts(job),
            )
    if job["status"] != "done":
        error = job.get("error") or {}
        zh = f" / {error['message_zh']}" if error.get("message_zh") else ""
        what = "中断 interrupted" if job["status"] == "interrupted" else "失败 failed"
        status = f"HTTP {job['http_status']}: " if job.get("http_status") else ""
        fail(f"导入{what} (job {job['job_id']}) — {status}{error.get('message')}{zh}")
    # Whole, on stdout: the progress bar (stderr) shortens its line to the terminal's width,
    # and a script reads the job's full report from here (every warning, not the first 50).
    out.print(f"导入任务 import job {job['job_id']} (GET /imports/{job['job_id']})")
    if job.get("report") is None:
        checked(Report, None, f"GET {where}")  # ends the command: a finished job has one
    return dict(job["report"])


def progress_bar(*columns: ProgressColumn | str, transient: bool = False) -> Progress:
    """A progress bar on stderr: the task's description, then ``columns`` (a name: that
    field of the task). What it shows is text, never markup (round 12b): a job id a node
    named ``[link=https://…]…[/link]`` was a hyperlink to anywhere, ``[/]`` a MarkupError."""
    from rich.console import Console
    from rich.progress import Progress, TextColumn

    def text(name: str, style: str = "none") -> TextColumn:
        return TextColumn(f"{{task.{name}}}", style=style, markup=False)

    shown = [text(f"fields[{c}]") if isinstance(c, str) else c for c in columns]
    first = text("description", "progress.description")
    console = Console(stderr=True, markup=False, emoji=False, highlight=False)
    return Progress(first, *shown, console=console, transient=transient)


def job_counts(job: dict[str, Any]) -> str:
    """Rows rejected, records linked and events written, where the job counts them."""
    parts = []
    for key, label in (
        ("rows_rejected", "rejected 拒绝"),
        ("records_linked", "linked 关联"),
        ("events_written", "events 事件"),
    ):
        if job.get(key) is not None:
            parts.append(f"{label} {job[key]}")
    return "  ".join(parts)


def import_exit(rows_read: int, rejected_rows: int) -> None:
    """Exit 0 when the import stored what it could (rejected rows are reported above);
    1 when the file had rows and every one of them was refused."""
    if rows_read and rejected_rows >= rows_read:
        err.print("导入失败：所有行均被拒绝 / nothing imported: every row was refused", style="red")
        raise typer.Exit(1)
    if rejected_rows:
        err.print(
            f"部分导入 partial import: {rejected_rows} row(s) refused (see above), the rest stored"
        )


def rejections_table(rejected: list[dict[str, Any]], with_name: bool = False) -> None:
    from rich.table import Table

    if not rejected:
        return
    columns = ["行 row", *(["姓名 name"] if with_name else []), "字段 field", "原因 reason"]
    table = Table(*columns, title="rejected 未导入")
    for r in rejected[:200]:
        name = [r.get("name") or ""] if with_name else []
        reason = f"{r['reason']} / {r.get('reason_zh') or ''}"
        row = f"{r['sheet']} {r['row']}" if r.get("sheet") else str(r["row"])
        table.add_row(row, *name, r.get("field") or "", reason)
    out.print(table)
    if len(rejected) > 200:
        out.print(f"… and {len(rejected) - 200} more")
