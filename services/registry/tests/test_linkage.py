"""The census linkage engine: hard constraints, rules and evidence, clerks' decisions,
incremental order independence, and precision / recall on a generated city."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shegong.kernel.data.identity import PersonalDataHasher, mask_id_number, parse_resident_id
from shegong.kernel.data.sheets import well_formed_phone
from shegong.registry.census import blocks
from shegong.registry.census.blocks import BLOCK_MAX
from shegong.registry.census.comparison import Features, compare_levels
from shegong.registry.census.linkage import (
    CensusConflict,
    CensusRecord,
    Decision,
    Link,
    Linker,
    Review,
    Unlink,
    compare,
    normalize_org,
    normalize_person_name,
)
from shegong.testkit.census_city import (
    RosterRow,
    generate_city,
    pairwise_precision_recall,
    to_census_record,
    to_census_records,
)

HASHER = PersonalDataHasher("census-test-key-0123456789abcdef")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def valid_id(birth: date, order: int, region: str = "621102") -> str:
    body = f"{region}{birth:%Y%m%d}{order:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def rec(
    key: str,
    name: str,
    *,
    id_number: str | None = None,
    masked: str | None = None,
    birth: date | None = None,
    sex: str | None = None,
    phone: str | None = None,
    org: str | None = None,
    county: str | None = "安定区",
    township: str | None = "中华路街道",
    community: str | None = None,
) -> CensusRecord:
    """A census record as a registry node would emit it (hash + mask, never the number);
    a valid ID number gives the birth date and sex, as ``to_census_record`` does."""
    if id_number:
        resident = parse_resident_id(id_number)
        birth, sex = resident.birth_date, resident.sex
    return CensusRecord(
        key=key,
        department=key.split(":")[0],
        name=name,
        id_hash=HASHER.id_number(id_number) if id_number else None,
        id_masked=mask_id_number(id_number) if id_number else masked,
        id_parts=HASHER.id_parts(id_number) if id_number else None,
        id_swaps=HASHER.id_swaps(id_number) if id_number else None,
        birth_date=birth,
        sex=sex,
        phone_hash=HASHER.phone(phone) if phone else None,
        phone_parts=HASHER.phone_parts(phone) if phone else None,
        organization=org,
        county=county,
        township=township,
        community=community,
    )


def partition(linker: Linker) -> set[frozenset[str]]:
    return {frozenset(keys) for keys in linker.persons().values()}


def same_person(linker: Linker, a: str, b: str) -> bool:
    return linker.person_of(a) == linker.person_of(b)


BIRTH = date(1985, 6, 15)
ID_A = valid_id(BIRTH, 231)
ID_B = valid_id(BIRTH, 457)
ID_C = valid_id(date(1990, 3, 8), 458)  # a woman's


# --------------------------------------------------------------------------- hard constraints


def test_different_valid_ids_never_merge_even_when_everything_else_matches() -> None:
    def wang_wei(key: str, id_number: str | None) -> CensusRecord:
        return rec(
            key,
            "王伟",
            id_number=id_number,
            birth=BIRTH,
            sex="male",
            phone="13812345678",
            org="红叶社工中心",
            community="东关社区",
        )

    linker = Linker()
    linker.add(wang_wei("mz:1", ID_A))
    linker.add(wang_wei("rs:1", ID_B))
    assert not same_person(linker, "mz:1", "rs:1")
    # A record without an ID that matches both equally joins neither: a clerk decides,
    # asked once ("which one?"), not once per candidate.
    out = linker.add(wang_wei("jy:1", None))
    assert not same_person(linker, "mz:1", "rs:1")
    assert not same_person(linker, "jy:1", "mz:1")
    assert not same_person(linker, "jy:1", "rs:1")
    queued = {(d.a, d.b) for d in out if isinstance(d, Review) and "matches as well" in d.reason}
    assert queued == {("jy:1", "mz:1")}  # equals: the first by key
    assert {(r.a, r.b) for r in linker.review_queue()} == queued
    # The clerk's "not the first": the other is no longer contested, and has it.
    linker.decide("jy:1", "mz:1", same=False, by="clerk-1")
    assert same_person(linker, "jy:1", "rs:1") and not same_person(linker, "jy:1", "mz:1")
    assert linker.review_queue() == []
    # Once a clerk says which one it is, the other can never have it.
    linker.decide("jy:1", "mz:1", same=True, by="clerk-1")
    assert same_person(linker, "jy:1", "mz:1") and not same_person(linker, "jy:1", "rs:1")


def test_a_record_joins_the_person_it_matches_far_better_than_a_namesake() -> None:
    # Two 王伟 with different ID numbers at one employer; a record without an ID has the
    # first one's phone: it is his, and the namesake's pair is not worth a clerk's time.
    linker = Linker()
    common = {"birth": BIRTH, "sex": "male", "org": "红叶社工中心", "community": "东关社区"}
    linker.add(rec("mz:1", "王伟", id_number=ID_A, phone="13812345678", **common))
    linker.add(rec("rs:1", "王伟", id_number=ID_B, phone="13900001111", **common))
    linker.add(rec("jy:1", "王伟", phone="13812345678", **common))
    assert same_person(linker, "jy:1", "mz:1")
    assert not same_person(linker, "mz:1", "rs:1")
    assert linker.review_queue() == []


def test_a_name_only_record_beside_two_namesakes_joins_neither() -> None:
    # Two 李秀兰 who cannot be one person (birth dates disagree); a third record has the
    # name, sex and village and nothing else: it matches each as well as the other.
    linker = Linker()
    where = {"sex": "female", "org": "东街村村委会", "community": "东街村"}
    linker.add(rec("mz:1", "李秀兰", birth=date(1970, 3, 8), phone="13812345678", **where))
    linker.add(rec("fl:1", "李秀兰", birth=date(1988, 9, 1), phone="13900001111", **where))
    linker.add(rec("tw:1", "李秀兰", **where))
    assert len(linker.persons()) == 3


def test_common_name_strangers_with_different_birth_dates_never_merge() -> None:
    linker = Linker()
    for i, year in enumerate((1970, 1971, 1985, 1990)):
        # Same common name, organisation, region and even the same phone: birth dates differ.
        linker.add(
            rec(
                f"d{i}:1",
                "李娜",
                birth=date(year, 3, 8),
                sex="female",
                phone="13912345678",
                org="安定区红叶社会工作服务中心",
                community="东关社区",
            )
        )
    assert len(linker.persons()) == 4
    assert linker.review_queue() == []


def test_same_name_phone_and_organisation_link_without_the_id_on_one_side() -> None:
    # A pair a clerk decides in a second: even a common name, with the same phone and
    # organisation, is one person though one department left the ID number out.
    linker = Linker()
    linker.add(rec("mz:1", "张伟", id_number=ID_A, phone="13812345678", org="阳光社工中心"))
    out = linker.add(rec("rs:1", "张　伟", phone="13812345678", org="阳光社工中心"))
    assert same_person(linker, "mz:1", "rs:1")
    (link,) = [d for d in out if isinstance(d, Link)]
    assert link.rule == "match-weight"
    assert link.evidence["phone"]["level"] == "exact" and link.evidence["phone"]["weight"] > 10
    assert link.evidence["id"] == {"level": "null", "weight": 0.0}
    assert link.score == pytest.approx(link.evidence["probability"], abs=1e-6)
    assert link.score >= 0.95


def test_a_common_name_weighs_less_than_a_rare_one() -> None:
    common = compare(
        rec("mz:1", "王伟", birth=BIRTH, org="红叶社工中心"),
        rec("rs:1", "王伟", birth=BIRTH, org="陇西县人民医院", county="陇西县"),
    )
    rare = compare(
        rec("mz:1", "欧阳靖雯", birth=BIRTH, org="红叶社工中心"),
        rec("rs:1", "欧阳靖雯", birth=BIRTH, org="陇西县人民医院", county="陇西县"),
    )
    assert common is not None and rare is not None
    assert common.evidence["name"]["weight"] < rare.evidence["name"]["weight"]
    assert common.evidence["organization"]["weight"] < 0
    # Another employer in another county: a move, counted once (by the organisation).
    assert common.evidence["region"] == {"level": "else", "weight": 0.0}
    # Seen many times in the census, a name says even less.
    often = compare(
        rec("mz:1", "欧阳靖雯", birth=BIRTH), rec("rs:1", "欧阳靖雯", birth=BIRTH), name_count=400
    )
    once = compare(rec("mz:1", "欧阳靖雯", birth=BIRTH), rec("rs:1", "欧阳靖雯", birth=BIRTH))
    assert often is not None and once is not None
    assert often.evidence["name"]["weight"] < once.evidence["name"]["weight"]


def test_different_names_are_reviewed_not_linked_without_a_valid_id() -> None:
    linker = Linker()
    same = {"birth": BIRTH, "sex": "male", "phone": "13812345678", "org": "红叶社工中心"}
    linker.add(rec("mz:1", "王伟", **same))  # type: ignore[arg-type]
    out = linker.add(rec("rs:1", "李建国", **same))  # type: ignore[arg-type]
    assert not same_person(linker, "mz:1", "rs:1")
    assert not any(isinstance(d, Link) for d in out)
    (review,) = linker.review_queue()
    assert (review.a, review.b, review.reason) == ("mz:1", "rs:1", "names differ")
    assert review.evidence["name"]["level"] == "else"
    assert review.evidence["birth_date"]["level"] == "exact"
    out = linker.decide("mz:1", "rs:1", same=False, by="clerk-li")
    assert linker.review_queue() == []
    assert linker.decisions()[("mz:1", "rs:1")] == (False, "clerk-li")


def test_twins_names_a_character_of_another_sound_apart_are_a_clerks_question() -> None:
    # Twins beside one household: one birth date, one phone, one community, one employer;
    # their names share the generation character (子) and differ in one of another sound.
    # A slip of the pen keeps the sound (涵 / 寒) or the length (a character dropped).
    home = {
        "birth": BIRTH,
        "sex": "female",
        "phone": "13812345678",
        "org": "阳光社工中心",
        "community": "东关社区",
    }
    for other, linked in (("陈子轩", False), ("陈子寒", True), ("陈子", True), ("陈子函", True)):
        linker = Linker()
        linker.add(rec("mz:1", "陈子涵", id_number=valid_id(BIRTH, 262), **home))  # type: ignore[arg-type]
        out = linker.add(rec("rs:1", other, **home))  # type: ignore[arg-type]
        assert same_person(linker, "mz:1", "rs:1") is linked, other
        if not linked:
            assert not any(isinstance(d, Link) for d in out)
            (review,) = linker.review_queue()
            assert review.reason == "names differ"
            assert review.evidence["name"]["level"] == "else"


def test_a_fuzzy_pinyin_slip_is_one_character_not_another_name() -> None:
    # 森 (sen) for 生 (sheng), 林 (lin) for 凌 (ling), 兰 (lan) for 南 (nan): an input
    # method's fuzzy pinyin, or a southern ear; 伟 for 娜 is another name.
    for a, b, level in (
        ("王森", "王生", "one character"),
        ("李林", "李凌", "one character"),
        ("周兰", "周南", "one character"),
        ("张伟", "张娜", "else"),
    ):
        same = {"birth": BIRTH, "phone": "13812345678", "org": "阳光社工中心"}
        decision = compare(rec("mz:1", a, **same), rec("rs:1", b, **same))  # type: ignore[arg-type]
        assert decision is not None, (a, b)
        assert decision.evidence["name"]["level"] == level, (a, b)


def test_a_household_sharing_a_phone_is_not_asked_about() -> None:
    # Spouses, or a parent and a child, registered on one phone in one community: names
    # with no character in common and no birth date or ID number to say otherwise are not
    # a candidate (not linked, not queued); the same birth date would make it a question.
    home = {"phone": "13812345678", "org": "东关社区居委会", "community": "东关社区"}
    linker = Linker()
    linker.add(rec("mz:1", "马雨欣", id_number=valid_id(BIRTH, 264), **home))  # type: ignore[arg-type]
    out = linker.add(rec("fl:1", "罗敏", sex="male", **home))  # type: ignore[arg-type]
    assert out == [] and linker.review_queue() == []
    assert not same_person(linker, "mz:1", "fl:1")
    assert compare(rec("mz:1", "马雨欣", **home), rec("fl:1", "罗敏", **home)) is None  # type: ignore[arg-type]
    asked = compare(
        rec("mz:1", "马雨欣", birth=BIRTH, **home),  # type: ignore[arg-type]
        rec("fl:1", "罗敏", birth=BIRTH, **home),  # type: ignore[arg-type]
    )
    assert asked is not None and not isinstance(asked, Link)


# --------------------------------------------------------------------------- rules and evidence


def mistype(number: str, position: int) -> str:
    digit = str((int(number[position]) + 1) % 10)
    return number[:position] + digit + number[position + 1 :]


@pytest.mark.parametrize("position", [3, 9, 15, 17])  # region, birth, order, check
def test_mistyped_id_with_name_and_birth_links_with_its_evidence(position: int) -> None:
    linker = Linker()
    linker.add(rec("mz:1", "陈静", id_number=ID_A, phone="13812345678"))
    typo = mistype(ID_A, position) if position < 17 else ID_A[:17] + "5"
    row = RosterRow("rs", "9", "陈静", typo, None, BIRTH, "13700000000", None, None, None, None)
    out = linker.add(to_census_record(row, HASHER))
    assert to_census_record(row, HASHER).id_hash is None  # the check character fails
    assert same_person(linker, "mz:1", "rs:9")
    (link,) = [d for d in out if isinstance(d, Link)]
    assert link.rule == "match-weight"
    assert link.evidence["id"]["level"] == "one slip"
    assert link.evidence["name"]["level"] == link.evidence["birth_date"]["level"] == "exact"
    assert link.evidence["phone"]["level"] == "else"
    assert linker.links("rs:9") == [link]


def swap(number: str, position: int) -> str:
    """``number`` with its characters at ``position`` and the next swapped."""
    return number[:position] + number[position + 1] + number[position] + number[position + 2 :]


@pytest.mark.parametrize("position", [5, 13, 16])  # region|birth, birth|order, order|check
def test_neighbours_swapped_across_a_border_of_the_parts_are_one_slip(position: int) -> None:
    """Two digits swapped across a border of the number's parts (the birth date's last
    and the order's first: 19850615231 → 19850612531) change two of its four parts, as
    two people's numbers differ; the digests of the number with the border's two digits
    put in order agree, and tell the slip. A roster whose birth date was taken from the
    number it typed (1985-06-12) was split from the person by the birth-date veto."""
    typo = swap(ID_A, position)
    linker = Linker()
    linker.add(rec("mz:1", "陈静", id_number=ID_A, phone="13812345678", org="红叶社工中心"))
    born = date(1985, 6, 12) if position == 13 else BIRTH  # as the typo has it
    row = RosterRow(
        "rs", "9", "陈静", typo, None, born, "13812345678", "红叶社工中心", None, None, None
    )
    typed = to_census_record(row, HASHER)
    assert typed.id_hash is None  # the check character fails
    out = linker.add(typed)
    assert same_person(linker, "mz:1", "rs:9")
    (link,) = [d for d in out if isinstance(d, Link)]
    assert link.evidence["id"]["level"] == "one slip"
    # Another number differing in the same two digits otherwise is another number.
    at = position + 1
    other = typo[:at] + str((int(typo[at]) + 1) % 10) + typo[at + 1 :]
    stranger = to_census_record(replace(row, record_id="10", id_number=other), HASHER)
    assert compare_levels(linker._recs["mz:1"], Features(stranger))[0] == 3


def test_a_check_character_x_typed_before_the_last_digit_is_one_slip() -> None:
    """…311X typed …31X1: the X in the order's place read as a published mask's hidden
    digit, so the number was no evidence at all (the pair linked by name and birth year
    alone, or not). The order and the check differ, and the number with its last two put
    in order agrees: one slip."""
    order = next(o for o in range(1, 999) if valid_id(BIRTH, o).endswith("X"))
    right = valid_id(BIRTH, order)
    typo = swap(right, 16)
    linker = Linker()
    linker.add(rec("mz:1", "陈静", id_number=right, phone="13812345678", org="红叶社工中心"))
    row = RosterRow("rs", "9", "陈静", typo, None, date(1985, 6, 1), None, None, None, None, None)
    typed = to_census_record(row, HASHER)
    assert "" not in (typed.id_parts or "").split(".")
    out = linker.add(typed)
    assert same_person(linker, "mz:1", "rs:9")
    (link,) = [d for d in out if isinstance(d, Link)]
    assert link.evidence["id"]["level"] == "one slip"


def test_an_id_one_slip_apart_with_another_name_is_not_linked() -> None:
    linker = Linker()
    linker.add(rec("mz:1", "赵丽", id_number=ID_A))
    typo = mistype(ID_A, 9)
    row = RosterRow("jy", "1", "钱芳", typo, None, BIRTH, None, None, None, None, None)
    linker.add(to_census_record(row, HASHER))
    assert len(linker.persons()) == 2


def test_traditional_characters_and_full_width_spaces_link_when_the_id_agrees() -> None:
    assert normalize_person_name(" 劉　麗 華 ") == "刘丽华"
    assert normalize_person_name("張偉") == normalize_person_name("张伟")
    assert normalize_org("定西市安定区紅葉社會工作服務中心") == normalize_org("红叶社工中心")
    linker = Linker()
    linker.add(rec("mz:1", "劉麗華", id_number=ID_A))
    out = linker.add(rec("rs:1", "刘　丽华", id_number=ID_A.lower()))
    assert same_person(linker, "mz:1", "rs:1")
    assert [(d.rule, d.evidence["name"]["level"]) for d in out if isinstance(d, Link)] == [
        ("same-valid-id", "exact")
    ]
    # Without an ID number the normalised name carries the link (with birth and phone).
    linker.add(rec("jy:1", "劉 麗華", birth=BIRTH, phone="13812345678"))
    linker.add(rec("wj:1", "刘丽华 ", birth=BIRTH, phone="138-1234-5678"))
    assert same_person(linker, "jy:1", "wj:1")
    # A name this census holds on no one else, with the same birth date: the same person.
    assert same_person(linker, "jy:1", "mz:1")


def test_valid_id_is_decisive_even_with_a_different_name() -> None:
    linker = Linker()
    linker.add(rec("mz:1", "马小燕", id_number=ID_A))
    linker.add(rec("rs:1", "马晓燕", id_number=ID_A))
    assert same_person(linker, "mz:1", "rs:1")


def test_old_form_and_lowercase_x_ids_hash_to_the_same_person() -> None:
    birth = date(1968, 2, 29)
    number = next(n for n in (valid_id(birth, o) for o in range(1, 999, 2)) if n.endswith("X"))
    old = number[:6] + number[8:17]  # 15-digit form
    rows = [
        RosterRow("mz", "1", "李强", number, "男", None, None, None, None, None, None),
        RosterRow("rs", "1", "李强", old, None, None, None, None, None, None, None),
        RosterRow("jy", "1", "李强", number.lower(), None, None, None, None, None, None, None),
    ]
    records = [to_census_record(row, HASHER) for row in rows]
    assert len({r.id_hash for r in records}) == 1
    assert {r.id_masked for r in records} == {mask_id_number(number)}
    assert {(r.birth_date, r.sex) for r in records} == {(birth, "male")}
    linker = Linker()
    for record in records:
        linker.add(record)
    assert len(linker.persons()) == 1


# --------------------------------------------------------------------------- clerks' decisions


def linked_pair() -> Linker:
    linker = Linker()
    linker.add(rec("mz:1", "孙磊", id_number=ID_A, phone="13812345678"))
    linker.add(rec("rs:1", "孙磊", birth=BIRTH, phone="13812345678"))
    assert same_person(linker, "mz:1", "rs:1")
    return linker


def test_not_same_sticks_through_updates_that_would_link() -> None:
    linker = linked_pair()
    out = linker.decide("mz:1", "rs:1", same=False, by="clerk-li")
    assert [(type(d), d.a, d.b) for d in out] == [(Unlink, "mz:1", "rs:1")]
    assert isinstance(out[0], Unlink)
    assert out[0].reason == "clerk decided not the same"
    # An update that adds even more agreeing evidence: still two persons.
    stronger = rec(
        "rs:1", "孙磊", masked=mask_id_number(mistype(ID_A, 9)), birth=BIRTH, phone="13812345678"
    )
    linker.update(stronger)
    assert not same_person(linker, "mz:1", "rs:1")
    # A third record linking to both joins one side only; the queue shows the conflict.
    linker.add(rec("jy:1", "孙磊", birth=BIRTH, phone="13812345678"))
    assert not same_person(linker, "mz:1", "rs:1")
    assert ("mz:1", "rs:1") not in {(r.a, r.b) for r in linker.review_queue()}
    assert linker.decisions()[("mz:1", "rs:1")] == (False, "clerk-li")


def test_same_sticks_through_updates_that_would_unlink() -> None:
    linker = Linker()
    linker.add(rec("mz:1", "王伟", id_number=ID_A, phone="13812345678"))
    linker.add(rec("rs:1", "王伟东", phone="13900000000"))
    assert not same_person(linker, "mz:1", "rs:1")
    out = linker.decide("rs:1", "mz:1", same=True, by="clerk-wang")
    assert [(d.rule, d.evidence["by"]) for d in out if isinstance(d, Link)] == [
        ("clerk", "clerk-wang")
    ]
    assert same_person(linker, "mz:1", "rs:1")
    assert linker.review_queue() == []
    linker.update(rec("rs:1", "王伟", birth=date(1990, 1, 1), phone="13700000000"))
    assert same_person(linker, "mz:1", "rs:1")
    linker.remove("rs:1")
    linker.add(rec("rs:1", "王伟"))  # re-imported: the decision still holds
    assert same_person(linker, "mz:1", "rs:1")


def test_same_decision_that_would_join_different_valid_ids_raises() -> None:
    linker = Linker()
    linker.add(rec("mz:1", "王伟", id_number=ID_A))
    linker.add(rec("rs:1", "王伟", id_number=ID_B))
    with pytest.raises(CensusConflict):
        linker.decide("mz:1", "rs:1", same=True, by="clerk")
    # Nor through a record in between.
    linker.add(rec("jy:1", "王伟"))
    linker.decide("mz:1", "jy:1", same=True, by="clerk")
    with pytest.raises(CensusConflict):
        linker.decide("jy:1", "rs:1", same=True, by="clerk")
    # An update that gives a clerk-linked record another valid ID raises, changing nothing.
    before = partition(linker)
    with pytest.raises(CensusConflict):
        linker.update(rec("jy:1", "王伟", id_number=ID_B))
    assert partition(linker) == before
    assert linker.record("jy:1").id_hash is None


def test_remove_unlinks() -> None:
    linker = Linker()
    linker.add(rec("mz:1", "孙磊", id_number=ID_A, phone="13812345678"))
    linker.add(rec("rs:1", "孙磊", birth=BIRTH, phone="13812345678"))  # bridge
    linker.add(rec("jy:1", "孙磊", birth=BIRTH, phone="13812345678", org="红叶社工中心"))
    assert len(linker.persons()) == 1
    out = linker.remove("rs:1")
    unlinks = [d for d in out if isinstance(d, Unlink)]
    assert {(d.a, d.b) for d in unlinks} == {("mz:1", "rs:1"), ("jy:1", "rs:1")}
    assert {d.reason for d in unlinks} == {"record removed"}
    assert "rs:1" not in linker
    assert same_person(linker, "mz:1", "jy:1")  # still linked directly (name+birth+phone)
    linker.remove("jy:1")
    assert linker.persons() == {"mz:1": {"mz:1"}}


# --------------------------------------------------------------------------- order independence


def city_records(n_persons: int, seed: int) -> tuple[list[CensusRecord], dict[str, str]]:
    rows, truth = generate_city(n_persons, seed=seed)
    return to_census_records(rows, HASHER), truth


def replay(decisions: list[Decision], edges: set[tuple[str, str]]) -> None:
    for d in decisions:
        if isinstance(d, Link):
            edges.add((d.a, d.b))
        elif isinstance(d, Unlink):
            edges.discard((d.a, d.b))


def components(keys: set[str], edges: set[tuple[str, str]]) -> set[frozenset[str]]:
    adjacent: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        adjacent[a].add(b)
        adjacent[b].add(a)
    seen: set[str] = set()
    out: set[frozenset[str]] = set()
    for key in keys:
        if key in seen:
            continue
        stack, group = [key], set()
        while stack:
            k = stack.pop()
            if k not in group:
                group.add(k)
                stack.extend(adjacent[k])
        seen |= group
        out.add(frozenset(group))
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_persons=st.integers(min_value=10, max_value=60),
    seed=st.integers(min_value=0, max_value=10**6),
    order=st.randoms(use_true_random=False),
)
def test_partition_is_independent_of_arrival_order(
    n_persons: int, seed: int, order: random.Random
) -> None:
    records, _ = city_records(n_persons, seed)
    first = Linker()
    for record in records:
        first.add(record)
    shuffled = records[:]
    order.shuffle(shuffled)
    second = Linker()
    edges: set[tuple[str, str]] = set()
    for record in shuffled:
        replay(second.add(record), edges)
    assert partition(first) == partition(second)
    assert [(r.a, r.b, r.reason) for r in first.review_queue()] == [
        (r.a, r.b, r.reason) for r in second.review_queue()
    ]
    # Removing records reaches the state of never having added them; the decisions replay.
    gone = set(order.sample([r.key for r in records], len(records) // 3))
    for key in sorted(gone):
        replay(second.remove(key), edges)
    fresh = Linker()
    for record in records:
        if record.key not in gone:
            fresh.add(record)
    assert partition(second) == partition(fresh)
    assert index_state(second) == index_state(fresh)
    assert components({r.key for r in records} - gone, edges) == partition(second)


def test_a_crowded_block_is_skipped_whatever_the_order() -> None:
    """An office writes its landline for everyone: more records than BLOCK_MAX share the
    phone. They are not all compared on it, and the partition is the same in any order,
    and after removals that bring the block back under the cap."""
    surnames, given = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰"
    records = []
    for i in range(BLOCK_MAX + 30):
        name = surnames[i % 16] + given[i // 16 % 18] + given[i % 18]
        birth = date(1970 + i % 30, 1 + i % 12, 1 + i % 28)
        records.append(rec(f"office:{i:03d}", name, birth=birth, phone="09328212345"))
    # One of them also on another roster, with the same name and birth date.
    records.append(rec("other:1", records[7].name, birth=records[7].birth_date))
    first, second = Linker(), Linker()
    for record in records:
        first.add(record)
    for record in reversed(records):
        second.add(record)
    assert partition(first) == partition(second)
    assert same_person(first, "office:007", "other:1")
    assert len(partition(first)) == len(records) - 1
    gone = [r.key for r in records[: len(records) - BLOCK_MAX + 5]]
    for key in gone:
        first.remove(key)
    fresh = Linker()
    for record in records:
        if record.key not in gone:
            fresh.add(record)
    assert partition(first) == partition(fresh)


def test_updates_reach_the_same_state_as_adding_the_final_records() -> None:
    records, _ = city_records(300, seed=11)
    rng = random.Random(4)
    changed = {
        r.key: replace(r, phone_hash=None, organization=None) for r in rng.sample(records, 120)
    }
    linker = Linker()
    edges: set[tuple[str, str]] = set()
    for record in records:
        replay(linker.add(record), edges)
    for record in changed.values():
        replay(linker.update(record), edges)
    fresh = Linker()
    for record in records:
        fresh.add(changed.get(record.key, record))
    assert partition(linker) == partition(fresh)
    assert index_state(linker) == index_state(fresh)
    assert components({r.key for r in records}, edges) == partition(linker)


def test_block_values_that_share_a_digest_are_never_one_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The index keeps a block's value as a digest: with every value given the same digest
    (each one after the first kept as itself), adds, updates and removals decide the same."""
    records, _ = city_records(300, seed=13)
    rng = random.Random(8)
    changed = [replace(r, organization=None) for r in rng.sample(records, 60)]
    gone = [r.key for r in rng.sample(records, 40)]

    def run() -> tuple[Linker, list[object]]:
        linker, out = Linker(), []
        for record in records:
            out.extend(linker.add(record))
        for record in changed:
            out.extend(linker.update(record))
        for key in gone:
            if key in linker:
                out.extend(linker.remove(key))
        return linker, out

    plain, plain_out = run()
    assert not plain._collided
    monkeypatch.setattr(blocks, "_DIGEST", 0)
    collided, collided_out = run()
    assert collided._collided == {0}
    assert collided_out == plain_out
    assert partition(collided) == partition(plain)
    assert collided.review_queue() == plain.review_queue()
    assert sorted(map(repr, index_state(collided)["blocks"].values())) == sorted(
        map(repr, index_state(plain)["blocks"].values())
    )


