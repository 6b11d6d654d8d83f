"""Matching's own knobs on top of the settings every service reads.

``MATCHING_ACCEPT_SLA_S`` (offers lapse, the order escalates to its community),
``MATCHING_RESPONSE_SLA_S`` (each level's time to respond before the next one),
``MATCHING_SCHEDULER_TICK_S``, ``MATCHING_FOLLOW_UP_DAYS``, ``MATCHING_OFFER_TOP``,
``MATCHING_DEFAULT_CAPACITY``.
"""

from __future__ import annotations

from pydantic import Field

from shegong.kernel.settings import ServiceSettings


class MatchingSettings(ServiceSettings):
    matching_accept_sla_s: float = Field(default=2 * 3600, gt=0)
    matching_response_sla_s: float = Field(default=4 * 3600, gt=0)
    matching_scheduler_tick_s: float = Field(default=5.0, gt=0)
    matching_follow_up_days: int = Field(default=7, ge=1)
    matching_offer_top: int = Field(default=3, ge=1, le=50)
    matching_default_capacity: int = Field(default=3, ge=1)
