"""The training service's public events (培训): stream ``training.events``.

Workers are named by the registry's ``worker_id``; a person the platform does not know
never gets an invented id (sign-in rows for them are reported, not published). Personal
data stays home (ARCHITECTURE rule 7): only keyed hashes and masked forms travel.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from shegong.contracts.access import ACCESS_EVENTS
from shegong.contracts.events import Event, Labelled, StreamContract, Upcaster


def _owned_by_nobody(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 named no owning department: such a record belongs to no department, so
    only the city administrator may change it (the safe reading of an old event)."""
    return {**data, "department": None}


class SessionKind(Labelled):
    """Kinds of training (分层培养)."""

    PREJOB = "prejob"
    BACKBONE = "backbone"
    EXAM_PREP = "exam_prep"
    LECTURE = "lecture"
    PRACTICE = "practice"

    @classmethod
    def labels_zh(cls) -> dict[str, str]:
        return {
            "prejob": "岗前培训",
            "backbone": "骨干培养",
            "exam_prep": "考前冲刺",
            "lecture": "专题讲座",
            "practice": "实践",
        }


class Tier(Labelled):
    """Where a base sits in the city–county–township network (市—县—乡)."""

    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"

    @classmethod
    def labels_zh(cls) -> dict[str, str]:
        return {"city": "市级", "county": "县级", "township": "乡镇级"}


class BaseKind(Labelled):
    """Training base (培训基地) or practice base hosted by a social-work organisation."""

    TRAINING_BASE = "training_base"
    PRACTICE_BASE = "practice_base"

    @classmethod
    def labels_zh(cls) -> dict[str, str]:
        return {"training_base": "培训基地", "practice_base": "实践基地"}


class TargetGroup(Labelled):
    """一老一小、一困一残."""

    ELDERLY = "elderly"
    CHILDREN = "children"
    HARDSHIP = "hardship"
    DISABILITY = "disability"

    @classmethod
    def labels_zh(cls) -> dict[str, str]:
        return {"elderly": "一老", "children": "一小", "hardship": "一困", "disability": "一残"}


class AppraisalGrade(Labelled):
    """Annual appraisal grade (考核等次), best first."""

    EXCELLENT = "excellent"
    COMPETENT = "competent"
    BASIC = "basically_competent"
    INCOMPETENT = "incompetent"

    @classmethod
    def labels_zh(cls) -> dict[str, str]:
        return {
            "excellent": "优秀",
            "competent": "称职",
            "basically_competent": "基本称职",
            "incompetent": "不称职",
        }

    @property
    def rank(self) -> int:
        """4 for 优秀 down to 1 for 不称职: compare grades with this."""
        return len(AppraisalGrade) - list(AppraisalGrade).index(self)


class BaseRegistered(Event):
    """A training base or practice base joined the network.

    Version 2 names the department that owns it (None: the city's, changed by the city
    administrator only); version 1 entries read as owned by no department."""

    schema_version: ClassVar[int] = 2
    upcasters: ClassVar[dict[int, Upcaster]] = {1: _owned_by_nobody}
    aggregate_type = "base"
    type: Literal["BaseRegistered"] = "BaseRegistered"
    base_id: str
    name: str
    kind: BaseKind
    tier: Tier
    region: str | None = Field(default=None, description="Region path, e.g. 安定区/永定路街道")
    department: str | None = Field(
        default=None, description="Department that owns the base (None: the city's)"
    )


class SessionScheduled(Event):
    """A training session was put on the calendar.

    Version 2 names the department that holds it: its base's department, or the
    scheduling department's for a session without a base (None: the city's). Version 1
    entries read as None; the training service then takes the base's department."""

    schema_version: ClassVar[int] = 2
    upcasters: ClassVar[dict[int, Upcaster]] = {1: _owned_by_nobody}
    aggregate_type = "session"
    type: Literal["SessionScheduled"] = "SessionScheduled"
    session_id: str
    kind: SessionKind
    title: str
    held_on: date
    hours: float = Field(gt=0, le=1000)
    base_id: str | None = None
    capacity: int | None = Field(default=None, ge=1)
    audience: str | None = None
    skills: list[str] = Field(default_factory=list, description="Service skills it teaches")
    serves: list[TargetGroup] = Field(
        default_factory=list, description="For practice: the groups served (一老一小、一困一残)"
    )
    department: str | None = Field(
        default=None, description="Department that holds the session (None: the city's)"
    )


