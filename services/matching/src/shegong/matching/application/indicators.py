"""Service indicators (服务指标), computed from matching's own tables for a year and,
optionally, a region of the tree (a request counts where its community lies).

``as_of`` (a day of the year, UTC) counts the year so far: orders placed, accepted, finished
and followed up by the end of that day, hours finished by then, ratings given and check-ins
on or before it. The escalation level reached is the order's latest (its rows keep no date
for it). The answer says at which position of matching's event store (its rows are written
with the events, in the same transaction) it was computed."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, inspect, select, true
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.contracts.matching import ProviderKind, ResponseLevel, ServiceType
from shegong.contracts.training import TargetGroup
from shegong.kernel.events.schema import events_table
from shegong.kernel.ops.db import reading
from shegong.matching.adapters.tables import check_ins, hours_ledger, programmes, requests, within
from shegong.matching.domain.request import level_rank

VOLUNTEERS = (ProviderKind.VOLUNTEER.value, ProviderKind.VOLUNTEER_TEAM.value)
# A delivery's ledger entries: one, or one per team member credited (written together):
# a delivery and its rating count once.
ONE_PER_DELIVERY = select(func.min(hours_ledger.c.entry)).group_by(
    hours_ledger.c.request_id, hours_ledger.c.programme_id, hours_ledger.c.recorded_at
)


def _in_region(column: Any, region: str | None) -> Any:
    if not region:
        return true()
    return within(column, region)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0–100)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


async def service_indicators(
    engine: AsyncEngine, year: int, region: str | None, as_of: date | None = None
) -> dict[str, Any]:
    day = as_of or date(year, 12, 31)
    end = datetime.combine(day + timedelta(days=1), time(), UTC)  # the end of the day, UTC
    cut = end.timestamp()
    async with reading(engine) as conn:
        head: Any = 0  # a database no service has run on yet (the CLI's) has no event store
        if await conn.run_sync(lambda c: inspect(c).has_table(events_table.name)):
            head = await conn.scalar(select(func.coalesce(func.max(events_table.c.position), 0)))
        rows = [
            _as_of(r._mapping, cut, day)
            for r in await conn.execute(
                select(requests).where(
                    (requests.c.placed_year == year)
                    & (requests.c.placed_ts < cut)
                    & _in_region(requests.c.community, region)
                )
            )
        ]
        hours_rows = list(
            await conn.execute(
                select(hours_ledger.c.provider_kind, func.sum(hours_ledger.c.hours))
                .where(
                    (hours_ledger.c.year == year)
                    & (hours_ledger.c.finished_at < end)
                    & _in_region(hours_ledger.c.community, region)
                )
                .group_by(hours_ledger.c.provider_kind)
            )
        )
        # Deliveries finished in the year (one ledger entry each, a re-delivery after a
        # reopen included) with their own follow-up; and every rating given in the year.
        deliveries = list(
            await conn.execute(
                select(hours_ledger.c.followed_up_on).where(
                    hours_ledger.c.request_id.is_not(None)
                    & hours_ledger.c.entry.in_(ONE_PER_DELIVERY)
                    & (hours_ledger.c.year == year)
                    & (hours_ledger.c.finished_at < end)
                    & _in_region(hours_ledger.c.community, region)
                )
            )
        )
        ratings = list(
            await conn.scalars(
                select(hours_ledger.c.satisfaction).where(
                    hours_ledger.c.satisfaction.is_not(None)
                    & hours_ledger.c.entry.in_(ONE_PER_DELIVERY)
                    & (hours_ledger.c.followed_up_on >= date(year, 1, 1))
                    & (hours_ledger.c.followed_up_on <= day)
                    & _in_region(hours_ledger.c.community, region)
                )
            )
        )
        held = (
            select(check_ins.c.id, check_ins.c.programme_id, check_ins.c.occurrence)
            .select_from(
                check_ins.join(programmes, programmes.c.programme_id == check_ins.c.programme_id)
            )
            .where(
                _in_region(programmes.c.community, region)
                & (check_ins.c.occurrence >= date(year, 1, 1))
                & (check_ins.c.occurrence <= day)
            )
            .subquery()
        )
        check_in_count, programme_count = (
            await conn.execute(
                select(func.count(held.c.id), func.count(func.distinct(held.c.programme_id)))
            )
        ).one()
        # An occurrence is one programme on one day: two programmes on a Saturday are two.
        occurrence_count = await conn.scalar(
            select(func.count()).select_from(
                select(held.c.programme_id, held.c.occurrence).distinct().subquery()
            )
        )

    placed = len(rows)
    waits = [r.first_accepted_ts - r.placed_ts for r in rows if r.first_accepted_ts is not None]
    accepted = len(waits)
    followed = [d for d in deliveries if d.followed_up_on is not None and d.followed_up_on <= day]
    completed = [r for r in rows if r.status in ("completed", "followed_up")]
    by_kind = {kind: round(float(total or 0), 2) for kind, total in hours_rows}
    groups = Counter(r.target_group for r in rows)
    types = Counter(r.service_type for r in rows)
    return {
        "year": year,
        "as_of_date": day.isoformat(),
        "region": region,
        "requests": placed,
        "by_target_group": {
            g.value: {"label_zh": g.zh, "requests": groups.get(g.value, 0)} for g in TargetGroup
        },
        "by_service_type": {
            t.value: {"label_zh": t.zh, "requests": types.get(t.value, 0)} for t in ServiceType
        },
        "accepted": accepted,
        "acceptance_rate": _ratio(accepted, placed),
        "time_to_accept_s": {
            "median": round(statistics.median(waits), 1) if waits else None,
            "p90": round(p90, 1) if (p90 := percentile(waits, 90)) is not None else None,
        },
        "escalation_rate": {
            level.value: _ratio(
                sum(
                    1
                    for r in rows
                    if level_rank(ResponseLevel(r.max_level) if r.max_level else None)
                    >= level_rank(level)
                ),
                placed,
            )
            for level in ResponseLevel
        },
        "completed": len(completed),
        "completion_rate": _ratio(len(completed), placed),
        "follow_up_coverage": _ratio(len(followed), len(deliveries)),
        "mean_satisfaction": round(statistics.fmean(ratings), 2) if ratings else None,
        "hours": {
            "total": round(sum(by_kind.values()), 2),
            "volunteer": round(sum(v for k, v in by_kind.items() if k in VOLUNTEERS), 2),
            "by_provider_kind": by_kind,
        },
        "programme_attendance": {
            "check_ins": int(check_in_count),
            "occurrences": int(occurrence_count or 0),
            "programmes": int(programme_count),
        },
        "as_of": {"positions": {"matching": int(head or 0)}},
    }


def _as_of(row: Any, cut: float, day: date) -> Any:
    """A request row as it stood at the end of ``day`` (as far as its timestamps tell)."""
    r = SimpleNamespace(**row)
    followed = r.followed_up_on is not None and r.followed_up_on <= day
    if r.first_accepted_ts is not None and r.first_accepted_ts >= cut:
        r.first_accepted_ts = None
    if not followed:
        r.followed_up_on = r.satisfaction = None
    finished = r.finished_ts is not None and r.finished_ts < cut
    if r.status in ("completed", "followed_up") and not finished:
        r.status = "open"
    elif r.status == "followed_up" and not followed:
        r.status = "completed"
    return r
