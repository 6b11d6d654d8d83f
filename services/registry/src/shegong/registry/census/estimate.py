"""The census's best estimate while pairs wait for a clerk (最佳估计口径).

A pair in the review queue is one the model could not settle; until a clerk decides it,
the linked partition counts its two records as two persons, and every headline figure
drifts by the queue's share. The best estimate counts a queued pair whose match
probability is at least one half as one person — the likelier reading — under the same
hard constraints as the linker: never two different valid ID numbers, never birth dates
that disagree (the pairwise veto, through any record of either person), never two
different names (the linker joins those only on a valid ID or a clerk's word), never
against a clerk's "not same". A clerk's decision always wins: a decided pair leaves the queue, and
its persons are as the clerk made them. Pure over rows; :func:`estimated_persons` reads
them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.registry.census.comparison import Features, compare_levels, veto
from shegong.registry.census.scoring import NAME_ELSE
from shegong.registry.census.tables import decisions, records, reviews
from shegong.registry.census.writes import census_record

__all__ = ["ESTIMATE_AT", "Estimate", "QueuedPair", "estimate", "estimated_persons"]

# A queued pair at least this likely is counted as one person in the best estimate.
ESTIMATE_AT = 0.5
# Persons larger than this are not checked record by record for a disagreeing birth date
# (a person that large is held together by valid ID numbers, which are checked).
_VETO_PAIRS_MAX = 400


@dataclass(frozen=True, slots=True)
class QueuedPair:
    a: str
    b: str
    score: float
    reason: str


@dataclass(frozen=True)
class Estimate:
    """Linked person id → estimated person id (the smallest linked id of its group), and
    what the estimate did."""

    person_of: dict[str, str]
    queued_pairs: int
    counted_as_one: int

    def as_dict(self, persons_linked: int) -> dict[str, Any]:
        return {
            "queued_pairs": self.queued_pairs,
            "counted_as_one": self.counted_as_one,
            "persons_linked": persons_linked,
            "persons_estimated": persons_linked - self.counted_as_one,
        }


def _find(parent: dict[str, str], x: str) -> str:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def estimate(
    queue: Sequence[QueuedPair],
    person_of: Mapping[str, str],
    features: Mapping[str, Features],
    not_same: Iterable[tuple[str, str]],
) -> Estimate:
    """Join the persons of queued pairs from ``ESTIMATE_AT``, strongest first (ties by
    key), unless the join would break a hard constraint or a clerk's "not same".
    ``person_of`` maps every record key of the census to its linked person;
    ``features`` holds at least the records of the persons the queue touches."""
    members: dict[str, list[str]] = {}
    for key, pid in person_of.items():
        if key in features:
            members.setdefault(pid, []).append(key)
    parent = {pid: pid for pid in members}
    apart: set[tuple[str, str]] = set()
    for a, b in not_same:
        if a in person_of and b in person_of:
            apart.add((person_of[a], person_of[b]))
            apart.add((person_of[b], person_of[a]))

    def blocked(ra: str, rb: str) -> bool:
        xs, ys = members[ra], members[rb]
        if any((person_of[x], person_of[y]) in apart for x in xs for y in ys):
            return True
        ids = {features[k].id_hash for k in (*xs, *ys)} - {None}
        if len(ids) > 1:
            return True
        if len(xs) * len(ys) > _VETO_PAIRS_MAX:
            return False
        return any(
            veto(features[x], features[y], compare_levels(features[x], features[y])) is not None
            for x in xs
            for y in ys
        )

    joined = 0
    considered = 0
    for pair in sorted(queue, key=lambda p: (-p.score, p.a, p.b)):
        if pair.a not in person_of or pair.b not in person_of:
            continue
        considered += 1
        if pair.score < ESTIMATE_AT or pair.reason.startswith("conflict"):
            continue
        if compare_levels(features[pair.a], features[pair.b])[1] == NAME_ELSE:
            continue  # as the linker: two names are one person by a valid ID or a clerk
        ra, rb = _find(parent, person_of[pair.a]), _find(parent, person_of[pair.b])
        if ra == rb or blocked(ra, rb):
            continue
        keep, drop = (ra, rb) if ra < rb else (rb, ra)
        parent[drop] = keep
        members[keep].extend(members.pop(drop))
        joined += 1
    estimated = {pid: _find(parent, pid) for pid in parent}
    return Estimate(estimated, considered, joined)


async def estimated_persons(conn: AsyncConnection) -> Estimate:
    """The best estimate of the census as it stands (reads the queue, the persons the
    queue touches and clerks' "not same" decisions)."""
    queue = [
        QueuedPair(r.a, r.b, float(r.score), r.reason)
        for r in await conn.execute(
            select(reviews.c.a, reviews.c.b, reviews.c.score, reviews.c.reason)
        )
    ]
    if not queue:
        return Estimate({}, 0, 0)
    keys = {k for p in queue for k in (p.a, p.b)}
    pids = {
        r.person_id
        for r in await conn.execute(select(records.c.person_id).where(records.c.key.in_(keys)))
    }
    rows = list(await conn.execute(select(records).where(records.c.person_id.in_(pids))))
    person_of = {r.key: r.person_id for r in rows}
    features = {r.key: Features(census_record(r._mapping)) for r in rows}
    not_same = [
        (d.a, d.b)
        for d in await conn.execute(
            select(decisions.c.a, decisions.c.b).where(
                decisions.c.same.is_(False) & (decisions.c.status == "applied")
            )
        )
    ]
    return estimate(queue, person_of, features, not_same)
