"""A person renamed (改名) whom their unit still lists under the old name: the other list
gives the new name, a full ID number and the birth date; the unit's the old name, the ID
number masked (its birth date hidden, its region and last four shown) and the birth date.
The number's shown digits and the birth date are the number: a clerk links them. Twins
and siblings (one surname, one birth date, one household's phone) have other order digits,
so they stay two."""

from __future__ import annotations

from datetime import date

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.registry.census.linkage import Linker
from shegong.testkit.census_city import RosterRow, to_census_record

HASHER = PersonalDataHasher("census-renamed-test-key-0123456789abcdef")
PLANT = "包头铝业有限公司"
BORN = date(1981, 3, 14)


def _id(order: int, born: date = BORN) -> str:
    body = f"150202{born:%Y%m%d}{order:03d}"
    w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w, strict=True)) % 11]


def _row(key: str, name: str, number: str | None, phone: str | None) -> RosterRow:
    department, record_id = key.split(":")
    return RosterRow(
        department=department,
        record_id=record_id,
        name=name,
        id_number=number,
        gender="男",
        birth_date=BORN,
        phone=phone,
        organization=PLANT,
        county="东河区",
        township="河东镇",
        community=None,
    )


def _masked(number: str) -> str:
    return number[:6] + "********" + number[14:]


def _linker(*rows: RosterRow) -> Linker:
    linker = Linker()
    for row in rows:
        linker.add(to_census_record(row, HASHER))
    return linker


def test_the_old_name_beside_the_numbers_shown_digits_and_birth_date_is_linked() -> None:
    number = _id(831)
    linker = _linker(
        _row("social-work:1", "陈华", number, "18197224480"),
        _row("union:1", "陈招弟", _masked(number), "0472-3423100"),
    )
    assert linker.person_of("union:1") == linker.person_of("social-work:1")
    assert linker.review_queue() == []


def test_the_old_name_beside_a_mistyped_number_and_the_mobile_is_linked() -> None:
    number = _id(390)
    typo = "150205" + number[6:]  # one slip in the region: no longer a valid number
    linker = _linker(
        _row("social-work:1", "李婷慧", number, "15060898683"),
        _row("political-legal:1", "李秀英", typo, "15060898683"),
    )
    assert linker.person_of("political-legal:1") == linker.person_of("social-work:1")


def test_twins_beside_one_phone_and_birth_date_stay_two() -> None:
    linker = _linker(
        _row("social-work:1", "陈华", _id(831), "18197224480"),
        _row("union:1", "陈丽", _id(842), "18197224480"),
        _row("union:2", "陈明", _masked(_id(853)), "18197224480"),
    )
    assert len({linker.person_of(k) for k in ("social-work:1", "union:1", "union:2")}) == 3


def test_another_surname_beside_the_numbers_digits_waits_for_a_clerk() -> None:
    """A renamed person keeps the surname here; a number's digits under another family's
    name are a row written into the wrong line as likely: a clerk's question."""
    number = _id(831)
    linker = _linker(
        _row("social-work:1", "陈华", number, "18197224480"),
        _row("union:1", "王招弟", _masked(number), "0472-3423100"),
    )
    assert linker.person_of("union:1") != linker.person_of("social-work:1")
    assert len(linker.review_queue()) == 1