def index_state(linker: Linker) -> dict[str, object]:
    """The linker's block index and edges, as sets: what removals and updates must leave
    as adding the final records does (a bucket of one record is its key, no empty row)."""
    blocks = linker._block_view()
    buckets = [b for kind in blocks.values() for b in kind.values()]
    assert all(isinstance(b, str) or len(b) > 1 for b in buckets)
    stores = (linker._links, linker._reviews)
    assert all(store.others(key) for store in stores for key in store)
    return {
        "blocks": {
            (kind, value): frozenset((b,) if isinstance(b, str) else b)
            for kind, values in blocks.items()
            for value, b in values.items()
        },
        "names": {name: frozenset(keys) for name, keys in linker._by_name.items()},
        "links": {key: frozenset(linker._links.others(key)) for key in linker._links},
        "reviews": {key: frozenset(linker._reviews.others(key)) for key in linker._reviews},
    }


# --------------------------------------------------------------------------- a generated city


@pytest.mark.slow
def test_generated_city_of_5000_persons_precision_and_recall() -> None:
    records, truth = city_records(5000, seed=2024)
    linker = Linker()
    for record in records:
        linker.add(record)
    precision, recall = pairwise_precision_recall(linker.persons(), truth)
    humans = len(set(truth.values()))
    print(
        f"\n5,000 persons, {len(records):,} records: {len(linker.persons()):,} persons found "
        f"({humans:,} true); pairwise precision {precision:.4f}, recall {recall:.4f}; "
        f"review queue {len(linker.review_queue())}"
    )
    assert precision >= 0.995
    assert recall >= 0.995


