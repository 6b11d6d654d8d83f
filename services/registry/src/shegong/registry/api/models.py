"""What the registry's worker and region routes return (shown at /docs and in openapi.json)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from shegong.contracts.registry import Region
from shegong.kernel.web.responses import ApiModel, row_model
from shegong.registry.api.census_models import BirthYear
from shegong.registry.projections.regions import regions
from shegong.registry.projections.workers import workers


class SavedEventRef(ApiModel):
    type: str
    id: str
    sequence: int


class CertificateView(ApiModel):
    level: str
    certified_on: date
    certificate_no: str | None


class WorkerView(ApiModel):
    """A worker as their aggregate stands after the command (masked and hashed data only)."""

    worker_id: str
    version: int
    department: str
    record_id: str | None
    name: str
    gender: str | None
    birth_date: date | None
    birth_year: BirthYear = None
    id_number_hash: str | None
    id_number_masked: str | None
    id_number_parts: str | None
    phone_hash: str | None
    phone_masked: str | None
    phone_parts: str | None = None
    organization: str | None
    org_type: str | None
    post: str
    region: Region
    hired_on: date | None
    channel: str | None
    certificates: list[CertificateView]
    highest_certificate: str | None
    left_on: date | None


class WorkerResult(ApiModel):
    """The worker after a command, and the events it recorded (none: nothing changed)."""

    worker: WorkerView
    events: list[SavedEventRef]


class PersonalData(ApiModel):
    """A worker's ID number and phone in full (the view is recorded)."""

    worker_id: str
    department: str
    id_number: str | None
    phone: str | None
    audited: bool = Field(description="The view was recorded (PersonalDataViewed)")


class WorkerRow(row_model(workers, birth_year=(BirthYear, None))):  # type: ignore[misc]
    """A worker as the city-wide read model holds them."""


class WorkerCertificate(ApiModel):
    level: str
    certificate_no: str | None
    certified_on: date


class WorkerDetail(WorkerRow):
    """One worker and their certificates, oldest first."""

    certificates: list[WorkerCertificate]


class WorkerPage(ApiModel):
    total: int
    items: list[WorkerRow]


class RegionRow(row_model(regions)):  # type: ignore[misc]
    """A node of the region tree (区县 / 乡镇街道 / 社区村) with its urban population."""


class RejectedField(ApiModel):
    """One bad field of a refused row (never a whole ID number or phone)."""

    sheet: str | None = Field(
        None, description="The row's sheet (工作表), when the workbook had more than one read"
    )
    row: int
    field: str | None
    value: str | None
    reason: str
    reason_zh: str | None


class RowWarning(ApiModel):
    """A kept row's note, in English and Chinese."""

    sheet: str | None = Field(
        None, description="The row's sheet (工作表), when the workbook had more than one read"
    )
    row: int
    warning: str


class RosterImported(ApiModel):
    """What a roster import did with every row (202 and a job when the client sends
    ``Prefer: respond-async``)."""

    department: str
    department_created: bool
    rows_read: int
    new: int
    changed: int
    unchanged: int
    rejected: list[RejectedField]
    skipped_lines: list[RejectedField] = Field(
        [],
        description="The form's own lines (表格说明行), no person's row and nothing lost: a "
        "total (合计, 小计), who filled the form in (填表人：), the seal, the header repeated "
        "on a printed page; not counted in rejected_rows",
    )
    warnings: list[RowWarning]
    ignored_columns: list[str]
    events: int = Field(description="Events the rows caused")
    last_position: int | None = Field(description="Position of the last event in the feed")
    rejected_rows: int
    sheet: str | None = Field(
        None,
        description="The workbook's sheet read (读取的工作表) when it was not the first: "
        "the first sheet with a 姓名 header row",
    )
    sheets: list[str] = Field(
        [],
        description="The workbook's sheets read (读取的工作表): every sheet with a 姓名 "
        "header row, in order",
    )
    skipped_sheets: list[str] = Field(
        [],
        description="The workbook's sheets not read (未读取的工作表): without a 姓名 header "
        "row (填表说明, 汇总, a chart)",
    )


class RegionsImported(ApiModel):
    rows_read: int
    nodes: int
    new: int
    changed: int
    unchanged: int
    rejected: list[RejectedField]
    events: int
    rejected_rows: int


class ExpertPoolImported(ApiModel):
    rows_read: int
    admitted: int
    unchanged: int
    rejected: list[RejectedField]
    ignored_columns: list[str]
    events: int
    rejected_rows: int
