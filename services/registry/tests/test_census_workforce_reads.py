"""The workforce read's records: read as the driver gives them, each record's facts built
once while it stays the same (issue 18: ≈ 8 µs a record, every record at every
``GET /indicators/workforce``), built again when its row or its certificates change."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import update

from shegong.contracts.registry import CertificateLevel, OrgType, Post
from shegong.kernel.ops.db import reading, writing
from shegong.registry.census import workforce_reads
from shegong.registry.census.indicators import RecordFacts
from shegong.registry.census.tables import certificates, records


def _record(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "key": f"civil-affairs:R{n}",
        "worker_id": f"w-{n}",
        "department": "civil-affairs",
        "record_id": f"R{n}",
        "name": f"测试{n}",
        "person_id": f"person-{n}",
        **dict.fromkeys(("organization", "org_type", "post", "county", "hired_on", "left_on")),
        **extra,
    }


async def _facts(engine: Any) -> dict[str, RecordFacts]:
    async with reading(engine) as conn:
        persons = await workforce_reads.load_persons(conn)
    return {p.person_id: f for p in persons for f in p.records}


async def test_a_records_facts_are_built_again_only_when_it_changes(city) -> None:
    engine = city.runtime.engine
    async with writing(engine) as conn:
        await conn.execute(
            records.insert(),
            [
                _record(1, organization="东关社区居委会", org_type="community",
                        post="social_work_post", county="安定区", hired_on=date(2023, 3, 1),
                        left_on=date(2024, 2, 1)),
                _record(2, organization="红叶社工中心", post="other", hired_on=date(2024, 5, 1)),
                _record(3),
            ],
        )  # fmt: skip
        await conn.execute(
            certificates.insert(),
            [{"key": "civil-affairs:R1", "level": "intermediate",
              "certified_on": date(2024, 6, 1)}],
        )  # fmt: skip
    first = await _facts(engine)
    assert first["person-1"] == RecordFacts(
        "civil-affairs", "东关社区居委会", OrgType.COMMUNITY, Post.SOCIAL_WORK_POST, "安定区",
        None, None, date(2023, 3, 1), date(2024, 2, 1),
        ((CertificateLevel.INTERMEDIATE, date(2024, 6, 1)),),
    )  # fmt: skip
    assert first["person-2"] == RecordFacts(
        "civil-affairs", "红叶社工中心", None, Post.OTHER, hired_on=date(2024, 5, 1)
    )
    assert first["person-3"] == RecordFacts("civil-affairs")

    again = await _facts(engine)
    assert all(again[p] is first[p] for p in first), "unchanged records were built again"

    async with writing(engine) as conn:
        left = update(records).where(records.c.key == "civil-affairs:R2")
        await conn.execute(left.values(left_on=date(2024, 9, 30)))
        await conn.execute(
            certificates.insert(),
            [{"key": "civil-affairs:R3", "level": "assistant", "certified_on": date(2022, 1, 5)}],
        )
    changed = await _facts(engine)
    assert changed["person-1"] is first["person-1"]
    assert changed["person-2"].left_on == date(2024, 9, 30)
    assert changed["person-3"].certificates == ((CertificateLevel.ASSISTANT, date(2022, 1, 5)),)
