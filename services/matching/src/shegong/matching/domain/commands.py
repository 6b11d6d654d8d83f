"""Commands as they arrive at the edge: typed, validated, the field at fault named."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shegong.contracts.matching import ProviderKind, ServiceType, Urgency
from shegong.contracts.training import TargetGroup
from shegong.kernel.data.days import Day, Moment
from shegong.kernel.data.redact import FreeText

# A provider's skill (助餐, 心理支持): typed text, so a phone or ID number in it keeps three
# digits before it reaches the bus (round 8); 64 characters at most.
Skill = Annotated[FreeText, Field(min_length=1, max_length=64)]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PlaceRequest(_Command):
    """A resident's order (点单)."""

    community: str = Field(
        min_length=3, max_length=200, description="区县/街道/社区, e.g. 安定区/永定路街道/东关社区"
    )
    target_group: TargetGroup = Field(description="elderly/children/hardship/disability or 一老…")
    service_type: ServiceType = Field(description="health_management … or 健康管理 …")
    urgency: Urgency = Urgency.ROUTINE
    window_start: Moment | None = None
    window_end: Moment | None = None
    notes: FreeText | None = Field(default=None, max_length=1000)
    placed_by: str = Field(default="staff", pattern="^(resident|staff)$")
    resident_phone: str | None = Field(default=None, max_length=40, description="手机号")
    resident_address: str | None = Field(default=None, max_length=200, description="住址")
    accept_within_s: float | None = Field(
        default=None, gt=0, le=30 * 86400, description="SLA for acceptance; default: the service's"
    )


class Decline(_Command):
    provider_id: str = Field(min_length=1, max_length=64)
    reason: FreeText = Field(min_length=1, max_length=500, description="拒单原因")


class Accept(_Command):
    provider_id: str = Field(min_length=1, max_length=64)


class Assign(_Command):
    """Staff at the responding level assign by hand."""

    provider_id: str = Field(min_length=1, max_length=64)
    staff: FreeText = Field(min_length=1, max_length=64)


class StartDelivery(_Command):
    started_at: Moment | None = None


class FinishDelivery(_Command):
    hours: float = Field(gt=0, le=24 * 14, description="服务时长 (hours)")
    finished_at: Moment | None = None
    members: list[str] = Field(
        default_factory=list,
        max_length=200,
        description="A volunteer team's members who served (volunteer ids): each is "
        "credited the hours; none: the hours stay in the team's name",
    )


class RecordFollowUp(_Command):
    satisfaction: int = Field(ge=1, le=5, description="满意度 1–5")
    notes: FreeText | None = Field(default=None, max_length=1000)
    followed_up_on: Day | None = None
    reopen: bool = Field(default=False, description="Reopen the need (only when unsatisfied)")


class Cancel(_Command):
    reason: FreeText = Field(min_length=1, max_length=500)


class RegisterProvider(_Command):
    """A volunteer, volunteer team or service organisation."""

    kind: ProviderKind
    name: FreeText = Field(min_length=1, max_length=128)
    region: FreeText = Field(
        min_length=1, max_length=200, description="区县/街道/社区 where it serves"
    )
    organisation: FreeText | None = Field(default=None, max_length=128)
    skills: list[Skill] = Field(default_factory=list, max_length=50)
    supervised: bool = False
    capacity: int = Field(default=3, ge=1, le=1000)


class SetAvailability(_Command):
    available: bool = True
    capacity: int | None = Field(default=None, ge=1, le=1000)
    skills: list[Skill] | None = Field(default=None, max_length=50)
    supervised: bool | None = None


class CreateProgramme(_Command):
    """A recurring programme (常态化项目) with an RFC 5545 rule."""

    title: FreeText = Field(min_length=1, max_length=128)
    community: str = Field(min_length=3, max_length=200)
    service_type: ServiceType
    target_group: TargetGroup | None = None
    rrule: str = Field(
        min_length=5, max_length=500, description="e.g. FREQ=DAILY or FREQ=WEEKLY;BYDAY=SA"
    )
    starts_on: Day
    provider_id: str | None = Field(default=None, max_length=64)


class CheckIn(_Command):
    """A participant's check-in (打卡), or a provider's who served at the occurrence
    (``provider_id`` and ``hours``: the hours go to the hours ledger)."""

    occurrence: Day
    # a name typed by hand: a phone in it keeps three digits before the bus (round 8)
    participant: FreeText | None = Field(
        default=None, min_length=1, max_length=128, description="Who attended (a provider: its id)"
    )
    provider_id: str | None = Field(default=None, max_length=64, description="Who served")
    hours: float | None = Field(default=None, gt=0, le=24, description="Hours served")
    members: list[str] = Field(
        default_factory=list, max_length=200, description="A team's members who served"
    )
    started_at: Moment | None = Field(
        default=None, description="When the service began (default: 09:00 Beijing time)"
    )
