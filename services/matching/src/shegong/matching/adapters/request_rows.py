"""The ``requests`` query table: one row per order, written in the command's transaction
from the aggregate's state, plus the times indicators need (epoch seconds)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.matching import RequestPlaced
from shegong.kernel.events.aggregate import DomainError
from shegong.matching.adapters.tables import requests
from shegong.matching.domain.request import Request
from shegong.matching.projections.workforce import regions


async def check_known_community(conn: AsyncConnection, community: str) -> None:
    """Once the registry has published the region tree, an order must name a community
    in it (a typo would otherwise match nobody nearby and escalate nowhere sensible)."""
    if await conn.scalar(select(regions.c.code).limit(1)) is None:
        return  # no tree loaded yet: accept the path as given
    level = await conn.scalar(select(regions.c.level).where(regions.c.code == community))
    if level != "community":
        raise DomainError(
            f"{community} is not a community in the region tree (GET /regions on the registry)",
            field="community",
        )


async def insert_row(conn: AsyncConnection, event: RequestPlaced, now: datetime) -> None:
    await conn.execute(
        requests.insert().values(
            request_id=event.request_id,
            version=0,
            status="open",
            community=event.community,
            target_group=event.target_group.value,
            service_type=event.service_type.value,
            urgency=event.urgency.value,
            notes=event.notes,
            window_start=event.window_start,
            window_end=event.window_end,
            resident_phone_masked=event.resident_phone_masked,
            resident_address_masked=event.resident_address_masked,
            offered=[],
            declined={},
            placed_ts=now.timestamp(),
            placed_year=now.year,
            accept_by_ts=event.accept_by.timestamp(),
            reopened=0,
        )
    )


async def save_row(conn: AsyncConnection, request: Request, **extra: Any) -> None:
    view = request.view()
    await conn.execute(
        update(requests)
        .where(requests.c.request_id == request.id)
        .values(
            version=request.version,
            status=request.status,
            offered=view["offered"],
            declined=view["declined"],
            provider_id=request.provider_id,
            provider_kind=view["provider_kind"],
            level=view["level"],
            max_level=request.max_level.value if request.max_level else None,
            hours=request.hours,
            follow_up_by=request.follow_up_by,
            satisfaction=request.satisfaction,
            **extra,
        )
    )


def follow_up_overdue(today: date) -> Select[Any]:
    """Completed orders whose follow-up (回访) is past its day."""
    return select(requests).where(
        (requests.c.status == "completed") & (requests.c.follow_up_by < today)
    )
