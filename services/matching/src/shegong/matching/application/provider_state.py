"""The capacity guard (接单上限): a provider never holds more open assignments than its
capacity. Every change runs inside a command transaction that already holds the event
store's append lock, and the increment is itself conditional — two accepts cannot both
pass. A person the census found on several rosters is one provider: the open assignments
of all their records count against the capacity of the record taking the order (a link
that arrives when the person already holds more only stops further accepts).

The statements are built once (see ``adapters/request_rows.py``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.matching import ProviderKind
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.store import Transaction
from shegong.matching.adapters.candidates_table import (
    SCORE_PARTS_COLUMNS,
    ensure_row,
    refresh_static,
)
from shegong.matching.adapters.tables import provider_state, providers
from shegong.matching.application.persons import persons
from shegong.matching.domain.provider import Provider
from shegong.matching.projections.workforce import workers

_S = provider_state.c
_OWN = _S.provider_id == bindparam("pid")
_OWN_LOAD = select(_S.open_assignments).where(_OWN)
# Conditional: a provider at capacity (counting the person's other records) or
# unavailable is not moved, and the caller sees no row. Each change returns what the
# static score is computed from (the score's own read saved).
_TAKE = (
    update(provider_state)
    .where(
        _OWN & (_S.open_assignments + bindparam("elsewhere") < _S.capacity) & _S.available.is_(True)
    )
    .values(open_assignments=_S.open_assignments + 1)
    .returning(*SCORE_PARTS_COLUMNS)
)
_RELEASE = (
    update(provider_state)
    .where(_OWN & (_S.open_assignments > 0))
    .values(open_assignments=_S.open_assignments - 1)
)
_RELEASE_COMPLETED = _RELEASE.values(completed=_S.completed + 1).returning(*SCORE_PARTS_COLUMNS)
_RELEASE = _RELEASE.returning(*SCORE_PARTS_COLUMNS)
_RATE = (
    update(provider_state)
    .where(_OWN)
    .values(
        satisfaction_sum=_S.satisfaction_sum + bindparam("satisfaction_of"),
        satisfaction_n=_S.satisfaction_n + 1,
    )
    .returning(*SCORE_PARTS_COLUMNS)
)
_PROVIDER = select(providers).where(providers.c.provider_id == bindparam("pid"))
_WORKER = select(workers).where(workers.c.worker_id == bindparam("pid"))
_WORKER_DEPARTMENT = select(workers.c.department).where(workers.c.worker_id == bindparam("pid"))


async def ensure_state(conn: AsyncConnection, provider_id: str, default_capacity: int) -> None:
    await ensure_row(conn, provider_id, default_capacity)


async def take_capacity(conn: AsyncConnection, provider_id: str, default_capacity: int) -> None:
    await ensure_state(conn, provider_id, default_capacity)
    person = (await persons(conn, [provider_id])).get(provider_id)
    elsewhere = 0
    if person:
        own = await conn.scalar(_OWN_LOAD, {"pid": provider_id})
        elsewhere = person.open_assignments - int(own or 0)
    moved = (await conn.execute(_TAKE, {"pid": provider_id, "elsewhere": elsewhere})).first()
    if moved is None:
        others = [r for r in person.records if r != provider_id] if person else []
        also = f" (counting their other records: {', '.join(others)})" if others else ""
        raise DomainError(
            f"provider {provider_id} is at capacity or unavailable{also}",
            field="provider_id",
            code="conflict",
            zh=f"服务提供者 {provider_id} 已满额或暂不可用"
            + (f"（含其另外的记录：{'、'.join(others)}）" if others else ""),
        )
    await refresh_static(conn, provider_id, moved)


async def release_capacity(conn: AsyncConnection, provider_id: str, *, completed: bool) -> None:
    released = await conn.execute(
        _RELEASE_COMPLETED if completed else _RELEASE, {"pid": provider_id}
    )
    # No row: nothing was open (or no such provider) — the score is read as before.
    await refresh_static(conn, provider_id, released.first())


async def add_satisfaction(conn: AsyncConnection, provider_id: str, satisfaction: int) -> None:
    rated = await conn.execute(_RATE, {"pid": provider_id, "satisfaction_of": satisfaction})
    await refresh_static(conn, provider_id, rated.first())


async def provider_identity(conn: AsyncConnection, provider_id: str) -> dict[str, Any]:
    """Kind, name and organisation of any provider; not_found when nobody has that id."""
    row = (await conn.execute(_PROVIDER, {"pid": provider_id})).first()
    if row is not None:
        kind = ProviderKind(row.kind)
        return {
            "kind": kind,
            "name": row.name,
            "team": row.name if kind == ProviderKind.VOLUNTEER_TEAM else None,
            "organisation": row.organisation,
        }
    w = (await conn.execute(_WORKER, {"pid": provider_id})).first()
    if w is not None:
        return {
            "kind": ProviderKind.SOCIAL_WORKER,
            "name": w.name,
            "team": None,
            "organisation": w.organization,
        }
    raise DomainError(
        f"no provider {provider_id} (yet)",
        field="provider_id",
        code="not_found",
        zh=f"没有服务提供者 {provider_id}（或尚未同步）",
    )


async def provider_department(tx: Transaction, provider_id: str) -> str | None:
    """The department a provider belongs to: the one that registered a volunteer, team
    or organisation here; the one whose roster a social worker is on (the registry's
    fact). None for the city's, and for a worker whose row predates matching_0002."""
    provider = await tx.load(Provider, provider_id)
    if provider is not None and provider.kind is not None:
        return provider.department
    found = await tx.conn.scalar(_WORKER_DEPARTMENT, {"pid": provider_id})
    return str(found) if found is not None else None
