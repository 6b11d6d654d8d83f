"""The service indicators' response, each field with its definition (shown at /docs).

A year's figures: orders are counted by the day they were placed, deliveries by the day
they finished, ratings by the day of the follow-up (回访) — all in UTC — and, with a
region, those whose community lies in it (the region itself or below it).
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class _Labelled(BaseModel):
    label_zh: str = Field(description="The category's name in Chinese")
    requests: int = Field(description="Orders placed in the year in this category")


class TimeToAccept(BaseModel):
    median: float | None = Field(
        description="Median, over the orders placed in the year that were taken, of the "
        "seconds from placement to the first acceptance (接单) or hand assignment (派单); "
        "null when none was taken"
    )
    p90: float | None = Field(
        description="90th percentile (nearest rank) of the same waits; null when none"
    )


class Hours(BaseModel):
    total: float = Field(
        description="Hours of every delivery finished in the year and of every programme "
        "check-in of someone who served (hours-ledger entries, re-deliveries after a reopen "
        "included); a team's service credited to its members counts once per member "
        "(person-hours, 人时)"
    )
    volunteer: float = Field(
        description="Of those, the hours of volunteers and volunteer teams (志愿服务时长)"
    )
    by_provider_kind: dict[str, float] = Field(
        description="The same hours by provider kind: social_worker, volunteer, "
        "volunteer_team, organisation (kinds with no hours are left out)"
    )


class ProgrammeAttendance(BaseModel):
    check_ins: int = Field(
        description="Check-ins (打卡: participant × occurrence) on days in the year, at "
        "programmes of the region"
    )
    occurrences: int = Field(
        description="Occurrences held: distinct (programme, day) pairs with at least one "
        "check-in — two programmes on one Saturday are two occurrences"
    )
    programmes: int = Field(description="Distinct programmes with at least one check-in")


class ServiceIndicators(BaseModel):
    """服务指标 — definitions of every figure."""

    year: int = Field(description="The calendar year (UTC)")
    as_of_date: str = Field(
        description="The day the figures are as of (ISO date): 31 December, or the `as_of` "
        "asked for — the year so far"
    )
    region: str | None = Field(description="The region path the figures are limited to")
    requests: int = Field(
        description="Orders (点单) placed in the year whose community lies in the region, "
        "whatever became of them since (cancelled ones included)"
    )
    by_target_group: dict[str, _Labelled] = Field(
        description="Those orders by target group (一老一小、一困一残)"
    )
    by_service_type: dict[str, _Labelled] = Field(
        description="Those orders by service type (the taxonomy)"
    )
    accepted: int = Field(
        description="Of the orders placed in the year, those taken at least once — accepted "
        "from an offer or assigned by hand"
    )
    acceptance_rate: float | None = Field(
        description="accepted ÷ requests, a fraction; null with no requests"
    )
    time_to_accept_s: TimeToAccept
    escalation_rate: dict[str, float | None] = Field(
        description="Per level (community, street, district): orders placed in the year that "
        "ever reached that level or a higher one (社区响应) ÷ requests"
    )
    completed: int = Field(
        description="Orders placed in the year that are delivered now (completed, or followed "
        "up without reopening); a reopened order counts once delivered again"
    )
    completion_rate: float | None = Field(description="completed ÷ requests")
    follow_up_coverage: float | None = Field(
        description="回访率: deliveries finished in the year that were followed up ÷ deliveries "
        "finished in the year — every delivery counts, a re-delivery after a reopen included, "
        "and a delivery counts as followed up only by its own follow-up; null with no "
        "deliveries"
    )
    mean_satisfaction: float | None = Field(
        description="满意度: mean of every follow-up rating (1–5) given in the year, those that "
        "reopened an order included (as the provider's score counts them), rounded to 2 "
        "places; null with no ratings"
    )
    hours: Hours
    programme_attendance: ProgrammeAttendance
    as_of: dict[str, dict[str, int]] = Field(
        description="The position of matching's event store the figures were computed at "
        "({'positions': {'matching': N}}): a published report names it"
    )