def test_generator_has_the_hard_cases() -> None:
    rows, truth = generate_city(2000, seed=3)
    assert {row.department for row in rows} >= {"social-work", "civil-affairs", "hrss"}
    records = to_census_records(rows, HASHER)
    by_human: dict[str, list[CensusRecord]] = defaultdict(list)
    for record in records:
        by_human[truth[record.key]].append(record)
    assert 1 <= min(map(len, by_human.values())) <= max(map(len, by_human.values())) <= 4
    missing = sum(1 for r in rows if r.id_number is None) / len(rows)
    invalid = sum(1 for r in records if r.id_masked and not r.id_hash) / len(rows)
    assert 0.12 < missing < 0.18 and 0.03 < invalid < 0.07
    assert any(normalize_person_name(r.name) != r.name for r in rows)  # traditional / spaces
    names: dict[str, set[str]] = defaultdict(set)
    twins: dict[tuple[str, date | None], set[str | None]] = defaultdict(set)
    for record in records:
        names[normalize_person_name(record.name)].add(truth[record.key])
        if record.id_hash:
            twins[(normalize_person_name(record.name), record.birth_date)].add(record.id_hash)
    assert max(len(humans) for humans in names.values()) >= 5  # 王伟, 李娜 …
    assert any(len(ids) >= 2 for ids in twins.values())  # same name + birth, different IDs


