"""The capacity guard (接单上限): a provider never holds more open assignments than its
capacity. Every change runs inside a command transaction that already holds the event
store's append lock, and the increment is itself conditional — two accepts cannot both
pass. A person the census found on several rosters is one provider: the open assignments
of all their records count against the capacity of the record taking the order (a link
that arrives when the person already holds more only stops further accepts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.matching import ProviderKind
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.store import Transaction
from shegong.matching.adapters.candidates_table import ensure_row, refresh_static
from shegong.matching.adapters.tables import provider_state, providers
from shegong.matching.application.persons import persons
from shegong.matching.domain.provider import Provider
from shegong.matching.projections.workforce import workers


async def ensure_state(conn: AsyncConnection, provider_id: str, default_capacity: int) -> None:
    await ensure_row(conn, provider_id, default_capacity)


async def take_capacity(conn: AsyncConnection, provider_id: str, default_capacity: int) -> None:
    await ensure_state(conn, provider_id, default_capacity)
    person = (await persons(conn, [provider_id])).get(provider_id)
    own = await conn.scalar(
        select(provider_state.c.open_assignments).where(provider_state.c.provider_id == provider_id)
    )
    elsewhere = person.open_assignments - int(own or 0) if person else 0
    moved = await conn.execute(
        update(provider_state)
        .where(
            (provider_state.c.provider_id == provider_id)
            & (provider_state.c.open_assignments + elsewhere < provider_state.c.capacity)
            & provider_state.c.available.is_(True)
        )
        .values(open_assignments=provider_state.c.open_assignments + 1)
    )
    if moved.rowcount != 1:
        others = [r for r in person.records if r != provider_id] if person else []
        also = f" (counting their other records: {', '.join(others)})" if others else ""
        raise DomainError(
            f"provider {provider_id} is at capacity or unavailable{also}",
            field="provider_id",
            code="conflict",
        )
    await refresh_static(conn, provider_id)


async def release_capacity(conn: AsyncConnection, provider_id: str, *, completed: bool) -> None:
    values: dict[str, Any] = {"open_assignments": provider_state.c.open_assignments - 1}
    if completed:
        values["completed"] = provider_state.c.completed + 1
    await conn.execute(
        update(provider_state)
        .where(
            (provider_state.c.provider_id == provider_id) & (provider_state.c.open_assignments > 0)
        )
        .values(**values)
    )
    await refresh_static(conn, provider_id)


async def add_satisfaction(conn: AsyncConnection, provider_id: str, satisfaction: int) -> None:
    await conn.execute(
        update(provider_state)
        .where(provider_state.c.provider_id == provider_id)
        .values(
            satisfaction_sum=provider_state.c.satisfaction_sum + satisfaction,
            satisfaction_n=provider_state.c.satisfaction_n + 1,
        )
    )
    await refresh_static(conn, provider_id)


async def provider_identity(conn: AsyncConnection, provider_id: str) -> dict[str, Any]:
    """Kind, name and organisation of any provider; not_found when nobody has that id."""
    row = (
        await conn.execute(select(providers).where(providers.c.provider_id == provider_id))
    ).first()
    if row is not None:
        kind = ProviderKind(row.kind)
        return {
            "kind": kind,
            "name": row.name,
            "team": row.name if kind == ProviderKind.VOLUNTEER_TEAM else None,
            "organisation": row.organisation,
        }
    w = (await conn.execute(select(workers).where(workers.c.worker_id == provider_id))).first()
    if w is not None:
        return {
            "kind": ProviderKind.SOCIAL_WORKER,
            "name": w.name,
            "team": None,
            "organisation": w.organization,
        }
    raise DomainError(f"no provider {provider_id} (yet)", field="provider_id", code="not_found")


async def provider_department(tx: Transaction, provider_id: str) -> str | None:
    """The department a provider belongs to: the one that registered a volunteer, team
    or organisation here; the one whose roster a social worker is on (the registry's
    fact). None for the city's, and for a worker whose row predates matching_0002."""
    provider = await tx.load(Provider, provider_id)
    if provider is not None and provider.kind is not None:
        return provider.department
    found = await tx.conn.scalar(
        select(workers.c.department).where(workers.c.worker_id == provider_id)
    )
    return str(found) if found is not None else None
