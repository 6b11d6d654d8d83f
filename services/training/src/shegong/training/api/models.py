"""What training's routes return (shown at /docs and in openapi.json)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, PlainSerializer, WithJsonSchema

from shegong.kernel.web.responses import ApiModel, Number, row_model
from shegong.training.projections.records import bases, sessions
from shegong.training.projections.workforce import trainees


class SavedEventRef(ApiModel):
    type: str
    id: str
    sequence: int


class BaseView(ApiModel):
    base_id: str
    name: str
    kind: str
    tier: str
    region: str | None
    department: str | None = Field(description="Department that owns the base (None: the city's)")


class BaseResult(ApiModel):
    base: BaseView
    events: list[SavedEventRef]


class BaseRow(row_model(bases)):  # type: ignore[misc]
    """A training or practice base of the network (培训网络)."""


class SessionView(ApiModel):
    """A session as its aggregate stands after the command (counts of people)."""

    session_id: str
    kind: str
    kind_zh: str
    title: str
    held_on: date
    hours: Number
    capacity: int | None
    enrolled: int
    attended: int
    completed: int


class SessionResult(ApiModel):
    """The session after a command; ``accepted``/``recorded``: whether anything changed,
    ``skipped``: those left for the administrator."""

    accepted: bool | None = None
    recorded: bool | None = None
    session: SessionView
    events: list[SavedEventRef]
    skipped: list[str] | None = None


class AssessmentView(ApiModel):
    worker_id: str
    period: str
    score: Number | None
    grade: str
    assessed_on: date


class AssessmentResult(ApiModel):
    recorded: bool = Field(description="false: the same appraisal was recorded already")
    assessment: AssessmentView
    events: list[SavedEventRef]


class SessionRow(row_model(sessions)):  # type: ignore[misc]
    """A session as the read model holds it, with its kind's Chinese label."""

    kind_zh: str


_LISTED = row_model(  # keys in the order the query and the labels give them
    sessions,
    base_name=(str | None, ...),
    tier=(str | None, ...),
    region=(str | None, ...),
    kind_zh=(str, ...),
    tier_zh=(str | None, None),
)


class SessionListed(_LISTED):  # type: ignore[misc,valid-type]
    """A session with its base's name, tier and region, and the Chinese labels (tier_zh:
    when it has a base)."""


# As the body always wrote it (``isoformat``: "+00:00", where pydantic would write "Z").
IsoDateTime = Annotated[
    datetime,
    PlainSerializer(datetime.isoformat, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class Attendee(ApiModel):
    worker_id: str
    signed_at: IsoDateTime
    name: str | None


class SessionDetail(SessionRow):
    attendance: list[Attendee]


class PersonRecordRef(ApiModel):
    worker_id: str
    department: str
    organization: str | None
    left_on: date | None


class PersonAssessment(ApiModel):
    period: str
    grade: str
    grade_zh: str
    score: Number | None
    assessed_on: date
    worker_id: str


class PersonExam(ApiModel):
    exam_year: int
    level: str
    passed: bool


class PersonTraining(ApiModel):
    """A census person's training over all their records."""

    person: str
    records: list[PersonRecordRef]
    sessions_attended: int
    sessions_completed: int
    hours: Number
    prejob_completed_on: date | None
    assessments: list[PersonAssessment]
    exams: list[PersonExam]


TRAINEE_DIGESTS = {"id_number_hash", "id_number_parts", "phone_hash", "name_key"}


class Trainee(row_model(trainees, exclude=TRAINEE_DIGESTS)):  # type: ignore[misc]
    """A worker as training knows them (no hashes), with their census person's training."""

    person: PersonTraining


class ExamListed(ApiModel):
    worker_id: str
    exam_year: int
    level: str
    passed: bool
    name: str | None
    department: str | None
    organization: str | None
    id_number_masked: str | None
    level_zh: str


class ExamPage(ApiModel):
    total: int
    items: list[ExamListed]


class KindFigures(ApiModel):
    label_zh: str
    sessions: int
    person_times: int


class Share(ApiModel):
    value: Number | None = Field(description="numerator / denominator (None: no denominator)")
    numerator: int
    denominator: int


class PrejobCoverage(Share):
    window_days: int


class ExamPrepPassRate(Share):
    participants: int


class TrainingIndicators(ApiModel):
    """Training indicators for a year (培训指标)."""

    year: int
    region: str | None
    as_of_date: date
    sessions: int
    person_times: int
    trainees: int
    hours: Number
    session_hours: Number
    by_kind: dict[str, KindFigures]
    by_tier: dict[str, KindFigures]
    prejob_coverage: PrejobCoverage
    examprep_pass_rate: ExamPrepPassRate
    labels_zh: dict[str, str]
    as_of: dict[str, dict[str, int]] = Field(
        description="Per read model, the last position applied from each producer's feed"
    )


class OverdueWorker(ApiModel):
    worker_id: str
    name: str | None
    records: list[str]
    starts_on: date
    due_on: date
    days_overdue: int


class OverdueGroup(ApiModel):
    region: str | None
    organization: str | None
    count: int
    workers: list[OverdueWorker]


class OverdueReport(ApiModel):
    """Overdue pre-job training (逾期岗前培训), by region and organisation."""

    as_of: date
    window_days: int
    total: int
    new_hires_from: date | None
    label: str
    label_zh: str
    groups: list[OverdueGroup]


class RepeatedRow(ApiModel):
    """A row already recorded: counted once, not an error."""

    sheet: str | None = Field(
        None, description="The row's sheet (工作表), when the workbook had more than one read"
    )
    row: int
    name: str | None
    worker_id: str
    reason: str
    reason_zh: str


class RejectedRow(ApiModel):
    """A row refused, with the field and the reason in both languages (numbers redacted)."""

    sheet: str | None = Field(
        None, description="The row's sheet (工作表), when the workbook had more than one read"
    )
    row: int
    name: str | None
    field: str | None
    reason: str | None
    reason_zh: str | None


class SheetImported(ApiModel):
    """What a sheet import recorded, repeated and refused (202 and a job when the client
    sends ``Prefer: respond-async``)."""

    kind: str
    rows_read: int
    recorded: int
    completed: int = Field(
        0, description="Completions (结业) recorded with the hours of a sheet's 学时 column"
    )
    repeated: list[RepeatedRow]
    rejected: list[RejectedRow]
    skipped_lines: list[RejectedRow] = Field(
        default_factory=list,
        description="The form's own lines left out (合计, 制表人：, the header repeated): not rows",
    )
    events: int = Field(description="Events recorded")
