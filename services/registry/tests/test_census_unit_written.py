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
