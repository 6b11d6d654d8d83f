"""What matching's order and provider routes return (shown at /docs and in openapi.json)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from shegong.contracts.matching import ProviderKind
from shegong.kernel.web.responses import ApiModel, Number, row_model
from shegong.matching.adapters.tables import hours_ledger, programmes, provider_state, requests


class RequestRow(row_model(requests)):  # type: ignore[misc]
    """An order as the read model holds it (times as seconds since the epoch, UTC)."""


class ProviderState(row_model(provider_state)):  # type: ignore[misc]
    """A provider's capacity, load and record as the read model holds them."""


class ProviderRow(ProviderState):
    """A provider with its capacity, load and record, and whether it is active."""

    active: bool = Field(description="No departure (left_on) on or before today")
    person_records: list[str] | None = Field(
        None, description="One person on several rosters: every record of theirs"
    )
    person_open_assignments: int | None = Field(
        None, description="The person's open orders over all their records"
    )


class RequestView(ApiModel):
    """An order as its aggregate stands after the command."""

    request_id: str
    version: int
    status: str
    community: str
    target_group: str
    service_type: str
    service_type_zh: str
    urgency: str
    window_start: datetime | None
    window_end: datetime | None
    notes: str | None
    resident_phone_masked: str | None
    resident_address_masked: str | None
    offered: list[str] = Field(description="Providers offered the order, in order")
    declined: dict[str, str] = Field(description="Provider → the reason they declined")
    provider_id: str | None
    provider_kind: str | None
    level: str | None = Field(description="Escalated to: community, street or district")
    hours: Number | None
    follow_up_by: date | None
    satisfaction: int | None


class Ranked(ApiModel):
    """One eligible provider, its score and the score's parts."""

    provider_id: str
    kind: str
    name: str | None
    score: Number
    parts: dict[str, Number]
    weights: dict[str, Number]
    merged_records: list[str] | None = Field(
        None, description="One person on several rosters: offered once, through this record"
    )


class Ineligible(ApiModel):
    provider_id: str
    name: str | None
    kind: str
    reason: str = Field(description="Why the provider may not take the order")


class RequestResult(ApiModel):
    """The order after a command."""

    request: RequestView


class PlacedRequest(RequestResult):
    """The order placed, and the ranking its first offer came from."""

    ranking: list[Ranked]


class Candidates(ApiModel):
    ranked: list[Ranked]
    ineligible: list[Ineligible]


class Contact(ApiModel):
    """The resident's contact, shown in full (every view is recorded)."""

    phone: str | None
    address: str | None


class ServiceTypeInfo(ApiModel):
    code: str
    label_zh: str
    required_skills: list[str]
    min_certificate: str | None
    supervision_required: bool


class RegisteredProvider(ApiModel):
    provider_id: str
    kind: ProviderKind
    name: str
    region: str
    organisation: str | None
    skills: list[str]
    supervised: bool
    capacity: int
    department: str | None


class CommunityLink(ApiModel):
    community: str = Field(description="Region path of the community")
    url: str = Field(description="Signed link to its public order page (居民点单)")


class WorkerLink(ApiModel):
    provider_id: str
    url: str = Field(description="The worker's own signed link to their 接单 page")
    valid_days: int = Field(description="Days the link stays valid")


class WorkerLinkWithdrawn(ApiModel):
    provider_id: str
    revoked_at: datetime = Field(description="Links issued until this moment open nothing")


class ProgrammeRow(row_model(programmes)):  # type: ignore[misc]
    """A recurring programme (常态化项目): where, what, and its RRULE from its first day."""


class Occurrence(ApiModel):
    """A programme's occurrence (a day its rule gives) and its check-ins so far."""

    occurrence: date
    check_ins: int


class CheckInResult(Occurrence):
    """A check-in (打卡): whether it was new (a repeat is recorded once), and the count."""

    recorded: bool


class LedgerEntry(row_model(hours_ledger)):  # type: ignore[misc]
    """One delivery's hours (a re-delivery after a reopen is another entry)."""


class HoursLedger(ApiModel):
    entries: list[LedgerEntry]
    totals: dict[str, dict[str, Number]] = Field(
        description="Hours per person, per team and per organisation (keys: person, team, "
        "organisation)"
    )


class VolunteerNumberView(ApiModel):
    """A volunteer's national number as recorded: masked (the number stays in the vault)."""

    provider_id: str
    number_masked: str


class SavedEventRef(ApiModel):
    type: str
    id: str
    sequence: int


class SupervisionResult(ApiModel):
    """An expert assigned to supervise an order (``assigned`` false: already theirs)."""

    assigned: bool
    supervision: dict[str, Any]
    events: list[SavedEventRef]
