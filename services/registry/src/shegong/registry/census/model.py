"""The census's match model (Fellegi–Sunter), learned from the city's own records.

For each comparison level (:mod:`.comparison`) the model holds ``m`` — how often one
person's two records land on that level — and ``u`` — how often two different people's
do. A pair's match weight is the sum of ``log2(m / u)`` over its levels plus the prior
``log2(λ / (1 - λ))``, λ being the chance that two records drawn at random are one person;
its match probability is ``1 / (1 + 2^-weight)``. An exact name is weighed by the name's
own frequency (term-frequency adjustment): two 王伟 say much less than two 阿依古丽·买买提.

Training is unsupervised, as Splink does it (:func:`train`):

* ``u`` from pairs of records drawn at random (nearly all of them two different people);
* ``m`` by expectation–maximisation on the pairs that blocking brings together, one
  session per blocking rule, each estimating the comparisons its rule does not fix,
  then averaged and smoothed toward the defaults (so a small census stays sensible);
* λ from the pairs that share a valid ID number, scaled by how many records carry one,
  or from the pairs the census already holds as one person, whichever is more.

A model is a value: its parameters, the number of records it was trained on (the
denominator of name frequencies) and a version. The census publishes each model it adopts
as an event, and every link explains itself with the weight each comparison added.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shegong.registry.census.comparison import (
    COMPARISONS,
    LEVELS,
    NAME_EXACT,
    Features,
    compare_levels,
)

__all__ = ["DEFAULT_MODEL", "LINK_AT", "REVIEW_AT", "MatchModel", "train"]

# A pair at or above LINK_AT is linked (its probability weighed against any other persons
# its records match as well: ``partition``); between REVIEW_AT and LINK_AT a clerk decides.
LINK_AT = 0.9
REVIEW_AT = 0.50

# Floors under a name's frequency: a name seen once is still a name others may have, and
# China's most frequent names are frequent in any city, however few records it has yet.
TF_FLOOR = 2e-5
COMMON_TF_FLOOR = 5e-4

_Params = dict[str, tuple[float, ...]]

# Domain priors (what a registrar expects before seeing any data; index 0 unused).
_M0: _Params = {
    "id": (0.0, 0.92, 0.05, 0.03),
    "name": (0.0, 0.92, 0.02, 0.03, 0.03),
    "birth_date": (0.0, 0.94, 0.01, 0.01, 0.04),
    "sex": (0.0, 0.97, 0.03),
    "phone": (0.0, 0.75, 0.2, 0.05),
    "organization": (0.0, 0.55, 0.2, 0.25),
    "region": (0.0, 0.45, 0.15, 0.2, 0.2),
}
_U0: _Params = {
    "id": (0.0, 1e-7, 1e-6, 1.0 - 1.1e-6),
    "name": (0.0, 1e-3, 2e-4, 2e-3, 1.0 - 3.2e-3),
    "birth_date": (0.0, 7e-5, 2e-5, 2e-4, 1.0 - 2.9e-4),
    "sex": (0.0, 0.5, 0.5),
    "phone": (0.0, 1e-6, 0.9, 0.1 - 1e-6),
    "organization": (0.0, 0.02, 0.02, 0.96),
    "region": (0.0, 0.02, 0.05, 0.2, 0.73),
}
# The smallest u an agreement level may have (a sample of random pairs that never agreed
# says "rare", not "impossible").
_U_FLOOR: _Params = {
    "id": (0.0, 1e-9, 1e-8, 0.5),
    "name": (0.0, 1e-6, 1e-6, 1e-5, 0.5),
    "birth_date": (0.0, 1e-6, 1e-7, 1e-5, 0.5),
    "sex": (0.0, 0.05, 0.05),
    "phone": (0.0, 1e-8, 0.5, 1e-3),
    "organization": (0.0, 1e-4, 1e-4, 0.5),
    "region": (0.0, 1e-4, 1e-4, 1e-3, 0.01),
}


@dataclass(frozen=True)
class MatchModel:
    """Fellegi–Sunter parameters; ``records`` is the census size they were learned on."""

    version: int
    prior: float
    records: int
    m: _Params
    u: _Params
    trained_pairs: int = 0
    records_per_person: float = 2.0
    weights: dict[str, tuple[float, ...]] = field(init=False, repr=False, compare=False)
    prior_weight: float = field(init=False, repr=False, compare=False)
    _explained: dict[tuple[tuple[int, ...], float], dict[str, Any]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        weights = {
            c: tuple(
                0.0 if level == 0 else math.log2(self.m[c][level] / self.u[c][level])
                for level in range(len(LEVELS[c]))
            )
            for c in COMPARISONS
        }
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "_explained", {})
        object.__setattr__(self, "prior_weight", math.log2(self.prior / (1.0 - self.prior)))

    # ---------------------------------------------------------------- scoring

    def name_weight(self, name_count: float, common: bool) -> float:
        """Weight of an exact name seen ``name_count`` times in the census. Its u is the
        chance that *another person's* record carries the name: the records of the person
        at hand (``records_per_person`` on average) are not other people's. A name no other
        person is seen to carry still has its base rate in the population (the floors, a
        frequency: the same name weighs the same in a census of any size)."""
        others = max(name_count - self.records_per_person, 0.0)
        tf = max(others / self.records, COMMON_TF_FLOOR if common else TF_FLOOR)
        return math.log2(self.m["name"][NAME_EXACT] / min(tf, 0.5))

    def weight(self, levels: Sequence[int], name_weight: float) -> float:
        total = self.prior_weight
        for c, level in zip(COMPARISONS, levels, strict=True):
            if level:
                total += (
                    name_weight if c == "name" and level == NAME_EXACT else (self.weights[c][level])
                )
        return total

    def explain(self, levels: tuple[int, ...], name_weight: float) -> dict[str, Any]:
        """The waterfall: each comparison's level and the weight it added (no personal
        data), the prior, the total match weight and probability, and the model. Pairs on
        the same levels share one (read-only) explanation."""
        found = self._explained.get((levels, name_weight))
        if found is None:
            if len(self._explained) > 100_000:
                self._explained.clear()
            found = self._explained[(levels, name_weight)] = self._explain(levels, name_weight)
        return found

    def _explain(self, levels: tuple[int, ...], name_weight: float) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        total = self.prior_weight
        for c, level in zip(COMPARISONS, levels, strict=True):
            w = 0.0
            if level:
                w = name_weight if c == "name" and level == NAME_EXACT else self.weights[c][level]
            total += w
            fields[c] = {"level": LEVELS[c][level], "weight": round(w, 2)}
        return {
            **fields,
            "prior": round(self.prior_weight, 2),
            "match_weight": round(total, 2),
            "probability": round(probability(total), 6),
            "model": self.version,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "prior": self.prior,
            "records": self.records,
            "trained_pairs": self.trained_pairs,
            "records_per_person": self.records_per_person,
            "m": {c: list(v[1:]) for c, v in self.m.items()},
            "u": {c: list(v[1:]) for c, v in self.u.items()},
            "levels": {c: list(LEVELS[c][1:]) for c in COMPARISONS},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatchModel:
        return cls(
            version=int(data["version"]),
            prior=float(data["prior"]),
            records=int(data["records"]),
            trained_pairs=int(data.get("trained_pairs", 0)),
            records_per_person=float(data.get("records_per_person", 2.0)),
            m={c: _levels(data["m"].get(c), _M0[c]) for c in COMPARISONS},
            u={c: _levels(data["u"].get(c), _U0[c]) for c in COMPARISONS},
        )


def _levels(stored: Sequence[float] | None, default: tuple[float, ...]) -> tuple[float, ...]:
    """A stored comparison's parameters; the defaults where a model was published before
    the comparison had its present levels."""
    if stored is None or len(stored) != len(default) - 1:
        return default
    return (0.0, *map(float, stored))


def probability(weight: float) -> float:
    if weight > 60:
        return 1.0
    if weight < -60:
        return 0.0
    return 1.0 / (1.0 + 2.0 ** (-weight))


# Before a census has enough records to learn from: the priors, for a city of 10,000
# records in which one record in two has another record of the same person.
DEFAULT_MODEL = MatchModel(version=0, prior=1e-4, records=10_000, m=_M0, u=_U0)


# ---------------------------------------------------------------- training

_RANDOM_PAIRS = 40_000
_PAIRS_PER_SESSION = 300_000
_EM_ROUNDS = 25
_SMOOTHING = 20.0  # pseudo-pairs of the prior m in each estimate


def _normalised(counts: Sequence[float]) -> tuple[float, ...]:
    total = sum(counts[1:])
    if total <= 0:
        return tuple(0.0 for _ in counts)
    return (0.0, *(c / total for c in counts[1:]))


def _agreement_by_value(values: Iterable[object], n: int) -> float | None:
    """P(two random records agree on a field), from the value counts: Σ (count/n)²."""
    counts = Counter(v for v in values if v is not None)
    seen = sum(counts.values())
    if seen < 2:
        return None
    return sum(c * (c - 1) for c in counts.values()) / (seen * (seen - 1))


def estimate_u(features: Sequence[Features], seed: int) -> tuple[_Params, int]:
    """u from random pairs: the level frequencies of pairs that are almost all two people.
    Exact agreement on a field is counted over all pairs at once from its value counts;
    the other levels from a sample of random pairs."""
    n = len(features)
    total_pairs = n * (n - 1) // 2
    rng = random.Random(seed)
    counts = {c: [0.0] * len(LEVELS[c]) for c in COMPARISONS}
    sample = min(_RANDOM_PAIRS, total_pairs)
    if total_pairs <= _RANDOM_PAIRS:
        pairs: Iterable[tuple[int, int]] = ((i, j) for i in range(n) for j in range(i + 1, n))
    else:
        pairs = ((rng.randrange(n), rng.randrange(n)) for _ in range(sample))
    for i, j in pairs:
        if i == j:
            continue
        for c, level in zip(COMPARISONS, compare_levels(features[i], features[j]), strict=True):
            counts[c][level] += 1
    exact = {
        "name": _agreement_by_value((f.name or None for f in features), n),
        "sex": _agreement_by_value((f.sex for f in features), n),
        "phone": _agreement_by_value((f.phone for f in features), n),
        "organization": _agreement_by_value((f.org for f in features), n),
        "birth_date": _agreement_by_value((f.birth for f in features), n),
    }
    u: _Params = {}
    for c in COMPARISONS:
        seen = sum(counts[c][1:])
        values = list(_U0[c])
        if seen >= 100:
            values = [0.0] + [counts[c][lv] / seen for lv in range(1, len(LEVELS[c]))]
        agree = exact.get(c)
        if agree is not None:
            values[1] = agree
        floored = [0.0] + [max(v, f) for v, f in zip(values[1:], _U_FLOOR[c][1:], strict=True)]
        u[c] = _normalised(floored)
    return u, sample


def _em(
    patterns: Counter[tuple[int, ...]], u: _Params, fixed: frozenset[str]
) -> tuple[dict[str, list[float]], float]:
    """EM for m with u fixed, on the pairs of one blocking rule; returns, per comparison
    not fixed by the rule, the expected matched-pair counts per level (before
    normalising) and λ for these pairs."""
    free = [(k, c) for k, c in enumerate(COMPARISONS) if c not in fixed]
    m = {c: list(_M0[c]) for _, c in free}
    lam = 0.5
    items = list(patterns.items())
    expected: dict[str, list[float]] = {}
    for _ in range(_EM_ROUNDS):
        expected = {c: [0.0] * len(LEVELS[c]) for _, c in free}
        matched = 0.0
        total = 0.0
        for levels, count in items:
            ratio = 1.0
            for k, c in free:
                level = levels[k]
                if level:
                    ratio *= m[c][level] / u[c][level]
            odds = lam / (1.0 - lam) * ratio
            p = odds / (1.0 + odds) if odds < 1e300 else 1.0
            weight = p * count
            matched += weight
            total += count
            for k, c in free:
                expected[c][levels[k]] += weight
        lam = min(max(matched / total, 1e-6), 1 - 1e-6) if total else 0.5
        for _, c in free:
            estimate = _normalised(expected[c])
            if sum(estimate) > 0:
                m[c] = [0.0] + [max(v, 1e-6) for v in estimate[1:]]
    return expected, lam


# The blocking rules training sessions use, and the comparisons each one fixes.
SESSIONS: dict[str, frozenset[str]] = {
    "i": frozenset({"id"}),
    "p": frozenset({"phone"}),
    "nb": frozenset({"name", "birth_date"}),
}


def train(
    features: Sequence[Features],
    blocks: Mapping[tuple[Any, ...], str | set[str]],
    index: dict[str, int],
    *,
    version: int,
    linked_pairs: int = 0,
    persons: int = 0,
) -> MatchModel:
    """Learn a model from the census's records (``features`` in key order) and its blocks
    (block key → record keys; ``index`` maps a record key to its position)."""
    n = len(features)
    u, sampled = estimate_u(features, seed=n)
    expected: dict[str, list[float]] = {c: [0.0] * len(LEVELS[c]) for c in COMPARISONS}
    same_id_pairs = 0
    trained = 0
    for rule, fixed in SESSIONS.items():
        patterns: Counter[tuple[int, ...]] = Counter()
        pairs = 0
        for block, keys in blocks.items():
            if block[0] != rule or isinstance(keys, str):  # one record: no pair
                continue
            if rule == "i":
                same_id_pairs += len(keys) * (len(keys) - 1) // 2
            if len(keys) > 40 or pairs >= _PAIRS_PER_SESSION:
                continue
            members = sorted(index[k] for k in keys)
            for a in range(len(members)):
                fa = features[members[a]]
                for b in range(a + 1, len(members)):
                    patterns[compare_levels(fa, features[members[b]])] += 1
                    pairs += 1
        trained += pairs
        if not patterns:
            continue
        session, _ = _em(patterns, u, fixed)
        for c, counts in session.items():
            for level, value in enumerate(counts):
                expected[c][level] += value
    m: _Params = {}
    for c in COMPARISONS:
        counts = expected[c]
        mass = sum(counts[1:])
        m[c] = (
            _normalised(
                [0.0]
                + [counts[level] + _SMOOTHING * _M0[c][level] for level in range(1, len(LEVELS[c]))]
            )
            if mass > 0
            else _M0[c]
        )
    total_pairs = max(n * (n - 1) // 2, 1)
    with_id = sum(1 for f in features if f.id_hash) / max(n, 1)
    # Pairs of one person: those sharing a valid ID number, scaled by how many records carry
    # one (as Splink's recall-adjusted deterministic rules); or, if more, the pairs the
    # census already holds in one person. Without either: one record in two has a partner.
    matches = same_id_pairs / with_id**2 if same_id_pairs and with_id >= 0.05 else n / 2
    matches = max(matches, linked_pairs)
    prior = min(max(matches / total_pairs, 1e-9), 0.5)
    return MatchModel(
        version=version,
        prior=prior,
        records=max(n, 1),
        m=m,
        u=u,
        trained_pairs=trained + sampled,
        records_per_person=n / persons if persons else 2.0,
    )
