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

LadderStep = Literal["senior_review", "expert_pool"]


class RuleOutcome(BaseModel):
    """One rule of a ladder step, and whether the worker meets it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str = Field(description="Rule key from the ladder configuration")
    label: str = Field(description="What the rule asks, in English")
    label_zh: str = Field(description="同上，中文")
    met: bool
    detail: str = Field(description="What the worker has, e.g. '96 h of 90 h'")


class LadderEligibilityChanged(Event):
    """A worker became eligible (or stopped being eligible) for a ladder step:
    高级社会工作师评审 (senior title review) or 专家库 (expert pool)."""

    aggregate_type = "ladder"
    type: Literal["LadderEligibilityChanged"] = "LadderEligibilityChanged"
    worker_id: str
    step: LadderStep
    eligible: bool
    as_of: date
    rules: list[RuleOutcome]


class ExpertPoolAdmitted(Event):
    """A worker was admitted to the city expert pool (专家库): a promotion."""

    aggregate_type = "ladder"
    type: Literal["ExpertPoolAdmitted"] = "ExpertPoolAdmitted"
    worker_id: str
    admitted_on: date
    rules: list[RuleOutcome]


LADDER_EVENTS: tuple[type[Event], ...] = (LadderEligibilityChanged, ExpertPoolAdmitted)
