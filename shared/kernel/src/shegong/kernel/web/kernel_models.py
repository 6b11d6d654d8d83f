"""The response models of the routes every service gets from ``create_app``: ``/health``,
``/ready``, ``/whoami``, ``/asyncapi`` and ``/imports/{job_id}`` (the feed's and the
access log's models live beside their routes). The JSON is what those routes always
answered; the models only declare it, so ``/docs`` and the published OpenAPI documents
show it and a client can be generated from them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shegong.kernel.web.api_keys import Role
from shegong.kernel.web.responses import ApiModel

# A time as the job store wrote it (ISO 8601, kept as the string it was).
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class Health(ApiModel):
    """The process answers."""

    status: Literal["ok"]
    service: str


class Readiness(ApiModel):
    """Whether the service can serve: each dependency's state ("ok", or what is wrong);
    ``ready`` is false (and the status 503) while one is not ok."""

    database: str
    redis: str
    ready: bool
    relay_backlog: int | str = Field(
        description="events stored but not yet published, or why it is unknown"
    )
    auth: Literal["keys", "open"]


class WhoAmI(ApiModel):
    """What the caller's key may do here (nothing secret: no key id or hash)."""

    name: str
    role: Role
    department: str | None
    auth: Literal["keys", "open"]
    writes: Literal["all", "own_department", "nothing"] = Field(
        description="what the key may change: all records, its own department's, or nothing"
    )


class AsyncApiDocument(BaseModel):
    """An AsyncAPI 3.0 document (its parts as the AsyncAPI specification defines them)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    asyncapi: str
    info: dict[str, Any]
    default_content_type: str = Field(alias="defaultContentType")
    channels: dict[str, Any]
    operations: dict[str, Any]
    components: dict[str, Any]


class JobError(BaseModel):
    """Why a job failed or was cut short: the importer's refusal as it gave it (code, field,
    message in English and Chinese; a refusal may carry more keys)."""

    model_config = ConfigDict(extra="allow")

    code: str | None = None
    field: str | None = None
    message: str | None = None
    message_zh: str | None = None


class ImportJobView(ApiModel):
    """An import job: its progress while it runs, then its report (or its error)."""

    job_id: str
    kind: str
    status: Literal["running", "done", "failed", "interrupted"]
    actor: str
    filename: str | None
    file_sha256: str | None
    correlation_id: str
    repeatable: bool = Field(description="importing the same file again is safe")
    rows_done: int
    rows_total: int | None
    rows_rejected: int | None
    records_linked: int | None
    events_written: int | None
    started_at: Timestamp
    heartbeat_at: Timestamp
    finished_at: Timestamp | None
    http_status: int | None = Field(description="the status the import answered (200, 422 …)")
    report: Any = Field(description="when done: the import's row-by-row report")
    error: JobError | None
