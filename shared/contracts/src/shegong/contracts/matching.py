"""The matching service's public events (居民点单、社工接单、社区响应): stream ``matching.events``.

Residents' phones and addresses never travel here (ARCHITECTURE rule 7): a keyed hash for
linkage and a masked form for display only. Communities are region paths as the registry
defines them (``安定区/永定路街道/东关社区``); providers are named by the registry's
``worker_id`` for social workers, by matching's own id for volunteers, teams and
organisations.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from shegong.contracts.access import ACCESS_EVENTS
from shegong.contracts.events import Event, Labelled, StreamContract, Upcaster
from shegong.contracts.matching_fields import KeyedHash, Masked, owner
from shegong.contracts.matching_people import (
    NotificationSent,
    ResidentContactPurged,
    ResidentContactViewed,
    SupervisorAssigned,
    TeamHoursCredited,
    VolunteerNumberSet,
    WorkerLinkRevoked,
)
from shegong.contracts.training import TargetGroup


def _owned_by_nobody(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 named no owning department: such a record belongs to no department, so
    only the city administrator may change it (the safe reading of an old event)."""
    return {**data, "department": None}


__all__ = [
    "MATCHING_STREAM",
    "NotificationSent",
    "ProviderKind",
    "ResidentContactPurged",
    "ResidentContactViewed",
    "ServiceType",
    "SupervisorAssigned",
    "TargetGroup",
    "TeamHoursCredited",
    "Urgency",
    "VolunteerNumberSet",
    "WorkerLinkRevoked",
]


class ServiceType(Labelled):
    """The service taxonomy (服务类型) residents order from."""

    HEALTH_MANAGEMENT = "health_management"
    MEAL_HELP = "meal_help"
    AFTER_SCHOOL_CARE = "after_school_care"
    PARENT_CHILD = "parent_child"
    HOME_VISIT = "home_visit"
    PSYCHOLOGICAL_SUPPORT = "psychological_support"
    BENEFITS_HELP = "benefits_help"
    REHABILITATION = "rehabilitation"

    @classmethod
    def labels_zh(cls) -> dict[str, str]:
        return {
            "health_management": "健康管理",
            "meal_help": "助餐",
            "after_school_care": "课后托管",
            "parent_child": "亲子活动",
            "home_visit": "探访",
            "psychological_support": "心理支持",
            "benefits_help": "政策帮办",
            "rehabilitation": "康复",
        }


class Urgency(Labelled):
    """How soon the resident needs it (紧急程度)."""

    ROUTINE = "routine"
    URGENT = "urgent"
    CRITICAL = "critical"

    @classmethod
    def labels_zh(cls) -> dict[str, str]:
        return {"routine": "一般", "urgent": "紧急", "critical": "特急"}


class ProviderKind(Labelled):
    """Who can take an order (接单)."""

    SOCIAL_WORKER = "social_worker"
    VOLUNTEER = "volunteer"
    VOLUNTEER_TEAM = "volunteer_team"
    ORGANISATION = "organisation"

    @classmethod
    def labels_zh(cls) -> dict[str, str]:
        return {
            "social_worker": "社工",
            "volunteer": "志愿者",
            "volunteer_team": "志愿服务队",
            "organisation": "服务机构",
        }


class ResponseLevel(Labelled):
    """Where an unanswered order escalates (社区响应): community → street → district."""

    COMMUNITY = "community"
    STREET = "street"
    DISTRICT = "district"

    @classmethod
    def labels_zh(cls) -> dict[str, str]:
        return {"community": "社区", "street": "街道", "district": "区"}


# --- requests (点单) ------------------------------------------------------------------


