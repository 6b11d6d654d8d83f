"""An ID number Excel stored as a number (身份证号被Excel存成数字) keeps its first 15 digits:
the region and the birth date still show. When the clerk mistyped a birth digit in it, the
birth date read from it is one key off the date the person's full number gives elsewhere —
the numbers are one part apart, the slip the census forgives in a typed number, not two
people's birth dates. A cut number of another region, or a date further off, is not."""

from __future__ import annotations

from shegong.kernel.data.identity import PersonalDataHasher, parse_resident_id
from shegong.kernel.data.sheets import birth_date_kept_by_excel, id_shown_by_excel
from shegong.registry.census.linkage import CensusRecord, Linker

HASHER = PersonalDataHasher("census-excel-cut-test-key-0123456789")
UNIT = {"organization": "胡陈社区居委会", "county": "宁海县", "community": "胡陈社区"}


def full(key: str, number: str, phone: str) -> CensusRecord:
    rid = parse_resident_id(number)
    return CensusRecord(
        key=key,
        department=key.split(":")[0],
        name="杨文",
        sex="female",
        birth_date=rid.birth_date,
        id_hash=HASHER.id_number(rid),
        id_parts=HASHER.id_parts(rid),
        phone_hash=HASHER.phone(phone),
        phone_parts=HASHER.phone_parts(phone),
        phone_kind="mobile",
        **UNIT,  # type: ignore[arg-type]
    )


def cut(key: str, excel: str, phone: str) -> CensusRecord:
    """A row whose ID cell Excel held as ``excel``: the birth date is the one it shows."""
    shown = id_shown_by_excel(excel)
    assert shown is not None
    return CensusRecord(
        key=key,
        department=key.split(":")[0],
        name="杨文",
        sex="female",
        birth_date=birth_date_kept_by_excel(excel),
        id_parts=HASHER.id_parts(shown),
        phone_hash=HASHER.phone(phone),
        phone_parts=HASHER.phone_parts(phone),
        phone_kind="mobile",
        **UNIT,  # type: ignore[arg-type]
    )


NUMBER = "362330197101226501"  # born 1971-01-22


def test_a_birth_digit_mistyped_in_a_number_excel_cut_is_one_person() -> None:
    for excel in (
        "3.62330197301226e+17",  # 1973 for 1971: a digit
        "3.62330197101286e+17",  # the 28th for the 22nd
        "3.62330197011226e+17",  # 1970-11-22: two neighbours swapped
    ):
        linker = Linker()
        linker.add(full("social-work:1", NUMBER, "15967364382"))
        linker.add(cut("political-legal:1", excel, "15967364382"))
        assert linker.person_of("political-legal:1") == linker.person_of("social-work:1"), excel
        (link,) = linker.links("political-legal:1")
        assert link.evidence["birth_date"]["level"] == "day/month swapped or one key", excel


def test_another_region_or_a_date_further_off_still_disagrees() -> None:
    for excel in (
        "3.30226197301226e+17",  # another region: another person's number
        "3.62330197503226e+17",  # two digits off: 1975-03-22
    ):
        linker = Linker()
        linker.add(full("social-work:1", NUMBER, "15967364382"))
        linker.add(cut("political-legal:1", excel, "15967364382"))
        assert linker.links("political-legal:1") == [], excel
        assert linker.review_queue() == [], excel


def test_only_a_cell_that_kept_the_birth_date_shows_it() -> None:
    assert id_shown_by_excel("3.62330197301226e+17") == "36233019730122****"
    assert id_shown_by_excel("3.302061985031e+17") == "33020619850310****"  # zeros dropped
    assert id_shown_by_excel("3.30206E+17") is None  # a CSV's six digits
    assert id_shown_by_excel("362330197301226501") is None  # not a number Excel held
