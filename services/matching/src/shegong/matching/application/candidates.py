"""Finding the candidates for an order in the candidate table (``provider_state``).

``best_candidates`` is what an offer needs: it walks the region tiers outwards — the
order's community, the rest of its street, the rest of its district — and, in each tier,
providers best-first on the order-independent part of their score (an index), stopping
as soon as nobody left could beat the candidates already found. With 100,000 providers it
looks at a few dozen rows, not a district's thousands. ``load_candidates`` reads a whole
district, for explaining a ranking to staff; ``load_candidate`` one provider, for a hand
assignment.

One person, one candidate (``persons.py``): a record the census linked to others carries
the person's load and records, and the walk keeps only the best-scoring record of each
person. The walk's bound stays sound: ``static_score`` counts a record's own load only,
so it can only overestimate what the record scores with the person's.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.matching import ProviderKind
from shegong.matching.adapters.tables import provider_state
from shegong.matching.application.persons import persons
from shegong.matching.domain.ranking import (
    PROXIMITY,
    TRAINING_HORIZON_DAYS,
    WEIGHTS,
    Candidate,
    Need,
    Ranked,
    ineligibility,
    rank_key,
    region_path,
    score,
    upper_bound,
)
from shegong.matching.domain.taxonomy import relevant_skills, rule_for, skill_code
from shegong.matching.projections.workforce import trained

PAGE = 32
ps = provider_state.c

# The walk's pages, built once: one statement per tier, the order's places, minimum
# certificate and day bound at execution.
_USABLE = (
    ps.available.is_(True)
    & (ps.open_assignments < ps.capacity)
    & (ps.certificate_rank >= bindparam("min_rank"))
    & or_(ps.left_on.is_(None), ps.left_on > bindparam("today"))
)
_IN_COMMUNITY = ps.community == bindparam("community")
_IN_STREET = (ps.street == bindparam("street")) & or_(
    ps.community.is_(None), ps.community != bindparam("community")
)
_IN_DISTRICT = (ps.district == bindparam("district")) & or_(
    ps.street.is_(None), ps.street != bindparam("street")
)
# A provider can only score its static part and proximity, plus the training part when it
# completed a training that counts for the order's type within the horizon (``_training``).
_COUNTS = exists().where(
    (trained.c.worker_id == ps.provider_id)
    & trained.c.skill.in_(bindparam("skills", expanding=True))
    & (trained.c.last_completed_on <= bindparam("today"))
    & (trained.c.last_completed_on > bindparam("since"))
)
# Once ``limit`` candidates are in, a page asks only for rows that could still reach the
# last one's score (``floor``: with the training part; ``plain``: without — above it a row
# needs no training to compete). Pages follow each other by key (score, id), not by
# offset, so the floors may rise between pages.
_TIERS = [
    (
        depth,
        select(provider_state)
        .where(
            where
            & _USABLE
            & or_(
                ps.static_score < bindparam("after_score"),
                and_(
                    ps.static_score == bindparam("after_score"),
                    ps.provider_id > bindparam("after_id"),
                ),
            )
            & (ps.static_score >= bindparam("floor"))
            & or_(ps.static_score >= bindparam("plain"), _COUNTS)
        )
        .order_by(ps.static_score.desc(), ps.provider_id)
        .limit(PAGE),
    )
    for depth, where in ((3, _IN_COMMUNITY), (2, _IN_STREET), (1, _IN_DISTRICT))
]
_START = 1e300  # above every static score: a tier's first page
_SLACK = 1e-6  # the floors a little low: SQL's arithmetic never cuts what Python keeps
_TRAINED = select(trained).where(trained.c.worker_id.in_(bindparam("ids", expanding=True)))


async def load_candidates(
    conn: AsyncConnection, district: str, default_capacity: int, today: date
) -> list[Candidate]:
    """Every provider that serves in ``district``."""
    rows = list(await conn.execute(select(provider_state).where(ps.district == district)))
    return await _candidates(conn, rows, today)


async def load_candidate(conn: AsyncConnection, provider_id: str, today: date) -> Candidate | None:
    """One provider as a candidate, wherever it serves (a hand assignment may reach
    beyond the order's district, under the same rules as an offer)."""
    rows = list(await conn.execute(select(provider_state).where(ps.provider_id == provider_id)))
    found = await _candidates(conn, rows, today)
    return found[0] if found else None


async def best_candidates(conn: AsyncConnection, need: Need, limit: int) -> list[Ranked]:
    """The best ``limit`` eligible candidates, best first — the same result as ranking
    every provider of the district (see the tests), found by a bounded walk."""
    region = need.region
    rule = rule_for(need.service_type)
    min_rank = rule.min_certificate.rank if rule.min_certificate else 0
    place = {
        "community": "/".join(region[:3]),
        "street": "/".join(region[:2]),
        "district": region[0],
        "min_rank": min_rank,
        "today": need.today,
        "since": need.today - timedelta(days=TRAINING_HORIZON_DAYS),
        "skills": sorted(relevant_skills(need.service_type)),
    }
    best: list[Ranked] = []
    keys: list[tuple[float, str]] = []  # (-score, id), sorted like ``best``
    held: dict[str, tuple[float, str]] = {}  # person → the key of their record in ``best``
    for depth, page in _TIERS:
        after: tuple[float, str] = (_START, "")
        near = WEIGHTS["proximity"] * PROXIMITY[depth]
        while True:
            plain = floor = -_START
            if len(best) >= limit:
                plain = best[-1].score - near - _SLACK
                floor = plain - WEIGHTS["training"]
            bounds = {"after_score": after[0], "after_id": after[1], "floor": floor}
            rows = list(await conn.execute(page, {**place, **bounds, "plain": plain}))
            exhausted = len(rows) < PAGE
            if rows:
                after = (rows[-1].static_score, rows[-1].provider_id)
            if len(best) >= limit and rows:
                cut = next(
                    (
                        i
                        for i, r in enumerate(rows)
                        if upper_bound(depth, r.static_score) < best[-1].score
                    ),
                    None,
                )
                if cut is not None:
                    rows, exhausted = rows[:cut], True
            for c in await _candidates(conn, rows, need.today):
                if ineligibility(need, c) is not None:
                    continue
                ranked = score(need, c)
                key = rank_key(ranked)
                before = held.get(c.person)
                if before is not None:
                    if before <= key:
                        continue  # a better record of this person is already in
                    at = bisect.bisect_left(keys, before)
                    del keys[at], best[at]
                at = bisect.bisect(keys, key)
                if at < limit:
                    keys.insert(at, key)
                    best.insert(at, ranked)
                    held[c.person] = key
                    for dropped in best[limit:]:
                        held.pop(dropped.candidate.person, None)
                    del keys[limit:], best[limit:]
            if exhausted:
                break
    return best


async def _candidates(conn: AsyncConnection, rows: Sequence[Any], today: date) -> list[Candidate]:
    workers = [r.provider_id for r in rows if r.kind == ProviderKind.SOCIAL_WORKER.value]
    training: dict[str, dict[str, date]] = {}
    if workers:
        for t in await conn.execute(_TRAINED, {"ids": workers}):
            training.setdefault(t.worker_id, {})[t.skill] = t.last_completed_on
    people = await persons(conn, workers)
    out = []
    for r in rows:
        person = people.get(r.provider_id)
        trained_on = training.get(r.provider_id, {})
        skills = frozenset(trained_on) | frozenset(skill_code(s) for s in (r.skills or ()))
        out.append(
            Candidate(
                provider_id=r.provider_id,
                kind=ProviderKind(r.kind or ProviderKind.VOLUNTEER.value),
                name=r.name or r.provider_id,
                region=region_path(r.region),
                capacity=r.capacity,
                open_assignments=person.open_assignments if person else r.open_assignments,
                available=bool(r.available),
                active=r.left_on is None or r.left_on > today,
                certificate_rank=r.certificate_rank or 0,
                supervised=bool(r.supervised),
                skills=skills,
                trained_on=dict(trained_on),
                completed=r.completed,
                satisfaction_sum=r.satisfaction_sum,
                satisfaction_n=r.satisfaction_n,
                organisation=r.organisation,
                records=person.records if person else (),
            )
        )
    return out
