"""The review queue and what a clerk's decision must be checked against (the records'
keys, their persons' valid-ID hashes, the closure of clerks' "same" decisions)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.registry.census.queries import SHOWN_FIELDS, json_value
from shegong.registry.census.tables import (
    decisions,
    records,
    reviews,
)


async def review_queue(
    conn: AsyncConnection, *, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    total = await conn.scalar(select(func.count()).select_from(reviews))
    pairs = list(
        await conn.execute(
            select(reviews)
            .order_by(reviews.c.score.desc(), reviews.c.a, reviews.c.b)
            .limit(limit)
            .offset(offset)
        )
    )
    keys = sorted({k for p in pairs for k in (p.a, p.b)})
    by_key = {r.key: r for r in await conn.execute(select(records).where(records.c.key.in_(keys)))}

    def side(key: str) -> dict[str, Any]:
        r = by_key.get(key)
        if r is None:
            return {"key": key}
        return {
            "key": key,
            "person_id": r.person_id,
            **{f: json_value(getattr(r, f)) for f in SHOWN_FIELDS},
        }

    return {
        "total": int(total or 0),
        "pairs": [
            {
                "a": side(p.a),
                "b": side(p.b),
                "reason": p.reason,
                "score": p.score,
                "evidence": p.evidence,
            }
            for p in pairs
        ],
    }


async def record_keys(conn: AsyncConnection, keys: Sequence[str]) -> dict[str, Any]:
    return {
        r.key: r for r in await conn.execute(select(records).where(records.c.key.in_(list(keys))))
    }


async def clerk_same_closure(
    conn: AsyncConnection, start: str, excluding: tuple[str, str] | None = None
) -> set[str]:
    """Records joined to ``start`` by clerks' applied "same" decisions (but ``excluding``)."""
    same: dict[str, set[str]] = defaultdict(set)
    for d in await conn.execute(
        select(decisions.c.a, decisions.c.b).where(
            decisions.c.same.is_(True) & (decisions.c.status == "applied")
        )
    ):
        if excluding is not None and {d.a, d.b} == set(excluding):
            continue
        same[d.a].add(d.b)
        same[d.b].add(d.a)
    seen, todo = {start}, [start]
    while todo:
        for other in same[todo.pop()] - seen:
            seen.add(other)
            todo.append(other)
    return seen


async def id_hashes_of_persons(conn: AsyncConnection, person_ids: Sequence[str]) -> set[str]:
    rows = await conn.execute(
        select(records.c.id_hash)
        .where(records.c.person_id.in_(list(person_ids)) & records.c.id_hash.is_not(None))
        .distinct()
    )
    return {r.id_hash for r in rows}
