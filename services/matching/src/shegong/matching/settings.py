"""Matching's own knobs on top of the settings every service reads.

``MATCHING_ACCEPT_SLA_S`` (offers lapse, the order escalates to its community),
``MATCHING_RESPONSE_SLA_S`` (each level's time to respond before the next one),
``MATCHING_SCHEDULER_TICK_S``, ``MATCHING_FOLLOW_UP_DAYS``, ``MATCHING_OFFER_TOP``,
``MATCHING_DEFAULT_CAPACITY``.

The mobile pages (``h5``): ``MATCHING_NOTIFIER`` (``webhook`` with
``MATCHING_NOTIFIER_URL``) sends one-time codes — unset (``none``; ``log`` is the same),
nothing is sent and the log says so, never a code or a link (``h5/notify.py``), and an
order's notification is recorded as not delivered;
``MATCHING_PUBLIC_URL`` prefixes the links printed for communities and sent to workers;
``MATCHING_H5_*`` are the public routes' rate limits and a worker link's lifetime; the
same notifier tells providers of offers and staff of escalations and overdue follow-ups
(``MATCHING_NOTIFY_TICK_S``: how often the outbox is sent).

Residents' contact data: ``MATCHING_CONTACT_RETENTION_DAYS`` after an order closed its
phone and address are deleted from the vault (checked every
``MATCHING_CONTACT_RETENTION_TICK_S``; ``application/resident_privacy.py``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shegong.kernel.ops.settings import ServiceSettings


class MatchingSettings(ServiceSettings):
    matching_accept_sla_s: float = Field(default=2 * 3600, gt=0)
    matching_response_sla_s: float = Field(default=4 * 3600, gt=0)
    matching_scheduler_tick_s: float = Field(default=5.0, gt=0)
    matching_follow_up_days: int = Field(default=7, ge=1)
    matching_offer_top: int = Field(default=3, ge=1, le=50)
    matching_default_capacity: int = Field(default=3, ge=1)
    matching_notifier: Literal["none", "log", "webhook"] = "none"
    matching_notifier_url: str | None = None
    matching_public_url: str | None = Field(
        default=None, description="e.g. https://shegong.example.gov.cn (links: /h5/…)"
    )
    matching_notify_tick_s: float = Field(default=2.0, gt=0)
    matching_h5_worker_link_days: int = Field(default=30, ge=1, le=366)
    matching_h5_requests_per_min: int = Field(default=120, ge=1)
    matching_h5_posts_per_min: int = Field(default=30, ge=1)
    matching_h5_codes_per_phone: int = Field(default=3, ge=1)  # per 10 minutes
    # per day (round 12): 3 per 10 minutes let a public community link send one number
    # 432 codes a day, from 43 addresses
    matching_h5_codes_per_phone_day: int = Field(default=10, ge=1)
    matching_h5_codes_per_ip: int = Field(default=10, ge=1)  # per hour
    matching_contact_retention_days: float = Field(default=180, gt=0, le=3650)
    matching_contact_retention_tick_s: float = Field(default=3600, gt=0)
