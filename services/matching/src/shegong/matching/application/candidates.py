"""Loading the candidates for an order from the read models (one district at a time)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.matching import ProviderKind
from shegong.matching.adapters.tables import provider_state, providers
from shegong.matching.domain.ranking import Candidate, region_path
from shegong.matching.domain.taxonomy import skill_code
from shegong.matching.projections.workforce import trained, workers


def _within(column: Any, district: str) -> Any:
    return or_(column == district, column.like(f"{district}/%"))


async def load_candidates(
    conn: AsyncConnection, district: str, default_capacity: int, today: date
) -> list[Candidate]:
    """Every provider that serves in ``district`` (social workers and registered ones)."""
    states = {
        r.provider_id: r
        for r in await conn.execute(
            select(provider_state).where(
                provider_state.c.provider_id.in_(
                    select(workers.c.worker_id).where(_within(workers.c.region, district))
                )
                | provider_state.c.provider_id.in_(
                    select(providers.c.provider_id).where(_within(providers.c.region, district))
                )
            )
        )
    }
    training: dict[str, dict[str, date]] = {}
    for r in await conn.execute(
        select(trained).where(
            trained.c.worker_id.in_(
                select(workers.c.worker_id).where(_within(workers.c.region, district))
            )
        )
    ):
        training.setdefault(r.worker_id, {})[r.skill] = r.last_completed_on

    found: list[Candidate] = []
    for w in await conn.execute(select(workers).where(_within(workers.c.region, district))):
        trained_on = training.get(w.worker_id, {})
        c = Candidate(
            provider_id=w.worker_id,
            kind=ProviderKind.SOCIAL_WORKER,
            name=w.name,
            region=region_path(w.region),
            capacity=default_capacity,
            active=w.left_on is None or w.left_on > today,
            certificate_rank=w.certificate_rank,
            skills=frozenset(trained_on),
            trained_on=dict(trained_on),
            organisation=w.organization,
        )
        found.append(_with_state(c, states.get(w.worker_id)))
    for p in await conn.execute(select(providers).where(_within(providers.c.region, district))):
        skills = frozenset(skill_code(s) for s in p.skills)
        c = Candidate(
            provider_id=p.provider_id,
            kind=ProviderKind(p.kind),
            name=p.name,
            region=region_path(p.region),
            capacity=default_capacity,
            supervised=bool(p.supervised),
            skills=skills,
            organisation=p.organisation,
        )
        found.append(_with_state(c, states.get(p.provider_id)))
    return found


def _with_state(c: Candidate, state: Any) -> Candidate:
    if state is None:
        return c
    c.capacity = state.capacity
    c.open_assignments = state.open_assignments
    c.available = bool(state.available)
    c.completed = state.completed
    c.satisfaction_sum, c.satisfaction_n = state.satisfaction_sum, state.satisfaction_n
    if state.skills is not None:
        c.skills = c.skills | frozenset(skill_code(s) for s in state.skills)
    if state.supervised is not None:
        c.supervised = bool(state.supervised)
    return c
