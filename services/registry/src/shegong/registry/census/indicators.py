"""Workforce indicators (DOMAIN.md §10) computed from the merged census. Pure: no I/O.

A :class:`Person` is one cluster of the linkage (one human), holding every department's
:class:`RecordFacts` about them. Every indicator is evaluated *as of a day* ``D`` (31 Dec of
the year, or of the year before for ``*_prev`` and "new" figures).

How conflicting records merge
-----------------------------
* **Employing record.** Only a record that names an employer (an organisation, or its
  community: below) and a hire date can make anyone active. A record without either (a
  certificate list) tells nothing about employment; a record with no hire date cannot say
  "hired on or before D".
* **Active on D** = at least one employing record with ``hired_on <= D`` and no departure on
  or before D (``left_on is None or left_on > D``). A departure on 31 Dec means not active on
  31 Dec. Records are independent: one department's departure does not end another
  department's (still open) record of the same person.
* **Hire date on D** = the earliest ``hired_on`` among the records active on D (the current
  employment, so a person re-hired this year after leaving years ago is "hired this year";
  overlapping duplicates of the same job take the earliest date).
* **Post on D** = the highest-priority post among the records active on D:
  social-work post > community worker > other > unknown (``None``).
* **Organisation, organisation type and region on D** come from one *primary* active record,
  chosen deterministically by: best post (as above), then the most specific resolvable region
  (community > township > county > none), then the latest hire date (the newest job), then
  department, then organisation name. When the primary record gives no organisation type,
  the first non-null type among active records naming the same organisation is used, else
  a residents' or villagers' committee is a community (单位类型 社区) by its name.
* **A community's staff**: a record naming no organisation but a hire date and a community
  (社区工作者 and 网格员 rosters list their staff by 社区 / 村) works for that community.
* **Certificates** are the union over *all* records (with or without an organisation),
  deduplicated by (level, date). A certificate counts on D when dated on or before D; the
  first certificate is the earliest; the highest is by :attr:`CertificateLevel.rank`.

Regions
-------
Records name a county / township / community by code or by name. They are resolved along the
tree: the county among county nodes, the township among that county's children (or, when no
county resolves, among all townships if the name is unique), the community likewise. The
person's region is the deepest node resolved; a record whose region resolves to nothing
counts only for the city (``region_code=None``). A region's figures count the persons whose
region on that day is the region or lies below it. "New" figures for a region count the
region's professionals on 31 Dec who were not professionals *anywhere* the year before (a
move between counties is not a new professional), so they add up over a partition.

Urban population of a node = its own figure when given, else the sum of its children's
(recursively); ``None`` when nothing in the subtree is known. The city's = the same sum
over the root nodes. The expert pool is counted city-wide over every admitted person id;
for a region, only the admitted persons whose region on 31 Dec lies in it (so the expert pool
is not additive over regions when some experts are not active).

Ratios (YoY, conversion rate, staffing) are ``None`` when the denominator is 0 or unknown.
Rates are fractions (0.513), staffing is per 10,000 urban residents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from shegong.contracts.registry import CertificateLevel, OrgType, Post
from shegong.registry.census.names import committee_community
from shegong.registry.census.region_tree import RegionNode, RegionTree, region_depth

__all__ = [
    "INDICATOR_KEYS",
    "ExpertAdmission",
    "Person",
    "RecordFacts",
    "RegionNode",
    "Snapshot",
    "person_on",
    "workforce_indicators",
]

INDICATOR_KEYS: tuple[str, ...] = (
    "professionals",
    "professionals_prev",
    "professionals_yoy",
    "certified",
    "certified_prev",
    "certified_yoy",
    "new_professionals",
    "newly_certified",
    "conversion_rate",
    "new_community_workers",
    "community_workers",
    "urban_population",
    "community_workers_per_10k",
    "senior",
    "expert_pool",
    "certified_in_community",
    "by_level",
)

_POST_PRIORITY: dict[Post | None, int] = {
    Post.SOCIAL_WORK_POST: 0,
    Post.COMMUNITY_WORKER: 1,
    Post.OTHER: 2,
    None: 3,
}


@dataclass(frozen=True, slots=True)
class RecordFacts:
    """What one department's record says about a person (already privacy-reduced)."""

    department: str
    organization: str | None = None
    org_type: OrgType | None = None
    post: Post | None = None
    county: str | None = None
    township: str | None = None
    community: str | None = None
    hired_on: date | None = None
    left_on: date | None = None
    certificates: tuple[tuple[CertificateLevel, date], ...] = ()

    @property
    def employer(self) -> str | None:
        """The organisation named; where none is but the record gives a hire date and a
        community, that community: a 社区工作者 or 网格员 roster lists its staff under the
        community (村) they work for, not a unit's name."""
        if self.organization and self.organization.strip():
            return self.organization
        if self.hired_on is not None and self.community and self.community.strip():
            return self.community
        return None

    @property
    def employs(self) -> bool:
        return self.employer is not None and self.hired_on is not None

    def active_on(self, day: date) -> bool:
        return (
            self.employs
            and self.hired_on is not None
            and self.hired_on <= day
            and (self.left_on is None or self.left_on > day)
        )

    @property
    def unit_type(self) -> OrgType | None:
        """单位类型 as the record gives it; where it gives none, a residents' or villagers'
        committee (东关社区居民委员会, 中东村村委会) is a community's by its name."""
        if self.org_type is None and (
            committee_community(self.organization) is not None
            or (not self.organization and self.employer is not None)
        ):
            return OrgType.COMMUNITY
        return self.org_type