def test_pairwise_precision_recall_counts_pairs() -> None:
    truth = {"a": "1", "b": "1", "c": "1", "d": "2", "e": "2"}
    assert pairwise_precision_recall({"p": {"a", "b", "c"}, "q": {"d", "e"}}, truth) == (1.0, 1.0)
    # {a,b} {c,d,e}: true pairs ab ac bc de = 4; predicted ab cd ce de = 4; correct ab de = 2.
    assert pairwise_precision_recall({"p": {"a", "b"}, "q": {"c", "d", "e"}}, truth) == (0.5, 0.5)


def test_a_phone_libphonenumber_does_not_know_is_still_evidence() -> None:
    # 140… is not an allocated mobile block: not kept as a contact, but the same digits on
    # two records (written two ways) still say "one person".
    rows = [
        RosterRow(
            "mz",
            "1",
            "欧阳靖雯",
            None,
            "女",
            None,
            "140-1234-5678",
            "红叶社工中心",
            None,
            None,
            None,
        ),
        RosterRow(
            "rs", "1", "欧阳靖雯", None, None, None, "+86 14012345678", None, None, None, None
        ),
    ]
    records = [to_census_record(row, HASHER) for row in rows]
    assert records[0].phone_hash is not None
    assert records[0].phone_hash == records[1].phone_hash
    linker = Linker()
    for record in records:
        linker.add(record)
    (link,) = linker.links("mz:1")
    assert link.evidence["phone"]["level"] == "exact"


