"""A birth date a list gives to the month only (出生年月 1992.12, held as its 1st), one
month off the date another department gives in full: a slip of the month, as a clerk
reads it beside the same name, mobile and unit — not two people's birth dates."""

from __future__ import annotations

from datetime import date

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.registry.census.linkage import CensusRecord, Linker

HASHER = PersonalDataHasher("census-month-slip-test-key-0123456789")
UNIT = {"organization": "胜利社区居委会", "county": "铁东区", "sex": "female"}


def record(key: str, name: str, born: date, phone: str | None = None) -> CensusRecord:
    return CensusRecord(
        key=key,
        department=key.split(":")[0],
        name=name,
        birth_date=born,
        phone_hash=HASHER.phone(phone) if phone else None,
        phone_parts=HASHER.phone_parts(phone) if phone else None,
        phone_kind="mobile" if phone else None,
        **UNIT,  # type: ignore[arg-type]
    )


def test_a_month_written_one_off_beside_the_same_mobile_and_unit_is_one_person() -> None:
    for full, month in (
        (date(1992, 11, 30), date(1992, 12, 1)),  # the next month
        (date(1979, 4, 27), date(1979, 3, 1)),  # the month before
        (date(1975, 12, 23), date(1976, 1, 1)),  # across the new year
    ):
        linker = Linker()
        linker.add(record("civil-affairs:1", "金娟云", full, "18737010220"))
        linker.add(record("womens-federation:1", "金娟云", month, "18737010220"))
        assert linker.person_of("womens-federation:1") == linker.person_of("civil-affairs:1")
        (link,) = linker.links("womens-federation:1")
        assert link.evidence["birth_date"]["level"] == "year only"


def test_birth_dates_further_apart_or_both_in_full_still_disagree() -> None:
    """Two months off, or two full dates a month apart (neither written to the month):
    the birth dates disagree, and namesakes stay two, phone and unit alike."""
    for a, b in (
        (date(1992, 10, 15), date(1992, 12, 1)),
        (date(1992, 11, 30), date(1992, 12, 30)),
    ):
        linker = Linker()
        linker.add(record("civil-affairs:1", "金娟云", a, "18737010220"))
        linker.add(record("womens-federation:1", "金娟云", b, "18737010220"))
        assert linker.links("womens-federation:1") == [], (a, b)
        assert linker.review_queue() == []


def test_a_month_that_agrees_weighs_more_than_the_year_alone() -> None:
    """出生年月 1972.04 beside the ID number's 1972-04-22: the month agrees too, one
    chance in ~365 for two people of a year where the year alone is one in ~30 — a village
    cadre's roster (name, 出生年月, village) meets the 公益岗 list's ID number on it."""
    from shegong.registry.census.comparison import Features, compare_levels
    from shegong.registry.census.linkage import compare

    def level(a: date, b: date) -> tuple[str, float]:
        found = compare(record("zz:1", "扎西央宗", a), record("xc:1", "扎西央宗", b))
        assert found is not None
        return found.evidence["birth_date"]["level"], found.evidence["birth_date"]["weight"]

    month, month_w = level(date(1972, 4, 1), date(1972, 4, 22))
    year, year_w = level(date(1972, 1, 1), date(1972, 4, 22))  # the year only
    january, _ = level(date(1972, 1, 1), date(1972, 1, 22))  # 1972 or 1972.01: the year
    assert (month, year, january) == ("year and month", "year only", "year only")
    assert month_w > year_w + 2
    # Two full dates of one month stay two birth dates (the veto).
    pair = (
        Features(record("a:1", "甲", date(1972, 4, 2))),
        Features(record("b:1", "甲", date(1972, 4, 22))),
    )
    assert compare_levels(*pair)[2] == 4
