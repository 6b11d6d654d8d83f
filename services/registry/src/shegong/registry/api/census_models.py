"""What the census routes return (shown at /docs and in openapi.json)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from shegong.contracts.registry import mask_id_display
from shegong.kernel.web.responses import ApiModel, Number

# An ID number's mask in the display's form: a read model's row may hold an older one
# (``620102********123X``, a mistyped number's ``6***************2``).
ShownMask = Annotated[str, AfterValidator(mask_id_display)]

# A birth date is whole only for who may see personal data (kernel web/birth_dates.py);
# everyone else reads ``birth_date: null`` and the year here.
BirthYear = Annotated[
    int | None,
    Field(description="出生年份: the year, where the whole birth date is not shown to this key"),
]


class CensusAsOf(ApiModel):
    """Which events the census has seen."""

    positions: dict[str, int] = Field(description="Per source, the last position applied")
    census_version: int
    computed_at: str


class CensusStatus(ApiModel):
    records: int
    persons: int
    in_review: int
    as_of: CensusAsOf


class PersonSummary(ApiModel):
    """One person as a row: merged facts, where they stand today, and every record."""

    person_id: str
    name: str | None
    gender: str | None
    birth_date: date | None
    birth_year: BirthYear = None
    id_masked: ShownMask | None
    active: bool
    post: str | None
    organization: str | None
    org_type: str | None
    county: str | None
    highest_certificate: str | None
    departments: list[str]
    records: list[str] = Field(description="department:record_id of each record")


class PersonsPage(ApiModel):
    total: int
    limit: int
    offset: int
    persons: list[PersonSummary]


class RecordCertificate(ApiModel):
    level: str
    level_zh: str
    certified_on: date


class RecordDetail(ApiModel):
    """A department record's shown fields (masked) and its certificates."""

    key: str
    department: str | None = None
    record_id: str | None = None
    worker_id: str | None = None
    name: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    birth_year: BirthYear = None
    id_masked: ShownMask | None = None
    phone_masked: str | None = None
    organization: str | None = None
    org_type: str | None = None
    post: str | None = None
    county: str | None = None
    township: str | None = None
    community: str | None = None
    hired_on: date | None = None
    left_on: date | None = None
    certificates: list[RecordCertificate]


class Link(ApiModel):
    """Why two records were merged: the rule, its score and the evidence."""

    a: str
    b: str
    rule: str
    score: Number | None = Field(
        description="None where the caller may not see both records' personal data"
    )
    evidence: Any


class PersonDetail(PersonSummary):
    """A person's page: every department's record, where they disagree, and why merged."""

    record_details: list[RecordDetail]
    disagreements: dict[str, list[str]] = Field(description="Field → the values that differ")
    links: list[Link]


class ReviewSide(ApiModel):
    """One record of a pair (only ``key`` when the record is gone)."""

    key: str
    person_id: str | None = None
    department: str | None = None
    record_id: str | None = None
    worker_id: str | None = None
    name: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    birth_year: BirthYear = None
    id_masked: ShownMask | None = None
    phone_masked: str | None = None
    organization: str | None = None
    org_type: str | None = None
    post: str | None = None
    county: str | None = None
    township: str | None = None
    community: str | None = None
    hired_on: date | None = None
    left_on: date | None = None


class ReviewPair(ApiModel):
    a: ReviewSide
    b: ReviewSide
    reason: str
    score: Number | None = Field(
        description="None where the caller may not see both records' personal data"
    )
    evidence: Any


class ReviewQueue(ApiModel):
    total: int
    pairs: list[ReviewPair]


class DecisionRecorded(ApiModel):
    """The decision is recorded; the census applies it as it reaches it."""

    a: str
    b: str
    same: bool
    event_id: str
    position: int


class TrainingRequested(ApiModel):
    event_id: str
    position: int


class MatchModelView(ApiModel):
    """The match model: m, u and the weight (log2 m/u) of each comparison level."""

    version: int
    prior: Number
    records: int
    trained_pairs: int
    records_per_person: Number
    m: dict[str, list[Number]]
    u: dict[str, list[Number]]
    levels: dict[str, list[str]]
    learned: bool
    weights: dict[str, dict[str, Number]]
    prior_weight: Number
    link_at: Number
    review_at: Number


class Coverage(ApiModel):
    """Without a and b: the matrix (``departments``, ``persons`` per department,
    ``missing_from``); with them: who ``a`` reports that ``b`` does not (``count``,
    ``persons``)."""

    departments: list[str] | None = None
    a: str | None = None
    b: str | None = None
    count: int | None = None
    persons: dict[str, int] | list[PersonSummary]
    missing_from: dict[str, dict[str, int]] | None = None


class QualityField(ApiModel):
    field: str
    label_zh: str


class ProblemRows(ApiModel):
    rows: int
    first: list[Any] = Field(description="The first rows' problems, as the import found them")


class DepartmentQuality(ApiModel):
    records: int
    persons: int
    invalid_id: int
    missing: dict[str, int]
    in_review: int
    duplicates_within: int


class Quality(ApiModel):
    fields: list[QualityField]
    rows_with_problems: dict[str, ProblemRows]
    departments: dict[str, DepartmentQuality]


class PendingReview(ApiModel):
    """The review queue behind a figure: pairs waiting for a clerk, and how many of them
    the best estimate counts as one person."""

    queued_pairs: int = Field(description="Pairs in the review queue")
    counted_as_one: int = Field(
        description="Queued pairs the best estimate counts as one person (match "
        "probability from 0.5, no hard constraint against it); on the linked basis, "
        "what the best estimate would count"
    )
    persons_linked: int = Field(description="Persons as linked (a queued pair: two)")
    persons_estimated: int = Field(description="Persons in the best estimate")


class WorkforceIndicators(ApiModel):
    """Workforce indicators as of a day (31 Dec by default); ``*_prev`` a year before."""

    year: int
    region: str | None
    as_of_date: date
    professionals: int
    professionals_prev: int
    professionals_yoy: Number | None
    certified: int
    certified_prev: int
    certified_yoy: Number | None
    new_professionals: int
    newly_certified: int
    conversion_rate: Number | None
    new_community_workers: int
    community_workers: int
    urban_population: int | None
    community_workers_per_10k: Number | None
    senior: int
    expert_pool: int
    certified_in_community: int
    by_level: dict[str, int]
    basis: Literal["best_estimate", "linked"] = Field(
        description="best_estimate (最佳估计): a queued pair from match probability 0.5 "
        "counted as one person until a clerk decides; linked (已确认): linked persons only"
    )
    review: PendingReview
    without_employment: int = Field(
        0,
        description="persons in the whole census with no record naming both an organisation "
        "and a hire date (入职日期): no roster says they work, so none of them is counted "
        "active on any day (a certificate list alone does not employ)",
    )
    as_of: CensusAsOf