def test_retraining_emits_only_the_decisions_that_changed() -> None:
    records, _ = city_records(300, seed=11)
    linker = Linker()
    for record in records:
        linker.add(record)

    def active() -> set[tuple[str, str]]:
        return {(link.a, link.b) for r in records for link in linker.links(r.key)}

    held = active()
    out = linker.train()
    assert linker.model.version == 1
    # A Link announced is a pair not linked before; an Unlink one linked before: a link
    # that holds under the new weights is not announced again.
    assert all((d.a, d.b) not in held for d in out if isinstance(d, Link))
    assert all((d.a, d.b) in held for d in out if isinstance(d, Unlink))
    assert active() == (held | {(d.a, d.b) for d in out if isinstance(d, Link)}) - {
        (d.a, d.b) for d in out if isinstance(d, Unlink)
    }
    again = linker.train()  # the same records: the same model, nothing to announce
    assert linker.model.version == 2
    assert not [d for d in again if isinstance(d, Link | Unlink)]


def test_a_name_is_not_counted_as_others_for_its_own_records() -> None:
    # A record drawn at random belongs more often to a person with many records than the
    # average person has: the records of "the person at hand" are size-biased.
    records, _ = city_records(300, seed=11)
    linker = Linker()
    for record in records:
        linker.add(record)
    sizes = [len(keys) for keys in linker.persons().values()]  # as the model learns them
    linker.train()
    trained = linker.model
    assert trained.records_per_person > len(records) / len(sizes) or len(set(sizes)) == 1
    assert trained.records_per_person == pytest.approx(sum(s * s for s in sizes) / sum(sizes))
    # A name seen on a busy person's four records weighs more than under the plain mean.
    plain = replace(trained, records_per_person=len(records) / len(sizes))
    assert trained.name_weight(4, False) > plain.name_weight(4, False)


def test_a_homophone_name_is_its_own_level() -> None:
    # 马晓燕 / 马小燕: the same sound written two ways (pypinyin is a dependency).
    found = compare(rec("mz:1", "马晓燕", birth=BIRTH), rec("rs:1", "马小燕", birth=BIRTH))
    assert found is not None
    assert found.evidence["name"]["level"] == "same pinyin"


def test_a_birth_date_given_only_to_the_year_is_its_own_level_not_a_veto() -> None:
    # One roster knows the whole date, another only the year (written as 1 January).
    full = rec("mz:1", "王强平", birth=date(1978, 2, 15), phone="13912345678", org="友谊村村委会")
    year = rec("gh:1", "王强平", birth=date(1978, 1, 1), phone="13912345678", org="友谊村村委会")
    found = compare(full, year)
    assert isinstance(found, Link)
    assert found.evidence["birth_date"]["level"] == "year only"
    # Another year is still a disagreement, and a veto without the ID number.
    other = rec("gh:2", "王强平", birth=date(1979, 1, 1), phone="13912345678", org="友谊村村委会")
    assert compare(full, other) is None


def test_an_organisation_abbreviation_is_similar() -> None:
    # 富源一中 is 富源县第一中学's characters in order (a 简称); 罗平一中 is another school.
    x = rec("jy:1", "李娜", birth=BIRTH, org="富源县第一中学", county=None)
    short = compare(x, rec("cl:1", "李娜", birth=BIRTH, org="富源一中", county=None))
    other = compare(x, rec("cl:2", "李娜", birth=BIRTH, org="罗平一中", county=None))
    assert short is not None and short.evidence["organization"]["level"] == "similar"
    assert other is not None and other.evidence["organization"]["level"] == "else"


def test_a_model_published_before_a_comparison_gained_a_level_still_loads() -> None:
    from shegong.registry.census.model import DEFAULT_MODEL, MatchModel

    stored = DEFAULT_MODEL.as_dict()
    stored["m"]["birth_date"] = [0.95, 0.01, 0.04]  # exact, day/month swapped, else
    stored["u"]["birth_date"] = [7e-5, 2e-5, 0.99991]
    # The region before "another place" (community, township, county, else).
    stored["m"]["region"] = [0.5, 0.2, 0.2, 0.1]
    stored["u"]["region"] = [0.02, 0.05, 0.2, 0.73]
    stored["m"]["name"] = [0.9, 0.03, 0.03, 0.04]
    stored["m"]["phone"] = [0.75, 0.2, 0.05]  # before "same landline"
    loaded = MatchModel.from_dict(stored)
    assert loaded.m["phone"] == DEFAULT_MODEL.m["phone"]
    assert loaded.m["birth_date"] == DEFAULT_MODEL.m["birth_date"]
    assert loaded.m["region"] == DEFAULT_MODEL.m["region"]
    assert loaded.u["region"] == DEFAULT_MODEL.u["region"]
    assert loaded.m["name"] == (0.0, 0.9, 0.03, 0.03, 0.04)


def test_another_community_where_no_county_is_named_is_a_disagreement() -> None:
    # Two villages named and nothing else: not "one side does not say", but another place.
    here = rec("mz:1", "杨平", birth=BIRTH, county=None, township=None, community="人民村")
    there = rec("tw:1", "杨平", birth=BIRTH, county=None, township=None, community="新华村")
    other = compare(here, there)
    same = compare(
        here, rec("tw:2", "杨平", birth=BIRTH, county=None, township=None, community="人民村")
    )
    assert other is not None and other.evidence["region"]["level"] == "another place"
    assert other.evidence["region"]["weight"] < 0
    assert same is not None and same.evidence["region"]["weight"] > 0
    assert same.score > other.score
    # Only one side names a place: no evidence either way.
    bare = compare(here, rec("tw:3", "杨平", birth=BIRTH, county=None, township=None))
    assert bare is not None and bare.evidence["region"] == {"level": "null", "weight": 0.0}


def test_a_move_is_counted_once_by_the_organisation() -> None:
    # Another employer and another place: one person who moved changes both, so the
    # place's disagreement adds nothing beyond the employer's; at one employer it counts.
    x = rec("mz:1", "杨平", birth=BIRTH, org="红叶社工中心", county="安定区")
    moved = compare(x, rec("gh:1", "杨平", birth=BIRTH, org="陇西县人民医院", county="陇西县"))
    stayed = compare(x, rec("gh:2", "杨平", birth=BIRTH, org="红叶社工中心", county="陇西县"))
    assert moved is not None and stayed is not None
    assert moved.evidence["organization"]["level"] == "else"
    assert moved.evidence["organization"]["weight"] < 0
    assert moved.evidence["region"] == {"level": "else", "weight": 0.0}
    assert stayed.evidence["region"]["level"] == "else"
    assert stayed.evidence["region"]["weight"] < 0
    total = sum(f["weight"] for f in moved.evidence.values() if isinstance(f, dict))
    assert total + moved.evidence["prior"] == pytest.approx(
        moved.evidence["match_weight"], abs=0.05
    )


def test_a_village_name_in_another_township_is_not_the_same_community() -> None:
    # 人民村 is a name many townships have: only in the same township is it one place.
    here = rec("mz:1", "杨平", birth=BIRTH, township="蒲麻镇", community="人民村")
    same = compare(here, rec("tw:1", "杨平", birth=BIRTH, township="蒲麻镇", community="人民村"))
    other = compare(here, rec("tw:2", "杨平", birth=BIRTH, township="新添镇", community="人民村"))
    assert same is not None and same.evidence["region"]["level"] == "community"
    assert other is not None and other.evidence["region"]["level"] == "county"


