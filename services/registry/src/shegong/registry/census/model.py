"""The census's match model (Fellegi–Sunter), learned from the city's own records.

For each comparison level (:mod:`.comparison`) the model holds ``m`` — how often one
person's two records land on that level — and ``u`` — how often two different people's
do. A pair's match weight is the sum of ``log2(m / u)`` over its levels plus the prior
``log2(λ / (1 - λ))``, λ being the chance that two records drawn at random are one person;
its match probability is ``1 / (1 + 2^-weight)``. An exact name is weighed by the name's
own frequency (term-frequency adjustment): two 王伟 say much less than two 阿依古丽·买买提;
an exact phone by how many of its records carry it under other names (a unit's office
number written for its staff says less than a person's own mobile).

Training is unsupervised, as Splink does it (:func:`.training.train`):

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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shegong.registry.census.comparison import (
    COMPARISONS,
    LEVELS,
    NAME_EXACT,
    NAME_PINYIN,
    PHONE_EXACT,
    PHONE_KINDS,
    PHONE_LANDLINE,
    PHONE_MASK,
    PHONE_SLIP,
    REGION_APART,
)
from shegong.registry.census.org_compare import ORG_ELSE

__all__ = ["DEFAULT_MODEL", "LINK_AT", "REVIEW_AT", "MatchModel", "probability"]

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
    "birth_date": (0.0, 0.93, 0.01, 0.01, 0.03, 0.02),
    "sex": (0.0, 0.97, 0.03),
    "phone": (0.0, 0.68, 0.19, 0.05, 0.02, 0.02, 0.04),
    "organization": (0.0, 0.55, 0.2, 0.25),
    "region": (0.0, 0.45, 0.15, 0.2, 0.15, 0.05),
    "certificate": (0.0, 0.45, 0.3, 0.1, 0.15),
    "age": (0.0, 0.95, 0.05),  # a year ±1 of a list that may be a year old
}
_U0: _Params = {
    "id": (0.0, 1e-7, 1e-6, 1.0 - 1.1e-6),
    "name": (0.0, 1e-3, 2e-4, 2e-3, 1.0 - 3.2e-3),
    "birth_date": (0.0, 7e-5, 2e-5, 2e-4, 1.0 - 3.1e-4, 2e-5),
    "sex": (0.0, 0.5, 0.5),
    "phone": (0.0, 1e-6, 0.9 - 1.01e-5, 0.1 - 2e-6, 1e-6, 1e-7, 1e-5),
    "organization": (0.0, 0.02, 0.02, 0.96),
    "region": (0.0, 0.02, 0.05, 0.2, 0.43, 0.3),
    # Many pass one exam and are certified the same day; a number is one certificate's.
    "certificate": (0.0, 1e-7, 5e-3, 0.25, 0.745 - 1e-7),
    "age": (0.0, 0.075, 0.925),  # three years of a working life's forty
}
# The smallest u an agreement level may have (a sample of random pairs that never agreed
# says "rare", not "impossible").
_U_FLOOR: _Params = {
    "id": (0.0, 1e-9, 1e-8, 0.5),
    "name": (0.0, 1e-6, 1e-6, 1e-5, 0.5),
    "birth_date": (0.0, 1e-6, 1e-7, 1e-5, 0.5, 1e-6),
    "sex": (0.0, 0.05, 0.05),
    "phone": (0.0, 1e-8, 0.5, 1e-3, 1e-8, 1e-8, 1e-6),
    "organization": (0.0, 1e-4, 1e-4, 0.5),
    "region": (0.0, 1e-4, 1e-4, 1e-3, 0.01, 0.01),
    "certificate": (0.0, 1e-8, 1e-5, 1e-3, 0.5),
    "age": (0.0, 1e-3, 0.05),
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
    _explained: dict[tuple[tuple[int, ...], float, float | None], dict[str, Any]] = field(
        init=False, repr=False, compare=False
    )
    _entries: dict[tuple[str, int, float], dict[str, Any]] = field(
        init=False, repr=False, compare=False
    )
    # What scoring made of each kind of pair under this model (``scoring._compare``).
    scored: dict[Any, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        weights = {
            c: tuple(
                0.0 if level == 0 else math.log2(self.m[c][level] / self.u[c][level])
                for level in range(len(LEVELS[c]))
            )
            for c in COMPARISONS
        }
        # A mobile beside a landline is no evidence either way: which kind of number a
        # roster holds is its department's habit (a union lists the unit's office number,
        # a volunteer list the mobile), the same for one person's records as for two
        # people's. Learned, its m is the share of such pairs among the pairs the training
        # sessions see — those of departments that write an ID number or a birth date, and
        # rarely a landline — far below its share among one person's records.
        phone = list(weights["phone"])
        phone[PHONE_KINDS] = 0.0
        # A mask published alone (138****5678) is the number with four digits hidden: one
        # person's records agree on it as often as on their numbers (exactly or but for a
        # slip, of the levels two mobiles meet on), two people's as often as their masks
        # collide (u). Its own m would be learned from the sessions' pairs, met by a
        # valid ID number, a phone or a birth date: a list of masks gives none of them.
        m = self.m["phone"]
        agree = m[PHONE_EXACT] + m[PHONE_SLIP]
        phone[PHONE_MASK] = math.log2(agree / (agree + m[2]) / self.u["phone"][PHONE_MASK])
        weights["phone"] = tuple(phone)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "_explained", {})
        object.__setattr__(self, "_entries", {})
        object.__setattr__(self, "scored", {})
        object.__setattr__(self, "prior_weight", math.log2(self.prior / (1.0 - self.prior)))

    # ---------------------------------------------------------------- scoring

    def name_weight(self, name_count: float, common: bool) -> float:
        """Weight of an exact name seen ``name_count`` times in the census. Its u is the
        chance that *another person's* record carries the name: the records of the person
        at hand (``records_per_person``: the mean size of the person a record belongs to,
        size-biased) are not other people's. A name no other
        person is seen to carry still has its base rate in the population (the floors, a
        frequency: the same name weighs the same in a census of any size)."""
        return self.name_weight_apart(max(name_count - self.records_per_person, 0.0), common)

    def name_weight_apart(self, others: float, common: bool) -> float:
        """Weight of an exact name that ``others`` records carry besides the two sides'
        own (:mod:`.namesakes`): their share of the census, above the floors."""
        tf = max(others / self.records, COMMON_TF_FLOOR if common else TF_FLOOR)
        return math.log2(self.m["name"][NAME_EXACT] / min(tf, 0.5))

    def phone_weight(self, others: float, landline: bool = False) -> float:
        """Weight of an exact phone that ``others`` of its records carry under another name
        (a unit's office number written for its staff): its u is at least their share of
        the census, never below the learned u (a person's own number)."""
        level = PHONE_LANDLINE if landline else PHONE_EXACT
        u = max(others / self.records, self.u["phone"][level])
        return math.log2(self.m["phone"][level] / min(u, 0.5))

    def weight(
        self, levels: Sequence[int], name_weight: float, phone_weight: float | None = None
    ) -> float:
        total = self.prior_weight
        implied = _implied(levels, phone_weight)
        for c, level in zip(COMPARISONS, levels, strict=True):
            if level and c not in implied:
                total += self._level_weight(c, level, name_weight, phone_weight)
        return total

    def _level_weight(
        self, c: str, level: int, name_weight: float, phone_weight: float | None
    ) -> float:
        if c == "name" and level == NAME_EXACT:
            return name_weight
        if c == "name" and level == NAME_PINYIN and name_weight:
            # A name spelt in Latin letters says no more than the name itself would: at
            # most the Chinese name's own weight (WANG WEI beside one of many 王伟).
            return min(self.weights[c][level], name_weight)
        if c == "phone" and level in (PHONE_EXACT, PHONE_LANDLINE) and phone_weight is not None:
            return phone_weight
        return self.weights[c][level]

    def explain(
        self, levels: tuple[int, ...], name_weight: float, phone_weight: float | None = None
    ) -> dict[str, Any]:
        """The waterfall: each comparison's level and the weight it added (no personal
        data), the prior, the total match weight and probability, and the model. Pairs on
        the same levels share one (read-only) explanation."""
        key = (levels, name_weight, phone_weight)
        found = self._explained.get(key)
        if found is None:
            if len(self._explained) > 100_000:
                self._explained.clear()
                self._entries.clear()
            found = self._explained[key] = self._explain(levels, name_weight, phone_weight)
        return found

    def _explain(
        self, levels: tuple[int, ...], name_weight: float, phone_weight: float | None
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        total = self.prior_weight
        implied = _implied(levels, phone_weight)
        for c, level in zip(COMPARISONS, levels, strict=True):
            counted = level and c not in implied
            w = self._level_weight(c, level, name_weight, phone_weight) if counted else 0.0
            total += w
            # One dict a comparison's level and weight, shared by every explanation
            # (read-only, as the explanations are): not one an edge kind and comparison.
            entry = (c, level, round(w, 2))
            fields[c] = self._entries.get(entry) or self._entries.setdefault(
                entry, {"level": LEVELS[c][level], "weight": entry[2]}
            )
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


_ORG, _REGION = COMPARISONS.index("organization"), COMPARISONS.index("region")


def _implied(levels: Sequence[int], phone_weight: float | None) -> tuple[str, ...]:
    """The comparisons whose levels are already counted in another comparison's.

    Employers and places both differ: a move, which one person makes as readily as two
    people differ — the region's disagreement is counted in the employer's, not again.
    The two records agree on a phone that other names carry too (``phone_weight`` given:
    a household's or a unit's number): the people of one household or unit live or work
    in one place, so the region's and the employer's agreement follow from the phone's
    and are not more evidence (the phone's weight already says "one household or unit")."""
    if levels[_ORG] == ORG_ELSE and levels[_REGION] in REGION_APART:
        return ("region",)
    if phone_weight is None:
        return ()
    place = ("region",) if 0 < levels[_REGION] not in REGION_APART else ()
    return (*place, "organization") if 0 < levels[_ORG] != ORG_ELSE else place


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
