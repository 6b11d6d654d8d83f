"""A roster that gives 年龄 (an age) and no birth date — a volunteer platform's, a
women's federation's, a school's staff list: the age says the birth year ±1 (the list may
be a year old, the birthday not yet come), so the census weighs it beside a birth date's
year or another age, and never takes it for a birth date (no veto)."""

from __future__ import annotations

import csv
import io
from datetime import date

from shegong.registry.census.comparison import (
    COMPARISONS,
    LEVELS,
    Features,
    compare_levels,
    veto,
)
from shegong.registry.census.linkage import CensusRecord

from .test_census import import_roster, persons, settled


def _level(a: CensusRecord, b: CensusRecord) -> str:
    levels = compare_levels(Features(a), Features(b))
    assert LEVELS["birth_date"][levels[COMPARISONS.index("birth_date")]] == "null"
    return LEVELS["age"][levels[COMPARISONS.index("age")]]


def test_an_age_is_a_year_either_way_never_a_birth_date() -> None:
    dated = CensusRecord(key="h:1", department="h", name="陈嘉欣", birth_date=date(1969, 2, 13))
    for year, level in ((1968, "year ±1"), (1970, "year ±1"), (1972, "else")):
        aged = CensusRecord(key="w:1", department="w", name="陈嘉欣", birth_year_by_age=year)
        x, y = Features(dated), Features(aged)
        assert _level(dated, aged) == _level(aged, dated) == level
        assert veto(x, y, compare_levels(x, y)) is None  # an age is no birth date
    one = CensusRecord(key="w:1", department="w", name="陈嘉欣", birth_year_by_age=1969)
    other = CensusRecord(key="y:1", department="y", name="陈嘉欣", birth_year_by_age=1970)
    assert _level(one, other) == "year ±1"


def _csv(header: list[str], *lines: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *lines])
    return out.getvalue().encode("utf-8-sig")


async def test_an_age_tells_two_namesakes_of_one_hospital_apart(city) -> None:
    # Two 陈嘉欣 nurses of one hospital, 20 years apart; the women's federation lists one
    # of them by her age and the hospital's short name, with no phone the hospital gave.
    c = city.client
    older = date(1969, 2, 13)
    await import_roster(
        c,
        "health",
        _csv(
            ["记录编号", "姓名", "性别", "出生日期", "工作单位", "岗位"],
            ["H1", "陈嘉欣", "女", f"{older:%Y-%m-%d}", "江门市中心医院", "护士"],
            ["H2", "陈嘉欣", "女", "1990-07-02", "江门市中心医院", "护士"],
        ),
    )
    age = date.today().year - older.year - 1  # her birthday may not have come yet
    report = await import_roster(
        c,
        "women",
        _csv(
            ["记录编号", "姓名", "年龄", "工作单位", "职务"],
            ["F1", "陈嘉欣", f"{age}岁", "中心医院", "护士"],
        ),
    )
    assert report["warnings"] == []
    await settled(c)
    found = sorted(sorted(p["records"]) for p in await persons(c))
    assert found == [["health:H1", "women:F1"], ["health:H2"]]
    page = (await c.get("/events", params={"after": 0, "limit": 100})).json()
    (event,) = [e["data"] for e in page["events"] if e["data"].get("record_id") == "F1"]
    assert event["birth_year_by_age"] == older.year + 1 and event["birth_date"] is None


async def test_a_bad_age_is_left_out_with_a_warning(city) -> None:
    report = await import_roster(
        city.client,
        "women",
        _csv(["记录编号", "姓名", "年龄"], ["F1", "黄淑华", "四十"], ["F2", "黄秀英", "240"]),
    )
    assert report["rejected"] == [] and report["new"] == 2
    assert [w["row"] for w in report["warnings"]] == [2, 3]
    assert all(
        w["warning"].startswith("age:") and "年龄" in w["warning"] for w in report["warnings"]
    )
