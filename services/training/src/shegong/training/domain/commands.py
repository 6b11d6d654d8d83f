"""Commands as they arrive at the edge: typed, validated, the field at fault named."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shegong.contracts.training import AppraisalGrade, BaseKind, SessionKind, TargetGroup, Tier
from shegong.kernel.data.days import Day, Moment
from shegong.kernel.data.redact import FreeText, mask_numbers
from shegong.kernel.web.api_keys import DepartmentCode

# A skill a session teaches (个案工作, 心理支持): typed text, so a phone or ID number in it
# keeps three digits before it reaches the bus; fifty at most, of 64 characters.
Skill = Annotated[FreeText, Field(min_length=1, max_length=64)]


def _not_a_persons_number(value: str) -> str:
    if mask_numbers(value) != value:
        raise ValueError(
            "an ID number or a mobile phone cannot be an id: it would go to every "
            "department and onto the bus / 身份证号或手机号不能用作编号"
        )
    return value


# A path segment of the API (/sessions/{session_id}): round 10, session_id "../../x" or
# "a/b" was taken (201) and no URL reached the session again — counted among the year's
# sessions, never enrolled, signed in, completed or shown.
_NOT_IN_A_PATH = re.compile(r"[/\\]|^\.{1,2}$")


def _a_path_segment(value: str) -> str:
    if _NOT_IN_A_PATH.search(value):
        raise ValueError(
            "cannot hold / or \\, or be . or ..: it is part of the session's or base's "
            "address / 编号不能含有 / 或 \\，也不能是 . 或 ..（编号是其网址的一部分）"
        )
    return value


# An id the caller may choose (a base's, a session's) is published as it is: never a
# person's ID number or phone (round 8: session_id "621126197501180351" went onto the bus),
# and it is the last part of the record's URL.
ClientId = Annotated[str, AfterValidator(_not_a_persons_number), AfterValidator(_a_path_segment)]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RegisterBase(_Command):
    """Register a training base (培训基地) or practice base (实践基地)."""

    base_id: ClientId | None = Field(default=None, max_length=64, description="default: generated")
    # Text a clerk types keeps three digits of a phone or ID number typed in it (FreeText):
    # "岗前培训 联系人王老师13909310002" went onto training.events whole.
    name: FreeText = Field(min_length=1, max_length=128, description="基地名称")
    kind: BaseKind = Field(description="training_base / practice_base or 培训基地 / 实践基地")
    tier: Tier = Field(description="city / county / township or 市级 / 县级 / 乡镇级")
    region: FreeText | None = Field(
        default=None, max_length=200, description="e.g. 安定区/永定路街道"
    )
    department: DepartmentCode | None = Field(
        default=None,
        max_length=64,
        description="Owning department; default: the caller's (a department key: its own)",
    )


class ScheduleSession(_Command):
    """Put a session on the calendar (排课)."""

    session_id: ClientId | None = Field(
        default=None, max_length=64, description="default: generated"
    )
    kind: SessionKind = Field(description="prejob/backbone/exam_prep/lecture/practice or 岗前培训…")
    title: FreeText = Field(min_length=1, max_length=200)
    held_on: Day
    hours: float = Field(gt=0, le=1000, description="学时")
    base_id: str | None = Field(default=None, max_length=64)
    # The read models hold an INTEGER (PostgreSQL: 32 bits): 10**30 was taken (201) and the
    # session never reached them (round 10).
    capacity: int | None = Field(default=None, ge=1, le=100_000, description="名额")
    audience: FreeText | None = Field(default=None, max_length=200, description="培训对象")
    skills: list[Skill] = Field(default_factory=list, max_length=50)
    serves: list[TargetGroup] = Field(default_factory=list, max_length=20)
    department: DepartmentCode | None = Field(
        default=None,
        max_length=64,
        description="Only without a base: holding department; default: the caller's",
    )


class Enrol(_Command):
    worker_id: str = Field(min_length=1, max_length=64)


class SignIn(_Command):
    worker_id: str = Field(min_length=1, max_length=64)
    signed_at: Moment | None = Field(default=None, description="default: now")


class Complete(_Command):
    worker_id: str = Field(min_length=1, max_length=64)
    hours: float | None = Field(default=None, ge=0, le=1000, description="default: the session's")
    score: float | None = Field(default=None, ge=0, le=100)
    completed_on: Day | None = Field(default=None, description="default: the session's date")


class RecordAssessment(_Command):
    """An appraisal result (考核)."""

    worker_id: str = Field(min_length=1, max_length=64)
    period: FreeText = Field(min_length=1, max_length=32, description="e.g. 2024")
    score: float | None = Field(default=None, ge=0, le=100)
    grade: AppraisalGrade = Field(description="excellent… or 优秀 / 称职 / 基本称职 / 不称职")
    assessed_on: Day | None = None