class EnrolmentAccepted(Event):
    """A worker was enrolled in a session (refused past capacity: no event then)."""

    aggregate_type = "session"
    type: Literal["EnrolmentAccepted"] = "EnrolmentAccepted"
    session_id: str
    worker_id: str


class AttendanceRecorded(Event):
    """A worker signed in to a session (one per person and session: a second sign-in is
    not a second attendance)."""

    aggregate_type = "session"
    type: Literal["AttendanceRecorded"] = "AttendanceRecorded"
    session_id: str
    worker_id: str
    signed_at: datetime
    source: Literal["sign_in_sheet", "api"] = "api"


class TrainingCompleted(Event):
    """A worker completed a session: the hours count towards obligations and the ladder."""

    aggregate_type = "session"
    type: Literal["TrainingCompleted"] = "TrainingCompleted"
    session_id: str
    worker_id: str
    kind: SessionKind
    title: str
    skills: list[str] = Field(default_factory=list)
    hours: float = Field(ge=0, le=1000)
    score: float | None = Field(default=None, ge=0, le=100)
    completed_on: date


class AssessmentRecorded(Event):
    """An appraisal result (考核) for a period, e.g. the year 2024."""

    aggregate_type = "assessment"
    type: Literal["AssessmentRecorded"] = "AssessmentRecorded"
    worker_id: str
    period: str = Field(max_length=32, description="e.g. 2024 or 2024H1")
    score: float | None = Field(default=None, ge=0, le=100)
    grade: AppraisalGrade
    assessed_on: date


class ExamResultRecorded(Event):
    """A national social-work exam result (全国社会工作者职业水平考试).

    ``level`` is the certificate level the exam is for; ``passed`` true means the
    registry should record that certificate on the worker (the closed loop).
    """

    aggregate_type = "exam"
    type: Literal["ExamResultRecorded"] = "ExamResultRecorded"
    worker_id: str
    exam_year: int = Field(ge=2000, le=2100)
    level: Literal["assistant", "intermediate", "senior"]
    passed: bool
    certified_on: date | None = Field(
        default=None,
        description="The certificate date when passed (取证日期); when absent, "
        "exam_certified_on() says which day the certificate counts from",
    )
    certificate_no: str | None = None


def exam_certified_on(exam_year: int, certified_on: date | None, recorded_on: date) -> date:
    """The day a passed exam's certificate counts from, the same wherever it is read: the
    sheet's 取证日期 when it gives one, else 31 December of the exam year — or the day
    the result was recorded, when that came first (a result of this year's exam recorded
    before the year ends; a certificate is never dated in the future). Training writes
    the answer into ``ExamResultRecorded``; the registry applies the same rule, with the
    event's own time, to results recorded without one."""
    if certified_on is not None:
        return certified_on
    return min(date(exam_year, 12, 31), recorded_on)


class LecturerAssigned(Event):
    """An expert of the city expert pool (专家库) was assigned to lecture a session (专题讲座):
    ``expert_id`` is the expert's worker id in the registry; ``hours`` the hours taught."""

    aggregate_type = "lecture"
    type: Literal["LecturerAssigned"] = "LecturerAssigned"
    session_id: str
    expert_id: str
    hours: float = Field(ge=0, le=1000)
    held_on: date
    department: str | None = Field(
        default=None, description="Department that holds the session (None: the city's)"
    )


TRAINING_STREAM = StreamContract(
    name="training.events",
    service="training",
    description="Bases, sessions, enrolment, attendance, completions, appraisals, exam "
    "results and expert lecturers recorded by the training service.",
    events=(
        BaseRegistered,
        SessionScheduled,
        EnrolmentAccepted,
        AttendanceRecorded,
        TrainingCompleted,
        AssessmentRecorded,
        ExamResultRecorded,
        LecturerAssigned,
        *ACCESS_EVENTS,
    ),
)