def test_a_person_one_can_never_be_is_no_rival() -> None:
    # Two 张军 at one committee: the elder (born 1965; phone, committee, community) and a
    # younger colleague (his ID number, born 1986). 人社 lists the elder by his ID number
    # alone (name, birth date, sex): he matches the elder's records, and the younger one
    # cannot be him (another valid ID). The elder's ID-less records also look like the
    # younger colleague (name, committee, community) — but the elder, born 1965, can never
    # be the man born 1986, so the younger one is no alternative: the ID record joins.
    from shegong.registry.census.model import DEFAULT_MODEL

    birth_m, birth_u = list(DEFAULT_MODEL.m["birth_date"]), list(DEFAULT_MODEL.u["birth_date"])
    birth_u[1] = 1e-2  # a birth date says less: the rival's odds matter
    model = replace(
        DEFAULT_MODEL,
        m={**DEFAULT_MODEL.m, "birth_date": tuple(birth_m)},
        u={**DEFAULT_MODEL.u, "birth_date": tuple(birth_u)},
    )
    unit = {"org": "陆良县召夸镇大坡社区居民委员会", "community": "大坡社区", "township": "召夸镇"}
    elder, younger = date(1965, 6, 27), date(1986, 4, 12)
    records = [
        rec("sw:2", "张军", id_number=valid_id(younger, 305), phone="14731064156", **unit),
        rec("fl:1", "张军", id_number=valid_id(younger, 305), **unit),
        rec("cl:1", "张军", sex="male", phone="18557870640", **unit),
        rec("yj:1", "张军", sex="male", phone="18557870640", **unit),
        rec("wj:1", "张军", sex="male", birth=elder, phone="18557870640", community="大坡社区"),
        rec("rs:1", "张军", id_number=valid_id(elder, 259), township=None, county=None),
    ]
    for ordered in (records, records[::-1]):
        linker = Linker(model=model)
        for record in ordered:
            linker.add(record)
        assert same_person(linker, "rs:1", "wj:1")
        assert same_person(linker, "rs:1", "cl:1")
        assert not same_person(linker, "rs:1", "sw:2")
        assert not any({"rs:1", "wj:1"} == {r.a, r.b} for r in linker.review_queue())


def test_birth_dates_that_disagree_never_meet_in_one_person_through_a_third_record() -> None:
    # Two 李娜 at one employer, born years apart; a record without a birth date has the
    # first one's phone, and matches the second on name, sex and employer alone. It may
    # join the first, but never carry the two into one person.
    linker = Linker()
    where = {"sex": "female", "org": "红叶社工中心"}
    linker.add(rec("mz:1", "李娜", birth=date(1970, 3, 8), phone="13812345678", **where))
    linker.add(rec("fl:1", "李娜", birth=date(1988, 9, 1), **where))
    linker.add(rec("tw:1", "李娜", phone="13812345678", **where))
    assert same_person(linker, "tw:1", "mz:1")
    assert not same_person(linker, "mz:1", "fl:1")


def test_a_committee_names_the_community_its_staff_are_listed_under() -> None:
    # 民政 writes the employer (the residents' committee), 残联 the community: the same place.
    staff = rec("mz:1", "范刚伟", id_number=ID_A, org="中华路街道东关社区居民委员会", township=None)
    listed = rec("cl:1", "范刚伟", township=None, community="东关社区")
    elsewhere = rec("cl:2", "范刚伟", township=None, community="西关社区")
    near = compare(staff, listed)
    far = compare(staff, elsewhere)
    assert near is not None and near.evidence["region"]["level"] == "community"
    # Another community is no evidence for them (too weak even to queue).
    assert far is None or far.evidence["region"]["level"] != "community"
    # A 社区 column may name the committee itself: still the community.
    written = compare(listed, rec("tw:1", "范刚伟", township=None, community="东关社区居委会"))
    assert written is not None and written.evidence["region"]["level"] == "community"
    # 泉望村委会 is 泉望村's committee, written with one 村.
    village = rec("cl:3", "范刚伟", township=None, community="泉望村")
    for written in ("泉望村委会", "泉望村村委会", "泉望村民委员会"):
        found = compare(village, rec("tw:2", "范刚伟", township=None, community=written))
        assert found is not None and found.evidence["region"]["level"] == "community", written
    # Any other employer names no community.
    other = compare(rec("mz:2", "范刚伟", org="东关社区社会工作服务站", township=None), listed)
    assert other is None or other.evidence["region"]["level"] != "community"


def test_organisations_that_end_alike_are_told_apart_by_their_own_names() -> None:
    # 社区居委会, 社工中心, 志愿服务队 name the kind of unit: what comes before names the
    # unit. Two committees, agencies or teams of one kind share most of their bigrams and
    # are still two employers; one written in full and short, or with a homophone, is one.
    def level(a: str, b: str) -> str:
        x = rec("mz:1", "庄婉清", sex="female", org=a, township=None)
        y = rec("tw:1", "庄婉清", sex="female", org=b, township=None)
        found = compare(x, y)
        assert found is not None
        return str(found.evidence["organization"]["level"])

    assert level("新华社区居委会", "中华社区居委会") == "else"
    assert level("南安市爱心社工服务中心", "晋江市同心社会工作服务中心") == "else"
    assert level("古店社区志愿服务队", "上郭社区志愿服务队") == "else"
    assert level("惠民社会工作服务中心", "慧民社会工作服务中心") == "similar"
    assert level("东湖街道东街社区居委会", "东街社区居委会") == "similar"
    assert level("泉州市鲤城区乐龄社会工作服务中心", "乐龄社工中心") == "similar"
    assert level("泉州一院", "泉州市第一医院") == "similar"


def test_committees_of_one_village_name_in_two_townships_are_two_employers() -> None:
    from shegong.registry.census.names import committee_township, township_key

    assert committee_township("三岔镇龙泉村村民委员会") == township_key("三岔镇")
    assert committee_township("光安街道办事处中山社区居民委员会") == township_key("光安街道")
    assert committee_township("陆良县同乐镇银杏村村民委员会") == township_key("同乐镇")
    assert committee_township("龙泉村村委会") is None
    assert committee_township("陇西县人民医院") is None
    # 龙泉村 is a village of 盐井镇 and one of 三岔镇: the committee's full name, or the
    # record's township where the name is short, tells them apart.
    here = rec("sg:1", "张娟芳", birth=BIRTH, org="龙泉村村委会", township="盐井镇")
    there = rec("tw:1", "张娟芳", birth=BIRTH, org="三岔镇龙泉村村民委员会", township=None)
    same = rec("tw:2", "张娟芳", birth=BIRTH, org="盐井镇龙泉村村民委员会", township=None)
    short = rec("gh:1", "张娟芳", birth=BIRTH, org="龙泉村村委会", township="三岔镇")
    for other in (there, short):
        found = compare(here, other)
        assert found is not None and found.evidence["organization"]["level"] == "else"
    found = compare(here, same)
    assert found is not None and found.evidence["organization"]["level"] == "similar"
    # Where neither says its township, the names compare as before.
    bare = compare(
        rec("sg:2", "张娟芳", birth=BIRTH, org="龙泉村村委会", township=None),
        rec("gh:2", "张娟芳", birth=BIRTH, org="龙泉村村委会", township=None),
    )
    assert bare is not None and bare.evidence["organization"]["level"] == "exact"


def test_the_same_landline_is_its_own_level() -> None:
    # A household's or a unit's landline is shared by design: its agreement is a level of
    # its own, learned apart from a person's own mobile (and weighing less by default).
    def with_kind(record: CensusRecord, kind: str) -> CensusRecord:
        return replace(record, phone_kind=kind)

    office = "0874-4022758"
    landline = compare(
        with_kind(rec("cl:1", "杨平", phone=office), "landline"),
        with_kind(rec("yj:1", "杨平", phone=office), "landline"),
    )
    mobile = compare(
        with_kind(rec("cl:2", "杨平", phone="13987654321"), "mobile"),
        with_kind(rec("yj:2", "杨平", phone="13987654321"), "mobile"),
    )
    assert landline is not None and mobile is not None
    assert landline.evidence["phone"]["level"] == "same landline"
    assert mobile.evidence["phone"]["level"] == "exact"
    assert 0 < landline.evidence["phone"]["weight"] < mobile.evidence["phone"]["weight"]


