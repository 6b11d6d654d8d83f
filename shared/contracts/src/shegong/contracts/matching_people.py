"""Matching's events about the people around an order rather than the order itself: a
resident's contact seen in full or deleted (个人信息), a volunteer team's hours credited
to its members and a volunteer's national number, a notification sent (or not), an expert
assigned to supervise. Part of the ``matching.events`` stream (``matching.py``)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from shegong.contracts.access import key_id_field, key_unknown
from shegong.contracts.events import Event, Upcaster
from shegong.contracts.matching_fields import KeyedHash, Masked, owner


class ResidentContactViewed(Event):
    """Someone saw a resident's contact (phone, address) for an order in full (个人信息
    查看留痕): who, in which role, for which order and provider, which fields. The values
    themselves never travel (rule 7); when is the entry's time.

    Version 2 names the key by its id too (round 13; version 1, and a worker's link:
    ``None``)."""

    schema_version: ClassVar[int] = 2
    upcasters: ClassVar[dict[int, Upcaster]] = {1: key_unknown}

    aggregate_type = "contact-access"
    audit = True
    type: Literal["ResidentContactViewed"] = "ResidentContactViewed"
    request_id: str
    department: str | None = Field(
        default=None, description="Department that owns the order (None: the city's)"
    )
    provider_id: str = Field(description="The provider serving the order, named by the viewer")
    viewer: str = Field(description="The API key's name (and the person it named)")
    viewer_key_id: str | None = key_id_field()
    viewer_role: str
    viewer_department: str | None = None
    fields: list[str] = Field(description="Which fields were shown: phone, address")


class ResidentContactPurged(Event):
    """A resident's contact (phone, address) for an order was deleted from matching's
    vault (个人信息删除): ``retention`` — the configured time after the order closed —
    or ``erasure`` — the resident asked (then the order's masked forms and notes go
    from the read models too). Which fields were deleted, never their values; the
    phone's keyed hash is the only reference kept."""

    aggregate_type = "request"
    type: Literal["ResidentContactPurged"] = "ResidentContactPurged"
    request_id: str
    department: str | None = Field(
        default=None, description="Department that owns the order (None: the city's)"
    )
    reason: Literal["retention", "erasure"]
    fields: list[str] = Field(description="What was deleted: phone, address, notes")
    resident_phone_hash: KeyedHash | None = None


class TeamHoursCredited(Event):
    """A volunteer team's service was credited to the members who served (each for the
    hours served): an order's delivery or a programme's check-in."""

    aggregate_type = "team-hours"
    type: Literal["TeamHoursCredited"] = "TeamHoursCredited"
    team_id: str
    members: list[str] = Field(min_length=1, description="Volunteer ids, one entry each")
    hours: float = Field(gt=0, le=24 * 14)
    request_id: str | None = None
    programme_id: str | None = None


class VolunteerNumberSet(Event):
    """A volunteer's national volunteer number (志愿者编号, for the national volunteer
    record) was recorded or changed: the number stays in matching's vault; here only
    its keyed hash and a masked form."""

    aggregate_type = "volunteer-number"
    type: Literal["VolunteerNumberSet"] = "VolunteerNumberSet"
    provider_id: str
    number_hash: KeyedHash
    number_masked: Masked


class WorkerLinkRevoked(Event):
    """A worker's mobile link (社工接单链接) was withdrawn before it lapsed — a lost or
    shared phone: every link issued to the provider until now opens nothing; a link
    asked for afterwards works."""

    aggregate_type = "worker-link"
    type: Literal["WorkerLinkRevoked"] = "WorkerLinkRevoked"
    provider_id: str


def delivery_unknown(data: dict[str, Any]) -> dict[str, Any]:
    """A notification recorded before round 16 did not say whether a sender took it (with
    no sender configured nothing was sent, yet it was recorded all the same)."""
    return {**data, "delivered": None, "reason": None}


class NotificationSent(Event):
    """A message about what happened to an order (通知) went through the sender — or did
    not: which kind, to whom — a keyed reference, ``provider:<id>`` or ``region:<path>``
    (the staff responding there) — about which order, after how many tries. The text
    never travels.

    Version 2 says whether it reached a sender (``delivered``) and, when not, why
    (``reason``: no sender is configured — nobody was told). Version 1 did not say:
    ``None`` for both."""

    schema_version: ClassVar[int] = 2
    upcasters: ClassVar[dict[int, Upcaster]] = {1: delivery_unknown}

    aggregate_type = "notification"
    type: Literal["NotificationSent"] = "NotificationSent"
    notification_id: str
    kind: Literal["offer_made", "order_escalated", "follow_up_overdue"]
    recipient: str = Field(max_length=300, description="provider:<id> or region:<path>")
    request_id: str | None = None
    attempts: int = Field(ge=1, description="Tries it took (1: the first)")
    delivered: bool | None = Field(
        description="True: a sender took it; False: nobody was told; None: not recorded (v1)"
    )
    reason: str | None = Field(
        default=None,
        max_length=200,
        description="Why it was not sent, in English and Chinese (None when it was)",
    )


class SupervisorAssigned(Event):
    """An expert of the city expert pool (专家库) was assigned to supervise (督导) an
    escalated or complex order; ``expert_id`` is the expert's worker id in the registry."""

    aggregate_type = "supervision"
    type: Literal["SupervisorAssigned"] = "SupervisorAssigned"
    request_id: str
    expert_id: str
    reason: Literal["escalated", "complex"]
    hours: float = Field(default=0, ge=0, le=1000, description="Hours of supervision")
    department: str | None = owner("Department that owns the order")
