"""What goes to a clerk and what does not: pairs a clerk would not be asked about because
the rows themselves answer (two rows of one roster under two names)."""

from __future__ import annotations

from datetime import date

from shegong.registry.census.linkage import Link, Linker, compare

from .test_linkage import rec, valid_id

BIRTH = date(1975, 11, 1)
HOME = {"phone": "13969118260", "sex": "male", "community": "吾屯村", "township": "加吾乡"}


def test_two_rows_of_one_roster_under_two_names_are_not_a_question() -> None:
    """A village roster lists 马勇 and 马军 — twins, one household's phone, one birth month —
    on two rows: a roster lists a person once (or again under the same name, a row per
    certificate), so a clerk is not asked whether they are one. The same two rows from two
    departments' rosters still are (a name written into the wrong row)."""
    one = compare(
        rec("township:1", "马勇", birth=BIRTH, **HOME),  # type: ignore[arg-type]
        rec("township:2", "马军", birth=BIRTH, **HOME),  # type: ignore[arg-type]
    )
    assert one is None
    two = compare(
        rec("civil-affairs:1", "马勇", birth=BIRTH, **HOME),  # type: ignore[arg-type]
        rec("township:2", "马军", birth=BIRTH, **HOME),  # type: ignore[arg-type]
    )
    assert two is not None and not isinstance(two, Link)
    linker = Linker()
    linker.add(rec("township:1", "马勇", birth=BIRTH, **HOME))  # type: ignore[arg-type]
    linker.add(rec("township:2", "马军", birth=BIRTH, **HOME))  # type: ignore[arg-type]
    assert linker.review_queue() == []


def test_one_roster_listing_one_id_number_twice_is_still_one_person() -> None:
    """A certificate list gives a row per certificate: one ID number on two rows of one
    roster is one person, whatever the names (a typo in one row's name)."""
    number = valid_id(BIRTH, 11)
    linker = Linker()
    linker.add(rec("hrss:1", "马勇", id_number=number, **HOME))  # type: ignore[arg-type]
    linker.add(rec("hrss:2", "马军", id_number=number, **HOME))  # type: ignore[arg-type]
    assert {k for p in linker.persons().values() for k in p if "hrss:1" in p} == {
        "hrss:1",
        "hrss:2",
    }


def test_a_published_mask_meets_the_full_number_in_the_engine_path() -> None:
    """The bench's engine path (``to_census_record``) sees a volunteer platform's masked
    mobile as the service does: its shown digits beside the full number's are the level
    ``mask`` — it dropped them, so the engine queued pairs the service linked."""
    from shegong.registry.census.comparison import LEVELS, Features, compare_levels
    from shegong.testkit.census_city import RosterRow
    from shegong.testkit.census_records import to_census_record

    from .test_linkage import HASHER

    def row(key: str, phone: str) -> RosterRow:
        return RosterRow(
            department=key,
            record_id="1",
            name="李海",
            id_number=None,
            gender="女",
            birth_date=None,
            phone=phone,
            organization=None,
            county="格桑县",
            township="加吾乡",
            community="曲玛村",
        )

    full = Features(to_census_record(row("civil-affairs", "13831909406"), HASHER))
    for shown, level in (("138****9406", "mask"), ("138****9407", "else")):
        masked = Features(to_census_record(row("volunteer", shown), HASHER))
        assert LEVELS["phone"][compare_levels(full, masked)[4]] == level


def test_a_man_and_a_woman_under_two_names_are_not_a_question() -> None:
    """周毛加措 (a woman, with her ID number) and 措央金 (a man, a village roster's row)
    beside one household's phone and birth month: two names and two sexes are two people,
    not a clerk's question. A name alike (才让加措 / 才让嘉措) with the sex mistyped still is."""
    born = date(1966, 2, 8)
    home = {"phone": "18236776100", "community": "年都乎村", "township": "隆务镇"}
    her = rec("civil-affairs:1", "周毛加措", id_number=valid_id(born, 42), **home)  # type: ignore[arg-type]
    assert her.sex == "female"
    assert compare(her, rec("township:9", "措央金", birth=born, sex="male", **home)) is None  # type: ignore[arg-type]
    alike = compare(her, rec("township:9", "周毛嘉措", birth=born, sex="male", **home))  # type: ignore[arg-type]
    assert alike is not None