def test_an_office_number_written_for_a_units_staff_weighs_as_shared() -> None:
    """A unit writes its office landline for each of its staff: the phone agrees between
    colleagues with different names, which says much less than a person's own number. Its
    weight follows how many records carry it under other names, in any order; colleagues
    are neither linked nor queued, and a colleague's namesake with her own mobile still
    links to her on that mobile."""
    from shegong.registry.census.model import DEFAULT_MODEL

    # A model as a city learns it: a different name is strong evidence of two people.
    name_m, name_u = list(DEFAULT_MODEL.m["name"]), list(DEFAULT_MODEL.u["name"])
    name_m[4], name_u[4] = 0.003, 0.997
    model = replace(
        DEFAULT_MODEL,
        m={**DEFAULT_MODEL.m, "name": tuple(name_m)},
        u={**DEFAULT_MODEL.u, "name": tuple(name_u)},
    )
    office = "0874-4022758"
    staff = ["张建国", "李秀兰", "王德明", "赵丽华", "陈志强", "刘桂芳", "杨文博", "黄海燕"]
    unit = {"org": "陆良县同乐镇银杏村村民委员会", "community": "银杏村", "township": "同乐镇"}
    records = [rec(f"disabled:{i}", n, phone=office, **unit) for i, n in enumerate(staff)]
    records.append(rec("health:1", "赵丽华", phone="13987654321", birth=date(1980, 3, 4), **unit))
    records.append(rec("aging:1", "赵丽华", phone="13987654321", **unit))
    linkers = []
    for ordered in (records, records[::-1]):
        linker = Linker(model=model)
        for record in ordered:
            linker.add(record)
        linkers.append(linker)
    first, second = linkers
    assert partition(first) == partition(second)
    assert [(r.a, r.b, r.score) for r in first.review_queue()] == [
        (r.a, r.b, r.score) for r in second.review_queue()
    ]
    assert not any(
        r.a.startswith("disabled:") and r.b.startswith("disabled:") for r in first.review_queue()
    )
    assert len({first.person_of(r.key) for r in records[:8]}) == 8
    own = [link for link in first.links("aging:1") if "health:1" in (link.a, link.b)]
    assert own and own[0].evidence["phone"]["level"] == "exact"
    office_weight = first._phone_weight_of(first._recs["disabled:0"].phone)
    assert office_weight is not None
    assert office_weight < own[0].evidence["phone"]["weight"] - 5


def _name_weight_of_link(linker: Linker, key: str) -> float:
    """The name's weight on the links that hold ``key`` in its person (one value)."""
    (weight,) = {float(link.evidence["name"]["weight"]) for link in linker.links(key)}
    return weight


def test_a_bare_record_beside_the_only_other_holder_of_its_name_weighs_its_base_rate() -> None:
    # 梁琳梅 on three records of one ID number, and a list's bare row (name, sex, village):
    # nobody else carries the name, so the name weighs its base rate (the model's floor),
    # not its count in the census (four records, less a person's mean two).
    from shegong.registry.census.model import DEFAULT_MODEL

    where = {"community": "东关社区", "county": None, "township": None}
    person = [
        rec("rs:1", "梁琳梅", id_number=ID_A, **where),
        rec("rs:2", "梁琳梅", id_number=ID_A),
        rec("sw:1", "梁琳梅", id_number=ID_A, phone="13912345678", **where),
    ]
    bare = rec("tw:1", "梁琳梅", sex="male", **where)
    # Another holder of the name: an ID of its own (a woman's, in the village too: there
    # the person is not the one holder of the name either — ``namesakes._sole_at_unit``),
    # and a bare row elsewhere.
    others = [
        rec("gh:1", "梁琳梅", id_number=ID_C, phone="13700000001", community="东关社区"),
        rec("fl:1", "梁琳梅", sex="male", community="西关社区", county=None, township=None),
    ]
    floor = DEFAULT_MODEL.name_weight_apart(0.0, False)
    counted = DEFAULT_MODEL.name_weight(4, False)
    assert floor > counted + 2

    for ordered in ([*person, bare], [bare, *person[::-1]]):
        linker = Linker()
        for record in ordered:
            linker.add(record)
        assert same_person(linker, "tw:1", "rs:1")
        assert _name_weight_of_link(linker, "tw:1") == pytest.approx(floor, abs=0.01)
        for record in others:
            linker.add(record)
        # Another person carries the name now: its count decides again, for every pair.
        assert _name_weight_of_link(linker, "tw:1") < floor - 1
        alone = Linker()
        for record in [*others, bare, *person][::-1]:
            alone.add(record)
        assert partition(alone) == partition(linker)
        assert _name_weight_of_link(alone, "tw:1") == _name_weight_of_link(linker, "tw:1")


def test_two_anchored_namesakes_apart_are_weighed_by_the_name_count() -> None:
    # An ID's records and a phone's records of one name: two holders the census sees,
    # each on its own, so neither pair between them gets the name's base rate.
    from shegong.registry.census.namesakes import anchor_groups, sole_holders
    from shegong.registry.census.scoring import _Rec

    recs = [
        _Rec(rec("rs:1", "梁琳梅", id_number=ID_A)),
        _Rec(rec("sw:1", "梁琳梅", id_number=ID_A, phone="13912345678")),
        _Rec(rec("jy:1", "梁琳梅", phone="13800000002")),
        _Rec(rec("tw:1", "梁琳梅", phone="13800000002", sex="male")),
        _Rec(rec("fl:1", "梁琳梅", sex="male")),
    ]
    groups = anchor_groups(recs)
    assert groups["rs:1"] == groups["sw:1"] == ("rs:1", 2)
    assert groups["jy:1"] == groups["tw:1"] == ("jy:1", 2)
    assert groups["fl:1"] == ("fl:1", 1)
    rs, _, jy, _, fl = recs
    assert not sole_holders(groups, 5, rs, jy)  # both anchored
    assert not sole_holders(groups, 5, rs, fl)  # the phone's group holds the name too
    assert sole_holders(anchor_groups([rs, fl]), 2, rs, fl)


def test_a_record_without_a_county_takes_the_one_its_employer_names() -> None:
    # 人社's certificate list has no county column, but its employer's name says 陆良县:
    # beside a namesake listed under 沾益区 that is another county; under 陆良县, the same.
    cert = rec("rs:1", "张强伟", sex="male", org="陆良县光荣院", county=None, township=None)
    there = rec("yj:1", "张强伟", sex="male", county="沾益区", township=None)
    here = rec("yj:2", "张强伟", sex="male", county="陆良县", township=None)
    far, near = compare(cert, there), compare(cert, here)
    assert far is None or far.evidence["region"]["level"] == "else"
    assert near is not None and near.evidence["region"]["level"] == "county"
    assert far is None or far.score < near.score
    # Words for an area that is no district (社区, 景区, 校区) name no county.
    from shegong.registry.census.comparison import Features

    for org in ("城关社区居委会", "风景区管理局", "东校区后勤处"):
        assert Features(rec("rs:2", "张强伟", org=org, county=None)).county is None
    assert Features(rec("rs:3", "张强伟", org="曲靖市麒麟区第一中学", county=None)).county == "麒麟"


def test_two_people_behind_the_same_masked_number_are_not_one_id() -> None:
    """Departments publish ID numbers masked (530102********0021): two people of one
    district whose numbers end alike show the same mask, which is no ID match — it neither
    links them nor sends them to a clerk as 'the same ID number, names differ'."""
    masked = "621102********2314"
    linker = Linker()
    for key, name, phone in (
        ("a:1", "张三", "13812345678"),
        ("a:2", "李四", "13912345678"),
        ("b:1", "王五", None),
    ):
        linker.add(
            replace(rec(key, name, phone=phone), id_parts=HASHER.id_parts(masked), id_masked=masked)
        )
    linker.train()
    assert partition(linker) == {frozenset({"a:1"}), frozenset({"a:2"}), frozenset({"b:1"})}
    assert linker.review_queue() == []


@pytest.mark.parametrize(
    ("typed", "level"),
    [
        ("13812345679", "one slip"),  # the last digit mistyped
        ("13812354678", "one slip"),  # two neighbours swapped
        ("13912345678", "one slip"),  # the operator's prefix mistyped
        ("13898765432", "else"),  # another number
    ],
)
def test_a_phone_with_one_digit_mistyped_is_its_own_level(typed: str, level: str) -> None:
    # A volunteer list without ID numbers: its clerk typed one digit of the phone wrong.
    known = rec("mz:1", "汪玲霞", id_number=ID_A, phone="13812345678", community="长虹社区")
    volunteer = rec("ty:1", "汪玲霞", sex="female", phone=typed, community="长虹社区")
    pair = compare(known, volunteer)
    assert pair is not None and pair.evidence["phone"]["level"] == level
    linker = Linker()
    linker.add(known)
    linker.add(volunteer)
    assert same_person(linker, "mz:1", "ty:1") == (level == "one slip")


