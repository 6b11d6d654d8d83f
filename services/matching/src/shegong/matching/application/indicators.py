"""Service indicators (服务指标), computed from matching's own tables for a year and,
optionally, a region of the tree (a request counts where its community lies)."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.contracts.matching import ProviderKind, ResponseLevel, ServiceType
from shegong.contracts.training import TargetGroup
from shegong.kernel.db import reading
from shegong.matching.adapters.tables import check_ins, hours_ledger, programmes, requests
from shegong.matching.domain.request import level_rank

VOLUNTEERS = (ProviderKind.VOLUNTEER.value, ProviderKind.VOLUNTEER_TEAM.value)


def _in_region(column: Any, region: str | None) -> Any:
    if not region:
        return true()
    return or_(column == region, column.like(f"{region}/%"))


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0–100)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


async def service_indicators(engine: AsyncEngine, year: int, region: str | None) -> dict[str, Any]:
    async with reading(engine) as conn:
        rows = list(
            await conn.execute(
                select(requests).where(
                    (requests.c.placed_year == year) & _in_region(requests.c.community, region)
                )
            )
        )
        hours_rows = list(
            await conn.execute(
                select(hours_ledger.c.provider_kind, func.sum(hours_ledger.c.hours))
                .where((hours_ledger.c.year == year) & _in_region(hours_ledger.c.community, region))
                .group_by(hours_ledger.c.provider_kind)
            )
        )
        attendance = (
            await conn.execute(
                select(
                    func.count(check_ins.c.id),
                    func.count(func.distinct(check_ins.c.occurrence)),
                    func.count(func.distinct(check_ins.c.programme_id)),
                )
                .select_from(
                    check_ins.join(
                        programmes, programmes.c.programme_id == check_ins.c.programme_id
                    )
                )
                .where(
                    _in_region(programmes.c.community, region)
                    & (check_ins.c.occurrence >= date(year, 1, 1))
                    & (check_ins.c.occurrence < date(year + 1, 1, 1))
                )
            )
        ).one()

    placed = len(rows)
    waits = [r.first_accepted_ts - r.placed_ts for r in rows if r.first_accepted_ts is not None]
    accepted = len(waits)
    finished = [r for r in rows if r.followed_up_on is not None or r.status == "completed"]
    followed = [r for r in rows if r.followed_up_on is not None]
    completed = [r for r in rows if r.status in ("completed", "followed_up")]
    ratings = [r.satisfaction for r in rows if r.satisfaction is not None]
    by_kind = {kind: round(float(total or 0), 2) for kind, total in hours_rows}
    groups = Counter(r.target_group for r in rows)
    types = Counter(r.service_type for r in rows)
    return {
        "year": year,
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
        "follow_up_coverage": _ratio(len(followed), len(finished)),
        "mean_satisfaction": round(statistics.fmean(ratings), 2) if ratings else None,
        "hours": {
            "total": round(sum(by_kind.values()), 2),
            "volunteer": round(sum(v for k, v in by_kind.items() if k in VOLUNTEERS), 2),
            "by_provider_kind": by_kind,
        },
        "programme_attendance": {
            "check_ins": int(attendance[0]),
            "occurrences": int(attendance[1]),
            "programmes": int(attendance[2]),
        },
    }