class RequestPlaced(Event):
    """A resident's need was ordered (点单), by the resident or community staff.

    Version 2 names the department that placed the order and owns it (None: placed by
    the city administrator; version 1 entries read as None)."""

    schema_version: ClassVar[int] = 2
    upcasters: ClassVar[dict[int, Upcaster]] = {1: _owned_by_nobody}
    aggregate_type = "request"
    type: Literal["RequestPlaced"] = "RequestPlaced"
    request_id: str
    community: str = Field(max_length=200, description="Region path of the community")
    target_group: TargetGroup
    service_type: ServiceType
    urgency: Urgency = Urgency.ROUTINE
    window_start: datetime | None = None
    window_end: datetime | None = None
    notes: str | None = Field(default=None, max_length=1000)
    placed_by: Literal["resident", "staff"] = "staff"
    resident_phone_hash: KeyedHash | None = None
    resident_phone_masked: Masked | None = None
    resident_address_masked: Masked | None = None
    accept_by: datetime = Field(description="Offers lapse and the order escalates after it")
    department: str | None = owner("Department that placed and owns the order")


class OrderOffered(Event):
    """The order was offered to ranked candidates, best first, with their scores."""

    aggregate_type = "request"
    type: Literal["OrderOffered"] = "OrderOffered"
    request_id: str
    provider_ids: list[str]
    scores: list[float] = Field(default_factory=list)
    accept_by: datetime | None = Field(default=None, description="When these offers lapse")


class OfferDeclined(Event):
    """A candidate declined the offer, with a reason."""

    aggregate_type = "request"
    type: Literal["OfferDeclined"] = "OfferDeclined"
    request_id: str
    provider_id: str
    reason: str = Field(max_length=500)


class OrderAccepted(Event):
    """A provider took the order (接单), or staff assigned it by hand."""

    aggregate_type = "request"
    type: Literal["OrderAccepted"] = "OrderAccepted"
    request_id: str
    provider_id: str
    provider_kind: ProviderKind
    assigned_by: str | None = Field(default=None, description="Staff who assigned it by hand")
    level: ResponseLevel | None = Field(default=None, description="Level that assigned it")


class OrderEscalated(Event):
    """Nobody accepted in time: the order goes to the community, street or district."""

    aggregate_type = "request"
    type: Literal["OrderEscalated"] = "OrderEscalated"
    request_id: str
    level: ResponseLevel
    region: str = Field(max_length=200, description="The responding region's path")
    respond_by: datetime | None = Field(default=None, description="Escalates further after it")
    reason: Literal["sla", "declined", "no_candidates", "staff"] = "sla"


class DeliveryStarted(Event):
    """The provider started delivering the service."""

    aggregate_type = "request"
    type: Literal["DeliveryStarted"] = "DeliveryStarted"
    request_id: str
    provider_id: str
    started_at: datetime


class DeliveryFinished(Event):
    """The service was delivered; the hours go to the hours ledger (服务时长)."""

    aggregate_type = "request"
    type: Literal["DeliveryFinished"] = "DeliveryFinished"
    request_id: str
    provider_id: str
    finished_at: datetime
    hours: float = Field(gt=0, le=24 * 14)
    follow_up_by: date


class FollowUpRecorded(Event):
    """The resident was visited afterwards (回访) and rated the service."""

    aggregate_type = "request"
    type: Literal["FollowUpRecorded"] = "FollowUpRecorded"
    request_id: str
    satisfaction: int = Field(ge=1, le=5)
    notes: str | None = Field(default=None, max_length=1000)
    followed_up_on: date
    reopened: bool = False


class RequestCancelled(Event):
    """The order was withdrawn."""

    aggregate_type = "request"
    type: Literal["RequestCancelled"] = "RequestCancelled"
    request_id: str
    reason: str = Field(max_length=500)


# --- providers ------------------------------------------------------------------------


