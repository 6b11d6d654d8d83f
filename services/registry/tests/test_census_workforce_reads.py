"""The workforce read's records: read as the driver gives them, each record's facts built
once while it stays the same (issue 18: ≈ 8 µs a record, every record at every
``GET /indicators/workforce``), built again when its row or its certificates change."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import update

from shegong.contracts.registry import CertificateLevel, OrgType, Post
from shegong.kernel.ops.db import reading, writing
from shegong.registry.census import workforce_reads
from shegong.registry.census.indicators import RecordFacts, workforce_indicators
from shegong.registry.census.tables import certificates, records


def _record(dept: str, n: int, **extra: Any) -> dict[str, Any]:
    """Record ``n`` of ``dept``: a new department each test, as what a read remembers is
    the process's (the parameters' runs share it)."""
    return {
        "key": f"{dept}:R{n}",
        "worker_id": f"w-{n}",
        "department": dept,
        "record_id": f"R{n}",
        "name": f"测试{n}",
        "person_id": f"{dept}-{n}",
        **dict.fromkeys(("organization", "org_type", "post", "county", "hired_on", "left_on")),
        **extra,
    }


async def _facts(engine: Any) -> dict[str, RecordFacts]:
    async with reading(engine) as conn:
        persons = await workforce_reads.load_persons(conn)
    return {p.person_id.rsplit("-", 1)[1]: f for p in persons for f in p.records}


async def test_a_records_facts_are_built_again_only_when_it_changes(city) -> None:
    engine, dept = city.runtime.engine, f"dept-{uuid.uuid4().hex[:8]}"
    async with writing(engine) as conn:
        await conn.execute(
            records.insert(),
            [
                _record(dept, 1, organization="东关社区居委会", org_type="community",
                        post="social_work_post", county="安定区", hired_on=date(2023, 3, 1),
                        left_on=date(2024, 2, 1)),
                _record(dept, 2, organization="红叶社工中心", post="other",
                        hired_on=date(2024, 5, 1)),
                _record(dept, 3),
            ],
        )  # fmt: skip
        await conn.execute(
            certificates.insert(),
            [{"key": f"{dept}:R1", "level": "intermediate",
              "certified_on": date(2024, 6, 1)}],
        )  # fmt: skip
    first = await _facts(engine)
    assert first["1"] == RecordFacts(
        dept, "东关社区居委会", OrgType.COMMUNITY, Post.SOCIAL_WORK_POST, "安定区",
        None, None, date(2023, 3, 1), date(2024, 2, 1),
        ((CertificateLevel.INTERMEDIATE, date(2024, 6, 1)),),
    )  # fmt: skip
    assert first["2"] == RecordFacts(
        dept, "红叶社工中心", None, Post.OTHER, hired_on=date(2024, 5, 1)
    )
    assert first["3"] == RecordFacts(dept)

    again = await _facts(engine)
    assert all(again[p] is first[p] for p in first), "unchanged records were built again"

    async with writing(engine) as conn:
        left = update(records).where(records.c.key == f"{dept}:R2")
        await conn.execute(left.values(left_on=date(2024, 9, 30)))
        await conn.execute(
            certificates.insert(),
            [{"key": f"{dept}:R3", "level": "assistant", "certified_on": date(2022, 1, 5)}],
        )
    changed = await _facts(engine)
    assert changed["1"] is first["1"]
    assert changed["2"].left_on == date(2024, 9, 30)
    assert changed["3"].certificates == ((CertificateLevel.ASSISTANT, date(2022, 1, 5)),)


async def _workforce(engine: Any) -> dict[str, Any]:
    async with reading(engine) as conn:
        found = await workforce_reads.workforce(conn, 2024, None, basis="linked")
    found.pop("as_of")
    return found


async def test_a_persons_snapshots_are_computed_again_only_when_their_records_change(
    city,
) -> None:
    engine, dept = city.runtime.engine, f"dept-{uuid.uuid4().hex[:8]}"
    async with writing(engine) as conn:
        await conn.execute(
            records.insert(),
            [
                _record(dept, n, organization="东关社区居委会", post="social_work_post",
                        hired_on=date(2023, 3, 1))
                for n in range(1, 6)
            ],
        )  # fmt: skip
    memo = workforce_reads.SNAPSHOTS
    computed = memo.computed
    first = await _workforce(engine)
    assert first["professionals"] == 5 and first["new_professionals"] == 0
    assert memo.computed - computed == 5 * 2  # 31 Dec 2024 and 2023 (the year's start)

    computed = memo.computed
    assert await _workforce(engine) == first
    assert memo.computed == computed, "snapshots of unchanged persons computed again"

    async with writing(engine) as conn:
        left = update(records).where(records.c.key == f"{dept}:R2")
        await conn.execute(left.values(left_on=date(2024, 9, 30)))
    changed = await _workforce(engine)
    assert memo.computed - computed == 2  # person-2's two days
    assert (changed["professionals"], changed["professionals_prev"]) == (4, 5)
    async with reading(engine) as conn:
        persons = await workforce_reads.load_persons(conn)
    plain = workforce_indicators(persons, [], [], 2024)  # person_on itself, nothing kept
    assert {k: changed[k] for k in plain} == plain
