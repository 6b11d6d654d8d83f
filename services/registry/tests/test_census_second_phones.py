"""A person's second mobile (a cell of two numbers, or a 联系电话 beside the 手机号码) is
another list's only one: the census meets records by it, not only compares it once they
met through another block."""

from __future__ import annotations

from datetime import date

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.registry.census.linkage import CensusRecord, Linker

HASHER = PersonalDataHasher("census-second-phone-key-0123456789")


def record(key: str, name: str, phone: str, *others: str, **fields: object) -> CensusRecord:
    return CensusRecord(
        key=key,
        department=key.split(":")[0],
        name=name,
        phone_hash=HASHER.phone(phone),
        phone_parts=HASHER.phone_parts(phone),
        phone_kind="mobile",
        other_phones=".".join("m" + HASHER.phone(n) for n in others) or None,
        **fields,  # type: ignore[arg-type]
    )


UNIT = {"organization": "长寿路社区居委会", "county": "东区", "community": "长寿路社区"}


def crowd(linker: Linker, name: str, n: int = 40) -> None:
    """``n`` namesakes elsewhere: the name alone is too common to block on."""
    for i in range(n):
        linker.add(record(f"red-cross:{i}", name, f"1370000{i:04d}", organization=f"第{i}中学"))


def test_a_second_mobile_meets_the_record_whose_only_phone_it_is() -> None:
    """The civil-affairs roster lists 王芳's old mobile and, under 联系电话, the number the
    health commission's list gives as her only one (its unit written otherwise); the name
    is too common to meet by. Name and that number are one person, in either order."""
    for order in ((0, 1), (1, 0)):
        rows = [
            record("civil-affairs:1", "王芳", "19941374039", "13579200246", **UNIT),
            record("health:1", "王芳", "13579200246", county="东区"),
        ]
        linker = Linker()
        crowd(linker, "王芳")
        for i in order:
            linker.add(rows[i])
        assert linker.person_of("civil-affairs:1") == linker.person_of("health:1"), order
        (link,) = linker.links("health:1")
        assert link.evidence["phone"]["level"] == "exact"


def test_two_records_whose_second_mobiles_agree_meet() -> None:
    """Both lists give a first number of their own and the same second one: one person."""
    linker = Linker()
    crowd(linker, "王芳")
    linker.add(record("civil-affairs:1", "王芳", "19941374039", "13579200246", **UNIT))
    linker.add(record("youth-league:1", "王芳", "15383434785", "13579200246", county="东区"))
    assert linker.person_of("civil-affairs:1") == linker.person_of("youth-league:1")


def test_a_shared_second_mobile_does_not_join_two_names_or_two_birth_dates() -> None:
    """A family's number written second for two people stays evidence, not a verdict: two
    names with nothing in common, or one name with two birth dates, stay two persons."""
    linker = Linker()
    linker.add(record("civil-affairs:1", "马雨欣", "19941374039", "13579200246", **UNIT))
    linker.add(record("health:1", "罗敏", "13579200246", **UNIT))
    linker.add(record("health:2", "王芳", "13579200246", birth_date=date(1990, 1, 2), **UNIT))
    linker.add(
        record(
            "health:3", "王芳", "15383434785", "13579200246", birth_date=date(1970, 5, 6), **UNIT
        )
    )
    persons = {frozenset(keys) for keys in linker.persons().values()}
    assert all(len(p) == 1 for p in persons), persons