class ProviderRegistered(Event):
    """A volunteer, volunteer team or service organisation joined matching (social
    workers come from the registry's events instead).

    Version 2 names the department that registered it (None: the city administrator;
    version 1 entries read as None)."""

    schema_version: ClassVar[int] = 2
    upcasters: ClassVar[dict[int, Upcaster]] = {1: _owned_by_nobody}
    aggregate_type = "provider"
    type: Literal["ProviderRegistered"] = "ProviderRegistered"
    provider_id: str
    kind: ProviderKind
    name: str = Field(max_length=128)
    region: str = Field(max_length=200, description="Region path where it serves")
    organisation: str | None = Field(default=None, max_length=128)
    skills: list[str] = Field(default_factory=list)
    supervised: bool = Field(default=False, description="Works under a social worker's supervision")
    capacity: int = Field(ge=1, le=1000, description="Open assignments at once")
    department: str | None = owner("Department that registered the provider")


class ProviderAvailabilitySet(Event):
    """A provider's capacity, availability or skills changed (any provider kind)."""

    aggregate_type = "provider"
    type: Literal["ProviderAvailabilitySet"] = "ProviderAvailabilitySet"
    provider_id: str
    available: bool
    capacity: int | None = Field(default=None, ge=1, le=1000)
    skills: list[str] | None = None
    supervised: bool | None = None


# --- programmes (常态化项目) and needs (需求) --------------------------------------------


class ProgrammeCreated(Event):
    """A one-off activity became a recurring programme (daily 八段锦, weekly drums).

    Version 2 names the department that runs it (None: the city administrator; version
    1 entries read as None)."""

    schema_version: ClassVar[int] = 2
    upcasters: ClassVar[dict[int, Upcaster]] = {1: _owned_by_nobody}
    aggregate_type = "programme"
    type: Literal["ProgrammeCreated"] = "ProgrammeCreated"
    programme_id: str
    title: str = Field(max_length=128)
    community: str = Field(max_length=200)
    service_type: ServiceType
    target_group: TargetGroup | None = None
    rrule: str = Field(max_length=500, description="RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=SA")
    starts_on: date
    provider_id: str | None = None
    department: str | None = owner("Department that runs the programme")


class CheckedIn(Event):
    """Someone checked in (打卡) at an occurrence of a programme: a participant, or a
    provider who served there (``provider_id`` with ``hours``: the hours go to the
    hours ledger; a team's to the ``members`` who served, each for those hours)."""

    aggregate_type = "programme"
    type: Literal["CheckedIn"] = "CheckedIn"
    programme_id: str
    occurrence: date
    participant: str = Field(max_length=128, description="Participant name or masked id")
    provider_id: str | None = Field(default=None, description="The provider who served")
    hours: float | None = Field(default=None, gt=0, le=24, description="Hours served")
    members: list[str] = Field(
        default_factory=list, description="A team's members who served (volunteer ids)"
    )
    started_at: datetime | None = Field(default=None, description="When the service began")


class NeedRecorded(Event):
    """A needs survey (需求调查) row: a household's need in a community."""

    aggregate_type = "need"
    type: Literal["NeedRecorded"] = "NeedRecorded"
    need_id: str
    community: str = Field(max_length=200)
    household: str = Field(max_length=64, description="Household label (masked or code)")
    target_group: TargetGroup
    service_type: ServiceType
    surveyed_on: date | None = None


MATCHING_STREAM = StreamContract(
    name="matching.events",
    service="matching",
    description="Residents' orders, offers, acceptance, escalation, delivery and follow-up; "
    "volunteers and teams; programmes and check-ins; surveyed needs; every full view of a "
    "resident's contact; every notification, and whether a sender took it; experts assigned "
    "as supervisors.",
    events=(
        RequestPlaced,
        OrderOffered,
        OfferDeclined,
        OrderAccepted,
        OrderEscalated,
        DeliveryStarted,
        DeliveryFinished,
        FollowUpRecorded,
        RequestCancelled,
        ProviderRegistered,
        ProviderAvailabilitySet,
        ProgrammeCreated,
        CheckedIn,
        NeedRecorded,
        ResidentContactViewed,
        ResidentContactPurged,
        TeamHoursCredited,
        VolunteerNumberSet,
        NotificationSent,
        SupervisorAssigned,
        WorkerLinkRevoked,
        *ACCESS_EVENTS,
    ),
)