def test_a_phones_parts_are_the_same_however_the_number_is_written() -> None:
    ways = ["0816-2345678", "+86 816 2345678", "08162345678"]
    rows = [
        RosterRow("mz", str(i), "杨平", None, None, None, way, None, None, None, None)
        for i, way in enumerate(ways)
    ]
    parts = {HASHER.phone_parts(well_formed_phone(way) or way) for way in ways}
    assert len(parts) == 1
    (one,) = parts
    # keyed digests, never the digits
    assert "2345678" not in one and "816" not in one
    held = {to_census_record(row, HASHER).phone_parts for row in rows}
    assert len(held) == 1 and None not in held


def test_a_published_mask_links_by_the_digits_it_shows() -> None:
    """A department that publishes ID numbers masked (6211**********2314) still shows the
    order and check digits: beside the same name they agree with the full number as a
    slip would, and a mask that shows other digits is another number. Birth dates that
    disagree stay a veto: the mask hides the date, it excuses nothing."""
    full = valid_id(BIRTH, 231)
    shown = f"{full[:4]}{'*' * 10}{full[-4:]}"
    other = f"{full[:4]}{'*' * 10}{valid_id(BIRTH, 457)[-4:]}"

    def masked_rec(key: str, mask: str, **kw: object) -> CensusRecord:
        return replace(rec(key, "郭晓彤", **kw), id_parts=HASHER.id_parts(mask), id_masked=mask)

    cases = {
        "tj:1": masked_rec("tj:1", shown, org="城关街道社工站"),
        "tj:2": masked_rec("tj:2", other, org="城关街道社工站"),
        "tj:3": masked_rec("tj:3", shown, birth=date(1990, 1, 2), org="城关街道社工站"),
    }
    for key, masked_record in cases.items():
        linker = Linker()
        linker.add(rec("mz:1", "郭晓彤", id_number=full, org="同乐社区居委会"))
        for n in range(40):  # the city around them: what the model learns from
            linker.add(rec(f"x:{n}", f"路人{n}", id_number=valid_id(BIRTH, 500 + 2 * n)))
        linker.add(masked_record)
        assert same_person(linker, "mz:1", key) == (key == "tj:1"), key
    known = Features(rec("mz:1", "郭晓彤", id_number=full))
    assert [compare_levels(known, Features(r))[0] for r in cases.values()] == [2, 3, 2]


def test_a_mask_showing_other_digits_is_another_number_through_third_records() -> None:
    """Namesakes born the same day in two provinces: one has a full number, the other a
    published mask (522601********xxxx) showing another region and other order and check
    digits. No third record that matches both (a volunteer list: name, birth date, no
    number) makes them one person — the mask is another number, as a valid one would be.
    One part differing (a typo in the mask) stays a question of weights, not a veto."""
    born = date(2002, 1, 24)
    full = valid_id(born, 231, "440307")
    other = valid_id(born, 457, "522601")
    mask = f"{other[:6]}{'*' * 8}{other[-4:]}"
    typo = f"{full[:6]}{'*' * 8}{full[-4:-1]}{'X' if full[-1] != 'X' else '0'}"

    def masked_rec(key: str, shown: str, **kw: object) -> CensusRecord:
        return replace(rec(key, "冯华霞", **kw), id_parts=HASHER.id_parts(shown), id_masked=shown)

    known = Features(rec("rs:1", "冯华霞", id_number=full))
    assert compare_levels(known, Features(masked_rec("dq:1", mask)))[0] == 3
    from shegong.registry.census.comparison import veto

    pair = (known, Features(masked_rec("dq:1", mask)))
    assert veto(*pair, compare_levels(*pair)) == "ID numbers that show other digits"
    one = (known, Features(masked_rec("dq:2", typo)))
    assert veto(*one, compare_levels(*one)) is None
    linker = Linker()
    linker.add(rec("rs:1", "冯华霞", id_number=full, phone="13800000001", community="长虹社区"))
    for n in range(40):  # the city around them
        linker.add(rec(f"x:{n}", f"路人{n}", id_number=valid_id(BIRTH, 500 + 2 * n)))
    linker.add(masked_rec("dq:1", mask, birth=born, sex="male", phone="13900000002"))
    # A volunteer list's row: his phone, and the other's birth date, sex and community.
    linker.add(
        rec("ty:1", "冯华霞", birth=born, sex="male", phone="13900000002", community="长虹社区")
    )
    linker.train()
    assert same_person(linker, "dq:1", "ty:1") and not same_person(linker, "rs:1", "dq:1")


def test_a_given_name_written_alone_is_a_name_in_parts_written_short() -> None:
    """伊力哈木·艾山 is the given name, then the father's: a volunteer list that writes
    伊力哈木 with his phone and birth date names him. Where two men of that given name
    are on the rosters, the short name is a clerk's question, not a link to either."""
    born = date(1990, 3, 8)
    linker = Linker()
    linker.add(
        rec("rs:1", "伊力哈木·艾山", id_number=valid_id(born, 231, "650102"), phone="13800000001")
    )
    for n in range(40):  # the city around them
        linker.add(rec(f"x:{n}", f"路人{n}", id_number=valid_id(BIRTH, 500 + 2 * n)))
    linker.add(rec("ty:1", "伊力哈木", birth=born, sex="male", phone="13800000001"))
    linker.add(rec("ty:2", "艾山", birth=born, sex="male", phone="13800000001"))  # the father's
    assert same_person(linker, "rs:1", "ty:1")
    assert not same_person(linker, "rs:1", "ty:2")
    pair = (Features(rec("a:1", "伊力哈木-艾山")), Features(rec("a:2", "伊力哈木")))
    assert compare_levels(*pair)[1] == 3
    # A long name cut to its first or last four characters or more is cut, too; a name
    # of three inside another is not (张建华 / 欧阳张建华 share less than a name).
    level = {
        (a, b): compare_levels(Features(rec("a:1", a)), Features(rec("a:2", b)))[1]
        for a, b in (
            ("格桑丹增拉姆", "丹增拉姆"),
            ("普布次仁尼玛", "普布次仁"),
            ("欧阳张建华", "张建华"),
        )
    }
    assert list(level.values()) == [3, 3, 4]
    # A name cut by a system's field length after its first part keeps the dot it ended
    # on (海力其古丽. of 海力其古丽·麦麦提敏): the given name alone, too.
    cut = (Features(rec("a:1", "海力其古丽·麦麦提敏")), Features(rec("a:2", "海力其古丽.")))
    assert compare_levels(*cut)[1] == 3
    # The given name alone, transcribed another way (热依罕 / 热依汗, 古丽 / 姑丽) by the
    # list that writes it short: still the given name; another given name is not.
    for full, short, level in (
        ("热依罕·买合木提", "热依汗", 3),
        ("帕提古丽·艾力", "帕提姑丽", 3),
        ("帕提古丽·艾力", "米热古丽", 4),
        ("吐尔逊·艾山", "吐尔孙", 3),  # a given name in parts is no Han name: 逊 / 孙
        ("达吾列提木拉提", "达吾烈提", 3),  # a long name cut, its part transcribed otherwise
        ("艾力·吐尔逊", "艾山", 4),
    ):
        short_form = (Features(rec("a:1", full)), Features(rec("a:2", short)))
        assert compare_levels(*short_form)[1] == level, (full, short)

    rivals = Linker()
    rivals.add(rec("rs:1", "阿依努尔·吾买尔", id_number=valid_id(born, 242, "650102")))
    rivals.add(rec("rs:2", "阿依努尔·买买提", id_number=valid_id(born, 262, "653201")))
    for n in range(40):
        rivals.add(rec(f"x:{n}", f"路人{n}", id_number=valid_id(BIRTH, 500 + 2 * n)))
    rivals.add(rec("ty:1", "阿依努尔", birth=born, sex="female"))
    assert not same_person(rivals, "rs:1", "ty:1") and not same_person(rivals, "rs:2", "ty:1")
