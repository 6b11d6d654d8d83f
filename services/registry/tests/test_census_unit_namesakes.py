"""A volunteer list's bare row (a name, a sex and a unit: no ID number, no mobile) beside
the one person of that name its unit has. A common name (王刚, carried by dozens of the
city's records) weighs little by its count in the census; at one unit, where every
anchored record of the name is one person's, the count says nothing about another holder
there: the clerk's reading — the school's 王刚 — is the census's."""

from __future__ import annotations

from datetime import date

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.registry.census.linkage import CensusRecord, Linker

HASHER = PersonalDataHasher("census-unit-namesakes-test-key-0123456789")
SCHOOL = "千山区第三中学"


def _id(n: int) -> str:
    body = f"210311{1960 + n % 40}{1 + n % 12:02d}{1 + n % 28:02d}{(2 * n + 1) % 1000:03d}"
    w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w, strict=True)) % 11]


def anchored(key: str, n: int, org: str, phone: str, sex: str | None = "male") -> CensusRecord:
    number = _id(n)
    return CensusRecord(
        key=key,
        department=key.split(":")[0],
        name="王刚",
        id_hash=HASHER.id_number(number),
        birth_date=date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
        sex=sex,
        phone_hash=HASHER.phone(phone),
        phone_parts=HASHER.phone_parts(phone),
        phone_kind="mobile",
        organization=org,
    )


def bare(key: str, org: str = SCHOOL) -> CensusRecord:
    return CensusRecord(
        key=key, department=key.split(":")[0], name="王刚", sex="male", organization=org
    )


def _city(linker: Linker) -> None:
    """Forty other 王刚 of the city, each at a unit of their own."""
    for n in range(40):
        linker.add(anchored(f"civil-affairs:{n}", n + 1, f"第{n}社区居委会", f"139{n:08d}"))


def test_a_bare_row_meets_the_one_person_of_its_name_at_its_unit() -> None:
    linker = Linker()
    _city(linker)
    linker.add(anchored("education:1", 99, SCHOOL, "15813978547"))
    linker.add(bare("charity:1"))
    assert linker.person_of("charity:1") == linker.person_of("education:1")
    assert linker.review_queue() == []


def test_two_people_of_the_name_at_the_unit_leave_the_bare_row_apart() -> None:
    """A second 王刚 anchored at the school (his record says no sex), before or after the
    bare row: which one the row is, nobody can say — it joins neither. Coming after, he
    takes back the weight the bare row's pair with the first had (it is re-scored)."""
    for late in (False, True):
        linker = Linker()
        _city(linker)
        linker.add(anchored("education:1", 99, SCHOOL, "15813978547"))
        second = anchored("hrss:2", 98, SCHOOL, "15813978999", sex=None)
        if not late:
            linker.add(second)
        linker.add(bare("charity:1"))
        assert (linker.person_of("charity:1") == linker.person_of("education:1")) is late
        if late:
            linker.add(second)
        mine = linker.person_of("charity:1")
        assert mine != linker.person_of("education:1"), late
        assert mine != linker.person_of("hrss:2"), late
        linker.remove("hrss:2")  # gone again: the unit's one 王刚 is the row's
        assert linker.person_of("charity:1") == linker.person_of("education:1"), late
        linker.add(second)  # back, then listed at another unit: the same again
        assert linker.person_of("charity:1") != linker.person_of("education:1"), late
        linker.update(anchored("hrss:2", 98, "第九十九社区居委会", "15813978999", sex=None))
        assert linker.person_of("charity:1") == linker.person_of("education:1"), late