@dataclass(frozen=True)
class Person:
    """One merged person (a linkage cluster) and every record of it."""

    person_id: str
    records: tuple[RecordFacts, ...] = ()


@dataclass(frozen=True)
class ExpertAdmission:
    person_id: str
    admitted_on: date
    left_on: date | None = None  # left the pool (出库)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A person's merged state on one day."""

    active: bool
    post: Post | None = None
    organization: str | None = None
    org_type: OrgType | None = None
    region: str | None = None  # resolved region-node code (deepest known)
    hired_on: date | None = None  # earliest hire among the records active that day
    highest: CertificateLevel | None = None  # highest certificate dated on or before the day
    first_certified_on: date | None = None  # earliest certificate ever (any date)

    @property
    def professional(self) -> bool:
        return self.active and (self.post is Post.SOCIAL_WORK_POST or self.highest is not None)

    @property
    def certified(self) -> bool:
        return self.professional and self.highest is not None

    @property
    def community_worker(self) -> bool:
        return self.active and self.post is Post.COMMUNITY_WORKER


def person_on(person: Person, day: date, tree: RegionTree | Sequence[RegionNode] = ()) -> Snapshot:
    """The merged state of ``person`` on ``day`` (see the module docstring for the rules)."""
    if not isinstance(tree, RegionTree):
        tree = RegionTree.build(tree)
    certs = {c for r in person.records for c in r.certificates}
    held = [lvl for lvl, on in certs if on <= day]
    highest = max(held, key=lambda lvl: lvl.rank) if held else None
    first = min((on for _, on in certs), default=None)
    active = [r for r in person.records if r.active_on(day)]
    if not active:
        return Snapshot(active=False, highest=highest, first_certified_on=first)
    if len(active) == 1:  # most persons on most days: what the rules below give for one
        (r,) = active
        region = tree.resolve(r.county, r.township, r.community)
        return Snapshot(True, r.post, r.employer, r.unit_type, region, r.hired_on, highest, first)
    post = min((r.post for r in active), key=lambda p: _POST_PRIORITY[p])
    regions = {id(r): tree.resolve(r.county, r.township, r.community) for r in active}

    def key(r: RecordFacts) -> tuple[Any, ...]:
        hired = r.hired_on or date.min
        return (
            _POST_PRIORITY[r.post],
            -region_depth(tree, regions[id(r)]),
            -hired.toordinal(),
            r.department,
            r.employer or "",
        )

    primary = min(active, key=key)
    org_type = primary.org_type
    if org_type is None:
        org_type = next(
            (
                r.org_type
                for r in sorted(active, key=key)
                if r.org_type is not None and r.employer == primary.employer
            ),
            primary.unit_type,
        )
    return Snapshot(
        active=True,
        post=post,
        organization=primary.employer,
        org_type=org_type,
        region=regions[id(primary)],
        hired_on=min(r.hired_on for r in active if r.hired_on is not None),
        highest=highest,
        first_certified_on=first,
    )


