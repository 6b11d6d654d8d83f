"""A department sends its roster again a year later (issue 13, "continuous"): a record
whose phone the department changed keeps the number it listed before as evidence, so the
link other departments' records made through it does not come undone."""

from __future__ import annotations

from datetime import date

from .conftest import Node
from .test_census import import_roster, persons, resident_id, roster, settled


def row(record: str, name: str, phone: str, id_number: str = "", **more: str) -> dict[str, str]:
    return {
        "记录编号": record,
        "姓名": name,
        "身份证号": id_number,
        "手机号": phone,
        "工作单位": "东关社区居委会",
        "单位类型": "社区",
        "所属区县": "安定区",
        "乡镇街道": "永定路街道",
        "社区村": "东关社区",
        **more,
    }


async def test_a_new_phone_on_a_roster_sent_again_keeps_the_old_one_as_evidence(
    city: Node,
) -> None:
    c = city.client
    # Namesakes in the unit's town: a name and a unit alone do not make one person.
    namesakes = [
        row(f"MZ{i}", "王丽", f"1390000{i:04d}", resident_id(date(1980 + i, 1, 2), 100 + i))
        for i in range(2, 5)
    ]
    wang = resident_id(date(1990, 3, 4), 222)
    await import_roster(
        c, "civil-affairs", roster([row("MZ1", "王丽", "13912345678", wang), *namesakes])
    )
    await import_roster(c, "youth-league", roster([row("TW1", "王丽", "13912345678")]))
    await settled(c)
    one = {p["name"]: p for p in await persons(c) if "youth-league:TW1" in p["records"]}
    assert sorted(one["王丽"]["records"]) == ["civil-affairs:MZ1", "youth-league:TW1"]
    # a year later the league lists her new phone; civil affairs has not heard of it yet
    report = await import_roster(c, "youth-league", roster([row("TW1", "王丽", "13800001111")]))
    assert report["changed"] == 1
    await settled(c)
    one = {p["name"]: p for p in await persons(c) if "youth-league:TW1" in p["records"]}
    assert sorted(one["王丽"]["records"]) == ["civil-affairs:MZ1", "youth-league:TW1"]
