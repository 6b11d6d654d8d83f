"""One unit written two ways by two rosters: one names the county in a column (so the
unit's key leaves it out), the other writes it in the unit's short name."""

from __future__ import annotations

from datetime import date

from shegong.registry.census.linkage import compare

from .test_census_evidence import record

SCHOOL = {"organization": "济南市历城区第一中学", "county": "历城区", "township": "许商街道"}


def test_a_short_name_with_its_county_is_the_unit_a_column_places_there() -> None:
    """朱伟 of 济南市历城区第一中学 (the county in 所属区县) and 朱伟 of 历城区一中 (no county
    column), one birth date, two mobiles: a clerk reads 历城区一中 as that school and links
    them; the organisation compared as 第一中学 against 历城区一中 said "another unit"."""
    born = {"birth_date": date(1974, 9, 3), "sex": "male"}
    listed = record("edu:1", "朱伟", phone="13985901021", **born, **SCHOOL)
    for county in (None, "历城区"):  # the county the unit's name gives, or none
        union = record(
            "union:1", "朱伟", phone="17769851423", organization="历城区一中", county=county, **born
        )
        found = compare(listed, union, name_count=16)
        assert found is not None
        assert found.evidence["organization"]["level"] == "similar", county
        assert found.score >= 0.9


def test_another_countys_school_or_another_school_stays_another_unit() -> None:
    listed = record("edu:1", "朱伟", phone="13985901021", **SCHOOL)
    for other in ("章丘区一中", "历城区二中", "济南市章丘区第一中学"):
        union = record("union:1", "朱伟", phone="17769851423", organization=other, county=None)
        found = compare(listed, union, name_count=16)
        assert found is None or found.evidence["organization"]["level"] == "else", other


def test_the_city_before_a_county_the_key_drops_is_dropped_too() -> None:
    """济南市章丘区第一中学 keys as 第一中学 (the city and county dropped), 章丘区一中 as itself;
    济南市商河县第三中学 / 商河县三中 likewise; 章丘区民政局 is no 民政局 of any county."""
    pairs = (
        ("济南市章丘区第一中学", "章丘区", "章丘区一中", "similar"),
        ("济南市商河县第三中学", "商河县", "商河县三中", "similar"),
        ("山东省济南市章丘区人民医院", "章丘区", "章丘区医院", "similar"),
        ("济南市章丘区第一中学", "章丘区", "章丘区二中", "else"),
    )
    born = {"birth_date": date(1967, 9, 4)}
    for long, county, short, level in pairs:
        where = {**born, "county": county}
        listed = record("edu:1", "李秀珍", phone="13295961460", organization=long, **where)
        union = record("union:1", "李秀珍", phone="13583749812", organization=short, **where)
        found = compare(listed, union, name_count=36)
        got = found.evidence["organization"]["level"] if found else "else"
        assert got == level, (long, short)
