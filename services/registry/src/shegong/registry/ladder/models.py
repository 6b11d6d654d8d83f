"""What the ladder's routes return (shown at /docs and in openapi.json)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from shegong.contracts.ladder import RuleOutcome
from shegong.kernel.web.responses import ApiModel, Number, row_model
from shegong.registry.api.models import SavedEventRef
from shegong.registry.ladder.eligibility import standings


class StepDecision(ApiModel):
    """A step of the ladder: every rule, whether it is met and what the person has."""

    step: str
    label: str
    label_zh: str
    eligible: bool
    rules: list[RuleOutcome]


class LadderItem(row_model(standings)):  # type: ignore[misc]
    """A person's latest decision for a step, with their name and the step's labels."""

    name: str | None
    organization: str | None
    step_label: str
    step_zh: str


class LadderPage(ApiModel):
    total: int
    items: list[LadderItem]


class NotEligibleItem(ApiModel):
    """A person not eligible for a step today, evaluated now: ``unmet``, the rules they
    do not meet."""

    worker_id: str
    person_id: str | None
    worker_ids: list[str]
    step: str
    step_label: str
    step_zh: str
    department: str | None
    name: str | None
    organization: str | None
    eligible: bool
    as_of: date
    rules: list[RuleOutcome]
    unmet: list[RuleOutcome]
    admitted_on: date | None


class NotEligiblePage(ApiModel):
    """``eligible=false``: everyone not eligible today (as_of)."""

    total: int
    as_of: date
    items: list[NotEligibleItem]


class HeldCertificate(ApiModel):
    level: str
    certified_on: date


class Appraisal(ApiModel):
    period: str
    grade: str
    grade_zh: str


class LadderStandingView(ApiModel):
    """Where a census person stands on the ladder and why, as of a day."""

    worker_id: str
    person_id: str | None
    worker_ids: list[str] = Field(description="Every record of the person")
    decided_under: str = Field(description="The record the ladder decides under")
    as_of: date
    highest_certificate: str | None
    highest_certificate_zh: str | None
    certificates: list[HeldCertificate]
    training_hours: Number
    appraisals: list[Appraisal]
    expert_pool_admitted_on: date | None
    steps: list[StepDecision]


class Evaluated(ApiModel):
    as_of: date
    workers: int
    events: int = Field(description="Changed decisions published")


class Admitted(ApiModel):
    worker_id: str
    person_id: str | None
    admitted_on: date
    decision: StepDecision
    events: list[SavedEventRef]


class LeftPool(ApiModel):
    worker_id: str
    left_on: date
    events: list[SavedEventRef]
