"""Reading the census: persons, a person's records, the review queue, coverage, data
quality, the workforce indicators and the export. Read-only; works on the census read
models (``rm_census_*``) and the region tree (``rm_regions``)."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.registry import CertificateLevel, OrgType, Post, mask_id_display
from shegong.kernel.events.schema import projection_positions
from shegong.registry.census.comparison import COMPARISONS, LEVELS
from shegong.registry.census.estimate import estimated_persons
from shegong.registry.census.indicators import (
    ExpertAdmission,
    Person,
    RecordFacts,
    RegionNode,
    person_on,
    workforce_indicators,
)
from shegong.registry.census.model import DEFAULT_MODEL, LINK_AT, REVIEW_AT, MatchModel
from shegong.registry.census.region_tree import RegionTree, county_name
from shegong.registry.census.tables import (
    census_state,
    certificates,
    experts,
    links,
    records,
    reviews,
)
from shegong.registry.projections.regions import regions

SHOWN_FIELDS = (
    "department",
    "record_id",
    "worker_id",
    "name",
    "gender",
    "birth_date",
    "id_masked",
    "phone_masked",
    "organization",
    "org_type",
    "post",
    "county",
    "township",
    "community",
    "hired_on",
    "left_on",
)


async def as_of(conn: AsyncConnection) -> dict[str, Any]:
    """Which events the census has seen: per source, the last position applied."""
    rows = await conn.execute(
        select(projection_positions.c.source, projection_positions.c.position).where(
            projection_positions.c.projection == "census"
        )
    )
    version = await conn.scalar(select(census_state.c.version).where(census_state.c.id == 1))
    return {
        "positions": {r.source: int(r.position) for r in rows},
        "census_version": int(version or 0),
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


async def model(conn: AsyncConnection) -> dict[str, Any]:
    """The match model in use, with the weight (log2 m/u) of each comparison level."""
    found = await conn.scalar(select(census_state.c.model).where(census_state.c.id == 1))
    current = MatchModel.from_dict(found) if found else DEFAULT_MODEL
    weights = {
        c: dict(zip(LEVELS[c][1:], (round(w, 2) for w in current.weights[c][1:]), strict=True))
        for c in COMPARISONS
    }
    return {
        **current.as_dict(),
        "learned": found is not None,
        "weights": weights,
        "prior_weight": round(current.prior_weight, 2),
        "link_at": LINK_AT,
        "review_at": REVIEW_AT,
    }


async def status(conn: AsyncConnection) -> dict[str, Any]:
    counted = (
        await conn.execute(
            select(func.count(), func.count(func.distinct(records.c.person_id))).select_from(
                records
            )
        )
    ).one()
    return {
        "records": int(counted[0]),
        "persons": int(counted[1]),
        "in_review": int(await conn.scalar(select(func.count()).select_from(reviews)) or 0),
        "as_of": await as_of(conn),
    }


async def _certificates(conn: AsyncConnection) -> dict[str, list[tuple[CertificateLevel, date]]]:
    out: dict[str, list[tuple[CertificateLevel, date]]] = defaultdict(list)
    for r in await conn.execute(
        select(certificates.c.key, certificates.c.level, certificates.c.certified_on)
    ):
        out[r.key].append((CertificateLevel(r.level), r.certified_on))
    return out


_ORG_TYPES, _POSTS = {t.value: t for t in OrgType}, {p.value: p for p in Post}
_FACT_COLUMNS = [
    records.c[name]
    for name in (
        "key", "person_id", "department", "organization", "org_type", "post",
        "county", "township", "community", "hired_on", "left_on",
    )
]  # fmt: skip


def _facts(row: Any, certs: Sequence[tuple[CertificateLevel, date]]) -> RecordFacts:
    return _facts_of(certs, [getattr(row, c.name) for c in _FACT_COLUMNS[2:]])


def _facts_of(
    certs: Sequence[tuple[CertificateLevel, date]], columns: Sequence[Any]
) -> RecordFacts:
    """Facts from ``_FACT_COLUMNS`` after key and person (enums by a dict: a call ≈ 3 µs)."""
    dept, org, org_type, post, county, township, community, hired, left = columns
    org_type = (_ORG_TYPES.get(org_type) or OrgType(org_type)) if org_type else None
    post = (_POSTS.get(post) or Post(post)) if post else None
    return RecordFacts(
        dept, org, org_type, post, county, township, community, hired, left, tuple(certs)
    )


async def load_persons(
    conn: AsyncConnection, person_ids: Iterable[str] | None = None
) -> list[Person]:
    certs = await _certificates(conn)
    query = select(*_FACT_COLUMNS).order_by(records.c.person_id, records.c.key)
    if person_ids is not None:
        query = query.where(records.c.person_id.in_(list(person_ids)))
    grouped: dict[str, list[RecordFacts]] = defaultdict(list)
    for key, person_id, *columns in await conn.execute(query):
        grouped[person_id].append(_facts_of(certs.get(key, ()), columns))
    return [Person(pid, tuple(facts)) for pid, facts in grouped.items()]


async def load_regions(conn: AsyncConnection) -> list[RegionNode]:
    rows = await conn.execute(select(regions))
    return [RegionNode(r.code, r.name, r.parent, r.level, r.urban_population) for r in rows]


async def load_experts(conn: AsyncConnection) -> list[ExpertAdmission]:
    """Admissions by person: an admitted ID number names the person holding it."""
    admissions = list(
        await conn.execute(select(experts.c.id_hash, experts.c.admitted_on, experts.c.left_on))
    )
    if not admissions:  # no pool uploaded: no need to map every record's ID number
        return []
    person_of_hash = {
        r.id_hash: r.person_id
        for r in await conn.execute(
            select(records.c.id_hash, records.c.person_id).where(records.c.id_hash.is_not(None))
        )
    }
    out = []
    for r in admissions:
        pid = person_of_hash.get(r.id_hash)
        if pid is not None:
            out.append(ExpertAdmission(pid, r.admitted_on, r.left_on))
    return out


BASES = ("best_estimate", "linked")


def _merged(persons: Sequence[Person], person_of: dict[str, str]) -> list[Person]:
    """Persons regrouped by the estimate (a person the estimate does not name stays)."""
    grouped: dict[str, list[RecordFacts]] = {}
    for person in persons:
        grouped.setdefault(person_of.get(person.person_id, person.person_id), []).extend(
            person.records
        )
    return [Person(pid, tuple(facts)) for pid, facts in grouped.items()]


async def workforce(
    conn: AsyncConnection,
    year: int,
    region: str | None,
    as_of_date: date | None = None,
    basis: str = "best_estimate",
) -> dict[str, Any]:
    """Every workforce indicator as of 31 Dec ``year``, or of ``as_of_date`` in that year
    (raises ValueError: unknown region, or a day outside the year).

    ``basis`` "best_estimate" (the default) counts each queued pair from a match
    probability of one half as one person while it waits for a clerk
    (:mod:`.estimate`); "linked" counts the linked persons only. Either way the answer
    says which, and how many pairs wait."""
    if basis not in BASES:
        raise ValueError(f"unknown basis {basis!r}: one of {', '.join(BASES)}")
    persons = await load_persons(conn)
    estimate = await estimated_persons(conn)
    experts = await load_experts(conn)
    if basis == "best_estimate" and estimate.counted_as_one:
        persons = _merged(persons, estimate.person_of)
        experts = [
            replace(e, person_id=estimate.person_of.get(e.person_id, e.person_id)) for e in experts
        ]
    # Seconds on a large census: off the loop, so the service answers meanwhile (sec9).
    result = await asyncio.to_thread(
        workforce_indicators, persons, await load_regions(conn), experts, year, region, as_of_date
    )
    day = (as_of_date or date(year, 12, 31)).isoformat()
    linked = len(persons) + (estimate.counted_as_one if basis == "best_estimate" else 0)
    return {
        "year": year,
        "region": region,
        "as_of_date": day,
        **result,
        "basis": basis,
        "review": estimate.as_dict(linked),
        "without_employment": sum(not any(r.employs for r in p.records) for p in persons),
        "as_of": await as_of(conn),
    }


async def persons_page(
    conn: AsyncConnection,
    *,
    q: str | None = None,
    department: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Persons (one per human) matching a name / department, with their records merged."""
    ids = select(records.c.person_id).distinct()
    if q:
        ids = ids.where(records.c.name.contains(q.strip(), autoescape=True))
    if department:
        ids = ids.where(records.c.department == department)
    total = await conn.scalar(select(func.count()).select_from(ids.subquery()))
    page = [
        r[0]
        for r in await conn.execute(ids.order_by(records.c.person_id).limit(limit).offset(offset))
    ]
    rows = await rows_of(conn, page)
    certs = await certificates_of(conn, [r.key for r in rows])
    return {
        "total": int(total or 0),
        "limit": limit,
        "offset": offset,
        "persons": [summary(pid, grouped, certs) for pid, grouped in group_by_person(rows).items()],
    }


