"""How the census learns its match model (:class:`.model.MatchModel`) from its own
records, unsupervised, as Splink does it: ``u`` from random pairs, ``m`` by
expectation–maximisation on the pairs each blocking rule brings together, λ from the
pairs that share a valid ID number."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from shegong.registry.census.comparison import (
    COMPARISONS,
    LEVELS,
    PHONE_LANDLINE,
    PHONE_MASK,
    Features,
    compare_levels,
)
from shegong.registry.census.model import _M0, _U0, _U_FLOOR, MatchModel, _Params

__all__ = ["SESSIONS", "estimate_u", "train"]

_RANDOM_PAIRS = 40_000
_PAIRS_PER_SESSION = 300_000
_EM_ROUNDS = 25
_SMOOTHING = 20.0  # pseudo-pairs of the prior m in each estimate


def _normalised(counts: Sequence[float]) -> tuple[float, ...]:
    total = sum(counts[1:])
    if total <= 0:
        return tuple(0.0 for _ in counts)
    return (0.0, *(c / total for c in counts[1:]))


def _agreement_by_value(values: Iterable[tuple[object, str | None, str | None]]) -> float | None:
    """P(two records of two people agree on a field), from the value counts: Σ (count/n)²
    over the pairs that are not one person's records by what says so alone — the same
    valid ID number, or (``other``, for a phone) the same name beside it. In a census of a
    few thousand people those are most of the pairs that agree on a phone or a birth date
    (one person is on two or three rosters): counted, the u of an exact mobile was the
    chance of drawing one person twice, twenty times two people's sharing a number."""
    rows = [row for row in values if row[0] is not None]
    if len(rows) < 2:
        return None
    counts = Counter(row[0] for row in rows)
    shared = [row for row in rows if counts[row[0]] > 1]  # the values some pair agrees on
    # Inclusion–exclusion: the agreeing pairs that share the ID number or the other are
    # taken out (of all pairs, they are too few to matter).
    agree = (
        _ordered_pairs(counts)
        - _ordered_pairs(Counter((r[0], r[1]) for r in shared if r[1]))
        - _ordered_pairs(Counter((r[0], r[2]) for r in shared if r[2]))
        + _ordered_pairs(Counter((r[0], r[1], r[2]) for r in shared if r[1] and r[2]))
    )
    return agree / (len(rows) * (len(rows) - 1))


def _ordered_pairs(counts: Counter[Any]) -> int:
    """Ordered pairs of two different rows of one value, over every value counted."""
    return sum(c * (c - 1) for c in counts.values())


_ID_SLIP = LEVELS["id"].index("one slip")


def _one_slip_by_value(features: Sequence[Features]) -> float | None:
    """P(the ID numbers of two records of two people agree on three of their four parts),
    from the parts' value counts: the pairs sharing each three (region, birth date, order,
    check character), less the pairs sharing all four, over the records that show every
    part; the pairs under one name are left out, as most of them are one person's number
    and its slip. In a county most numbers share the region: two people's agree on the
    order and check digits one pair in a few thousand, and the slip level weighed as if
    never (a random sample of 40,000 pairs sees none: the floor of u) — more than the
    same number, enough to put strangers' records in the review queue."""
    rows = [
        (f.parts, f.name) for f in features if f.parts and len(f.parts) == 4 and "" not in f.parts
    ]
    if len(rows) < 2:
        return None
    agree = 0
    for k in range(5):  # leave part k out; k == 4: all four parts (counted 4 times over)
        key = [(tuple(p for i, p in enumerate(parts) if i != k), name) for parts, name in rows]
        sign = 1 if k < 4 else -4
        agree += sign * (
            _ordered_pairs(Counter(part for part, _ in key)) - _ordered_pairs(Counter(key))
        )
    return max(agree, 0) / (len(rows) * (len(rows) - 1))


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
        "name": _agreement_by_value((f.name or None, f.id_hash, None) for f in features),
        "sex": _agreement_by_value((f.sex, f.id_hash, None) for f in features),
        "phone": _agreement_by_value(
            (f.phone, f.id_hash, f.name) for f in features if f.phone_kind != "landline"
        ),
        "organization": _agreement_by_value((f.org, f.id_hash, None) for f in features),
        "birth_date": _agreement_by_value((f.birth, f.id_hash, None) for f in features),
    }
    # The same phone, a mobile or a landline: each kind's agreement among the pairs that
    # both give a phone (the share of pairs of that kind times its agreement).
    phones = [f.phone_kind == "landline" for f in features if f.phone]
    landlines = sum(phones) / len(phones) if phones else 0.0
    landline_agree = _agreement_by_value(
        (f.phone, f.id_hash, None) for f in features if f.phone_kind == "landline"
    )
    slips = _one_slip_by_value(features)
    # Two people's mobiles whose masks show the same seven digits (138****5678): from the
    # masks' value counts, as an exact phone's (a random sample sees none).
    masks = _agreement_by_value((f.record.phone_shown, f.id_hash, f.name) for f in features)
    u: _Params = {}
    for c in COMPARISONS:
        seen = sum(counts[c][1:])
        values = list(_U0[c])
        if seen >= 100:
            values = [0.0] + [counts[c][lv] / seen for lv in range(1, len(LEVELS[c]))]
        agree = exact.get(c)
        if agree is not None:
            values[1] = agree * (1.0 - landlines) ** 2 if c == "phone" else agree
        if c == "phone" and landline_agree is not None:
            values[PHONE_LANDLINE] = landline_agree * landlines**2
        if c == "id" and slips is not None:
            values[_ID_SLIP] = slips
        if c == "phone" and masks is not None:
            values[PHONE_MASK] = masks
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
    blocks: Mapping[str, Mapping[Any, str | tuple[str, ...]]],
    index: dict[str, int],
    *,
    version: int,
    linked_pairs: int = 0,
    persons: int = 0,
) -> MatchModel:
    """Learn a model from the census's records (``features`` in key order) and its blocks
    (kind → block value → record keys; ``index`` maps a record key to its position)."""
    n = len(features)
    u, sampled = estimate_u(features, seed=n)
    expected: dict[str, list[float]] = {c: [0.0] * len(LEVELS[c]) for c in COMPARISONS}
    same_id_pairs = 0
    trained = 0
    for rule, fixed in SESSIONS.items():
        patterns: Counter[tuple[int, ...]] = Counter()
        pairs = 0
        for keys in blocks.get(rule, {}).values():
            if isinstance(keys, str):  # one record: no pair
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
        # The records of the person a record belongs to: size-biased (a record drawn at
        # random more often belongs to a person with many), Σ size² / Σ size over the
        # persons the census holds, = 1 + 2 × linked pairs / records.
        records_per_person=1.0 + 2.0 * linked_pairs / n if persons and n else 2.0,
    )
