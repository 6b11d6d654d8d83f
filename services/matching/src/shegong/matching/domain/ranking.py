"""Who may take an order and who should be asked first (pure; no I/O).

Eligibility is a yes/no with a reason; the score is a weighted sum of parts, each
between 0 and 1, returned with the parts so a clerk can see why someone came first:
proximity along the region tree (same community > same street > same district), load
(free capacity), recent relevant training, past satisfaction and fairness (those who
have served less come first).

One person, one candidate: the census may say several department records are one human
(``Candidate.records``). Such a candidate carries the person's load (open assignments of
all their records), is refused when any of their records was already offered or declined
on the order, and ``rank`` keeps only the best-scoring record of each person.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from shegong.contracts.matching import ProviderKind, ServiceType
from shegong.contracts.training import TargetGroup
from shegong.matching.domain.taxonomy import needs_supervision, relevant_skills, rule_for

WEIGHTS: dict[str, float] = {
    "proximity": 40.0,
    "load": 20.0,
    "training": 15.0,
    "satisfaction": 15.0,
    "fairness": 10.0,
}
PROXIMITY = {3: 1.0, 2: 0.6, 1: 0.3, 0: 0.0}  # shared path depth → part
TRAINING_HORIZON_DAYS = 365


def region_path(code: str | None) -> tuple[str, ...]:
    """``安定区/永定路街道/东关社区`` → its parts (district, street, community)."""
    return tuple(p for p in (code or "").split("/") if p)


def shared_depth(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    depth = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        depth += 1
    return min(depth, 3)


@dataclass(frozen=True)
class Need:
    """What an order asks for."""

    service_type: ServiceType
    target_group: TargetGroup
    region: tuple[str, ...]
    today: date
    exclude: frozenset[str] = frozenset()


@dataclass
class Candidate:
    """A provider as matching sees it at ranking time."""

    provider_id: str
    kind: ProviderKind
    name: str
    region: tuple[str, ...]
    capacity: int
    open_assignments: int = 0
    available: bool = True
    active: bool = True
    certificate_rank: int = 0  # 0 none, 1 助理, 2 社会工作师, 3 高级
    supervised: bool = False
    skills: frozenset[str] = frozenset()
    trained_on: dict[str, date] = field(default_factory=dict)  # skill → last completion
    completed: int = 0
    satisfaction_sum: int = 0
    satisfaction_n: int = 0
    organisation: str | None = None
    # The person's records when the census merged several (this one included, sorted);
    # empty for a provider with one record. ``open_assignments`` is then the person's.
    records: tuple[str, ...] = ()

    @property
    def person(self) -> str:
        """Who this is, across records: the first record of the person."""
        return self.records[0] if self.records else self.provider_id


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: float
    parts: dict[str, float]

    def explain(self) -> dict[str, object]:
        c = self.candidate
        out: dict[str, object] = {
            "provider_id": c.provider_id,
            "kind": c.kind.value,
            "name": c.name,
            "score": round(self.score, 2),
            "parts": {k: round(v, 3) for k, v in self.parts.items()},
            "weights": WEIGHTS,
        }
        if c.records:
            # One person on several rosters: offered once, through this record.
            out["merged_records"] = list(c.records)
        return out


def ineligibility(need: Need, c: Candidate) -> str | None:
    """Why ``c`` may not take the order, or None when it may."""
    if c.provider_id in need.exclude:
        return "already offered, declined or replaced on this order"
    if need.exclude.intersection(c.records):
        return "already offered, declined or replaced on this order (as another record)"
    if not c.active:
        return "not active (left the organisation)"
    if not c.available:
        return "marked unavailable"
    if c.open_assignments >= c.capacity:
        return f"at capacity ({c.open_assignments}/{c.capacity})"
    rule = rule_for(need.service_type)
    if rule.min_certificate is not None and c.certificate_rank < rule.min_certificate.rank:
        return f"needs a certificate of at least {rule.min_certificate.zh}"
    missing = rule.required_skills - c.skills
    if missing:
        return f"lacks skill(s): {', '.join(sorted(missing))}"
    if (
        c.kind in (ProviderKind.VOLUNTEER, ProviderKind.VOLUNTEER_TEAM)
        and not c.supervised
        and needs_supervision(need.service_type, need.target_group)
    ):
        return "an unsupervised volunteer may not serve children or give psychological support"
    return None


def provider_parts(
    open_assignments: int, capacity: int, completed: int, satisfaction_sum: int, n: int
) -> dict[str, float]:
    """The parts of the score that depend on the provider alone, not on the order."""
    return {
        "load": 1.0 - min(open_assignments, capacity) / capacity,
        "satisfaction": (satisfaction_sum / n - 1) / 4 if n else 0.5,
        "fairness": 1.0 / (1.0 + completed),
    }


def static_score(
    open_assignments: int, capacity: int, completed: int, satisfaction_sum: int, n: int
) -> float:
    parts = provider_parts(open_assignments, capacity, completed, satisfaction_sum, n)
    return sum(WEIGHTS[k] * v for k, v in parts.items())


def upper_bound(depth: int, static: float) -> float:
    """The best score a provider at this region depth with this static part can reach."""
    return WEIGHTS["proximity"] * PROXIMITY[depth] + static + WEIGHTS["training"]


def score(need: Need, c: Candidate) -> Ranked:
    parts = {
        "proximity": PROXIMITY[shared_depth(need.region, c.region)],
        "training": _training(need, c),
        **provider_parts(
            c.open_assignments, c.capacity, c.completed, c.satisfaction_sum, c.satisfaction_n
        ),
    }
    total = sum(WEIGHTS[k] * v for k, v in parts.items())
    return Ranked(c, total, parts)


def _training(need: Need, c: Candidate) -> float:
    best = 0.0
    for skill in relevant_skills(need.service_type):
        when = c.trained_on.get(skill)
        if when is None:
            continue
        age = (need.today - when).days
        if 0 <= age < TRAINING_HORIZON_DAYS:
            best = max(best, 1.0 - age / TRAINING_HORIZON_DAYS)
    return best


def rank_key(r: Ranked) -> tuple[float, str]:
    return (-r.score, r.candidate.provider_id)


def rank(need: Need, candidates: Iterable[Candidate], limit: int) -> list[Ranked]:
    """The best ``limit`` eligible candidates, best first (ties: provider id), one per
    person: the best-scoring of a person's records."""
    per_person: dict[str, Ranked] = {}
    for c in candidates:
        if ineligibility(need, c) is not None:
            continue
        r = score(need, c)
        held = per_person.get(c.person)
        if held is None or rank_key(r) < rank_key(held):
            per_person[c.person] = r
    return heapq.nsmallest(limit, per_person.values(), key=rank_key)