async def rows_of(conn: AsyncConnection, person_ids: Sequence[str]) -> list[Any]:
    out: list[Any] = []
    for start in range(0, len(person_ids), 500):
        out.extend(
            await conn.execute(
                select(records)
                .where(records.c.person_id.in_(person_ids[start : start + 500]))
                .order_by(records.c.person_id, records.c.key)
            )
        )
    return out


async def certificates_of(
    conn: AsyncConnection, keys: Sequence[str]
) -> dict[str, list[tuple[CertificateLevel, date]]]:
    out: dict[str, list[tuple[CertificateLevel, date]]] = defaultdict(list)
    for start in range(0, len(keys), 500):
        for r in await conn.execute(
            select(certificates.c.key, certificates.c.level, certificates.c.certified_on).where(
                certificates.c.key.in_(keys[start : start + 500])
            )
        ):
            out[r.key].append((CertificateLevel(r.level), r.certified_on))
    return out


def group_by_person(rows: Iterable[Any]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for r in rows:
        grouped.setdefault(r.person_id, []).append(r)
    return grouped


def _most_common(values: Iterable[Any]) -> Any:
    counted = Counter(v for v in values if v not in (None, ""))
    return counted.most_common(1)[0][0] if counted else None


def summary(
    person_id: str,
    rows: Sequence[Any],
    certs: dict[str, list[tuple[CertificateLevel, date]]],
    today: date | None = None,
    tree: RegionTree | None = None,
) -> dict[str, Any]:
    """One person as a row: merged facts, where they stand today, and every record."""
    today = today or date.today()
    person = Person(person_id, tuple(_facts(r, certs.get(r.key, ())) for r in rows))
    now = person_on(person, today)
    valid = [r for r in rows if r.id_hash]
    return {
        "person_id": person_id,
        "name": _most_common(r.name for r in (valid or rows)),
        "gender": _most_common(r.gender for r in rows),
        "birth_date": _most_common(r.birth_date for r in rows),
        "id_masked": _shown_mask(_most_common(r.id_masked for r in (valid or rows))),
        "active": now.active,
        "post": now.post.value if now.post else None,
        "organization": now.organization,
        "org_type": now.org_type.value if now.org_type else None,
        "county": county_name(tree, rows) or _most_common(r.county for r in rows),
        "highest_certificate": now.highest.value if now.highest else None,
        "departments": sorted({r.department for r in rows}),
        "records": [f"{r.department}:{r.record_id or r.worker_id}" for r in rows],
    }


async def person_detail(conn: AsyncConnection, person_id: str) -> dict[str, Any] | None:
    """A person's page: every department's record, where they disagree, and why merged."""
    rows = await rows_of(conn, [person_id])
    if not rows:
        return None
    keys = [r.key for r in rows]
    certs = await certificates_of(conn, keys)
    detail = summary(person_id, rows, certs)
    detail["record_details"] = [
        {
            "key": r.key,
            **{f: json_value(getattr(r, f)) for f in SHOWN_FIELDS},
            "certificates": [
                {"level": lvl.value, "level_zh": lvl.zh, "certified_on": d.isoformat()}
                for lvl, d in sorted(certs.get(r.key, ()), key=lambda c: c[1])
            ],
        }
        for r in rows
    ]
    detail["disagreements"] = {
        f: sorted({str(json_value(getattr(r, f))) for r in rows if getattr(r, f) not in (None, "")})
        for f in ("name", "gender", "birth_date", "id_masked", "organization", "post", "county")
        if len({getattr(r, f) for r in rows if getattr(r, f) not in (None, "")}) > 1
    }
    detail["links"] = [
        {"a": r.a, "b": r.b, "rule": r.rule, "score": r.score, "evidence": r.evidence}
        for r in await conn.execute(
            select(links).where(links.c.a.in_(keys) | links.c.b.in_(keys)).order_by(links.c.a)
        )
    ]
    return detail


def json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("person_id", "人员编号"),
    ("name", "姓名"),
    ("gender", "性别"),
    ("birth_date", "出生日期"),
    ("id_masked", "身份证号(脱敏)"),
    ("active", "在岗"),
    ("post", "岗位类别"),
    ("organization", "工作单位"),
    ("org_type", "单位类型"),
    ("county", "所属区县"),
    ("highest_certificate", "最高证书等级"),
    ("departments", "报送部门"),
    ("records", "部门记录"),
)


def _shown_mask(masked: str | None) -> str | None:
    """The display's form of a stored mask (a row kept an older one: the export too)."""
    return mask_id_display(masked) if masked else None


async def export_persons(conn: AsyncConnection) -> list[dict[str, Any]]:
    """One row per person, every department record merged into it."""
    certs, tree = await _certificates(conn), RegionTree.build(await load_regions(conn))
    rows = list(await conn.execute(select(records).order_by(records.c.person_id, records.c.key)))
    groups, today = group_by_person(rows).items(), date.today()  # merged off the loop
    return await asyncio.to_thread(lambda: [summary(p, rs, certs, today, tree) for p, rs in groups])