def _year_before(day: date) -> date:
    """The same day a year before (29 Feb → 28 Feb)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _ratio(num: float, den: float | None) -> float | None:
    return None if not den else num / den


def _yoy(this: int, last: int) -> float | None:
    return None if last == 0 else (this - last) / last


def workforce_indicators(
    persons: Iterable[Person],
    regions: Iterable[RegionNode] | RegionTree,
    experts: Iterable[ExpertAdmission],
    year: int,
    region_code: str | None = None,
    as_of: date | None = None,
    snapshot: Callable[[Person, date, RegionTree], Snapshot] = person_on,
) -> dict[str, Any]:
    """Every workforce indicator of DOMAIN.md §10 as of 31 Dec ``year``, for the whole city
    (``region_code=None``) or one region of the tree (its whole subtree).

    ``as_of`` (a day of ``year``) moves the day: the figures are those on that day, the
    ``*_prev`` figures (and so YoY) those on the same day a year before (同比), and the "new"
    figures count the year so far — against 31 Dec of the year before, as on 31 Dec.
    ``snapshot``: :func:`person_on`, or one that remembers it (the read's)."""
    tree = regions if isinstance(regions, RegionTree) else RegionTree.build(regions)
    if region_code is not None and region_code not in tree.nodes:
        raise ValueError(f"unknown region {region_code!r}")
    end = as_of or date(year, 12, 31)
    if end.year != year:
        raise ValueError(f"as_of {end} is not a day of {year}")
    prev_end = _year_before(end)
    year_start = date(year - 1, 12, 31)  # "new in the year": not so on this day

    def inside(snap: Snapshot) -> bool:
        return region_code is None or region_code in tree.ancestors(snap.region)

    professionals = professionals_prev = certified = certified_prev = 0
    new_professionals = newly_certified = 0
    community_workers = new_community_workers = senior = certified_in_community = 0
    by_level = {lvl.value: 0 for lvl in CertificateLevel}
    now_by_id: dict[str, Snapshot] = {}
    for person in persons:
        now = snapshot(person, end, tree)
        before = snapshot(person, prev_end, tree)
        start = before if year_start == prev_end else snapshot(person, year_start, tree)
        now_by_id[person.person_id] = now
        if before.professional and inside(before):
            professionals_prev += 1
            certified_prev += before.certified
        if not inside(now):
            continue
        if now.community_worker:
            community_workers += 1
            if now.hired_on is not None and now.hired_on.year == year:
                new_community_workers += 1
        if not now.professional:
            continue
        professionals += 1
        if not start.professional:
            new_professionals += 1
        if now.highest is not None:
            certified += 1
            by_level[now.highest.value] += 1
            senior += now.highest is CertificateLevel.SENIOR
            certified_in_community += now.org_type is OrgType.COMMUNITY
            if now.first_certified_on is not None and now.first_certified_on.year == year:
                newly_certified += 1

    admitted = {
        e.person_id
        for e in experts
        if e.admitted_on <= end and (e.left_on is None or e.left_on > end)
    }
    if region_code is None:
        expert_pool = len(admitted)
    else:
        expert_pool = sum(1 for pid in admitted if pid in now_by_id and inside(now_by_id[pid]))

    population = tree.population(region_code)
    per_10k = _ratio(community_workers * 10_000, population)
    return {
        "professionals": professionals,
        "professionals_prev": professionals_prev,
        "professionals_yoy": _yoy(professionals, professionals_prev),
        "certified": certified,
        "certified_prev": certified_prev,
        "certified_yoy": _yoy(certified, certified_prev),
        "new_professionals": new_professionals,
        "newly_certified": newly_certified,
        "conversion_rate": _ratio(newly_certified, new_professionals),
        "new_community_workers": new_community_workers,
        "community_workers": community_workers,
        "urban_population": population,
        "community_workers_per_10k": per_10k,
        "senior": senior,
        "expert_pool": expert_pool,
        "certified_in_community": certified_in_community,
        "by_level": by_level,
    }
