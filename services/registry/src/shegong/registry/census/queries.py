"""Reading the census: persons, a person's records, the match model, the census's status
and the export (the workforce indicators: :mod:`.workforce_reads`). Read-only; works on
the census read models (``rm_census_*``) and the region tree (``rm_regions``)."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.registry import CertificateLevel, mask_id_display
from shegong.registry.census.comparison import COMPARISONS, LEVELS
from shegong.registry.census.indicators import Person, person_on
from shegong.registry.census.model import DEFAULT_MODEL, LINK_AT, REVIEW_AT, MatchModel
from shegong.registry.census.region_tree import RegionTree, county_name
from shegong.registry.census.tables import census_state, certificates, links, records, reviews
from shegong.registry.census.workforce_reads import (
    all_certificates,
    as_of,
    load_regions,
    record_facts,
)

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
    person = Person(person_id, tuple(record_facts(r, certs.get(r.key, ())) for r in rows))
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
    certs, tree = await all_certificates(conn), RegionTree.build(await load_regions(conn))
    rows = list(await conn.execute(select(records).order_by(records.c.person_id, records.c.key)))
    groups, today = group_by_person(rows).items(), date.today()  # merged off the loop
    return await asyncio.to_thread(lambda: [summary(p, rs, certs, today, tree) for p, rs in groups])
