"""What the command reads of an import job's answers (``POST`` an import, ``GET
/imports/{job_id}``), checked field by field: a node answering ``"rows_done": "lots"``, no
status or no report ends the command naming the field (security round 13), never with a
traceback. Apart from :mod:`~.import_jobs` so that ``shegong --help`` loads no pydantic."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shegong.platform.client import fail


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
