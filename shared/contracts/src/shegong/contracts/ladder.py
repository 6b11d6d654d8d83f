"""The career ladder's public events (三级进阶), published on ``registry.events``.

The registry owns certificates and the ladder (ARCHITECTURE): it evaluates the rules of
its ladder configuration from events and publishes each changed decision, naming every
rule and whether it is met, so other services (matching, dashboards) can use them.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shegong.contracts.events import Event

LadderStep = Literal["assistant", "intermediate", "senior_review", "expert_pool"]


class RuleOutcome(BaseModel):
    """One rule of a ladder step, and whether the worker meets it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str = Field(description="Rule key from the ladder configuration")
    label: str = Field(description="What the rule asks, in English")
    label_zh: str = Field(description="同上，中文")
    met: bool
    detail: str = Field(description="What the worker has, e.g. '96 h of 90 h'")


class LadderEligibilityChanged(Event):
    """A person became eligible (or stopped being eligible) for a ladder step: the
    助理社会工作师 / 社会工作师 exams (职业资格认证), 高级社会工作师评审 (senior title review)
    or 专家库 (expert pool).

    ``worker_id`` is the record the decision is kept under (the census person's first
    record); ``person_id`` and ``worker_ids`` name the census person and every record
    whose facts were counted (None / empty: a node without the census, one record)."""

    aggregate_type = "ladder"
    type: Literal["LadderEligibilityChanged"] = "LadderEligibilityChanged"
    worker_id: str
    step: LadderStep
    eligible: bool
    as_of: date
    rules: list[RuleOutcome]
    person_id: str | None = Field(default=None, description="The census person decided for")
    worker_ids: list[str] = Field(default_factory=list, description="Records counted")


class ExpertPoolAdmitted(Event):
    """A worker was admitted to the city expert pool (专家库): a promotion."""

    aggregate_type = "ladder"
    type: Literal["ExpertPoolAdmitted"] = "ExpertPoolAdmitted"
    worker_id: str
    admitted_on: date
    rules: list[RuleOutcome]


class ExpertPoolLeft(Event):
    """An expert left the city expert pool (出库): no longer offered as a lecturer or a
    supervisor from this day on."""

    aggregate_type = "ladder"
    type: Literal["ExpertPoolLeft"] = "ExpertPoolLeft"
    worker_id: str
    left_on: date
    reason: str = Field(max_length=200)


LADDER_EVENTS: tuple[type[Event], ...] = (
    LadderEligibilityChanged,
    ExpertPoolAdmitted,
    ExpertPoolLeft,
)
