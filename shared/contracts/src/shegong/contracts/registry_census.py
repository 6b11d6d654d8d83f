"""The registry's census events (普查: records linked into persons, pairs for a clerk, the
model learned): part of the ``registry.events`` stream (``registry.py``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shegong.contracts.events import Event


def census_record_key(department: str, record_id: str | None, worker_id: str) -> str:
    """How the census names a department's record in ``RecordsLinked`` / ``RecordsUnlinked``
    (``a``, ``b``): the department and its own record id, or the worker id without one."""
    return f"{department}:{record_id or worker_id}"


class RecordsLinked(Event):
    """The census linked two department records as one person (by a rule or a clerk);
    ``a`` and ``b`` are :func:`census_record_key` s."""

    aggregate_type = "census"
    type: Literal["RecordsLinked"] = "RecordsLinked"
    a: str
    b: str
    rule: str = Field(description="The rule that made the link, or 'clerk'")
    score: float | None = Field(
        description="The match probability; null in the feed of a reader who may not see "
        "both records' personal data (its grade is theirs); on the stream always a number"
    )
    evidence: dict[str, Any] = Field(default_factory=dict)


class RecordsUnlinked(Event):
    """A link no longer holds (evidence changed, a clerk said "not the same", a conflict)."""

    aggregate_type = "census"
    type: Literal["RecordsUnlinked"] = "RecordsUnlinked"
    a: str
    b: str
    rule: str = Field(description="The rule of the link that was undone")
    reason: str
    evidence: dict[str, Any] = Field(default_factory=dict)


class PairQueuedForReview(Event):
    """The rules cannot decide whether two records are one person: a clerk should."""

    aggregate_type = "census"
    type: Literal["PairQueuedForReview"] = "PairQueuedForReview"
    a: str
    b: str
    reason: str
    score: float | None = Field(
        description="The match probability; null in the feed of a reader who may not see "
        "both records' personal data (its grade is theirs); on the stream always a number"
    )
    evidence: dict[str, Any] = Field(default_factory=dict)


class CensusModelAdopted(Event):
    """The census adopted a match model learned from its records (Fellegi–Sunter: m and u
    per comparison level, the prior λ); every link after it names this version."""

    aggregate_type = "census"
    type: Literal["CensusModelAdopted"] = "CensusModelAdopted"
    version: int = Field(ge=1)
    records: int = Field(ge=0, description="How many records it was learned from")
    prior: float = Field(description="λ: the chance two records drawn at random are one person")
    trained_pairs: int = 0
    records_per_person: float = Field(
        default=2.0, description="Records per person when learned (a name's own records)"
    )
    levels: dict[str, list[str]] = Field(description="Each comparison's levels but 'null'")
    m: dict[str, list[float]] = Field(description="P(level | one person), per level")
    u: dict[str, list[float]] = Field(description="P(level | two people), per level")


class CensusTrainingRequested(Event):
    """Someone asked the census to learn its match model again from the records it holds
    now (it also learns by itself as the census grows); the links that change follow as
    ``RecordsLinked`` / ``RecordsUnlinked`` after a ``CensusModelAdopted``."""

    aggregate_type = "census-training"
    type: Literal["CensusTrainingRequested"] = "CensusTrainingRequested"
    by: str


class CensusPairDecided(Event):
    """A clerk decided whether two records are the same person; it holds through later
    imports until a clerk decides otherwise."""

    aggregate_type = "census-decision"
    type: Literal["CensusPairDecided"] = "CensusPairDecided"
    a: str
    b: str
    same: bool
    by: str
    note: str | None = Field(default=None, max_length=500)
