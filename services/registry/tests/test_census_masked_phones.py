"""A volunteer platform's export (志愿汇, i志愿) publishes a mobile masked, 138****5678, and
an ID number by its last four (身份证后四位): partial evidence — consistent with another
list's full number, not equal to it. The row keeps what its cells show, and the census
weighs the shown digits: a mask that agrees with a namesake's number links them, one
showing other digits is a phone that differs (the mask was dropped as "not a valid phone
number", and the 后四位 column ignored)."""

from __future__ import annotations

import csv
import io

from shegong.kernel.data.identity import PersonalDataHasher, mask_phone
from shegong.registry.census.comparison import COMPARISONS, LEVELS, Features, compare_levels
from shegong.registry.census.linkage import CensusRecord, Linker
from shegong.registry.census.writes import census_record
from shegong.registry.imports import parse_roster

HASHER = PersonalDataHasher("census-masked-phone-key-0123456789")
FULL = "13812345678"


def parsed(header: list[str], *rows: list[str]):  # type: ignore[no-untyped-def]
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return parse_roster(out.getvalue().encode("utf-8"), "志愿者导出.csv").rows


def test_a_masked_mobile_keeps_the_digits_it_shows_with_a_warning() -> None:
    rows = parsed(
        ["志愿者编号", "姓名", "手机号"],
        ["Z1", "王伟", "138****5678"],
        ["Z2", "李娜", "１３８＊＊＊＊５６７８"],
        ["Z3", "张敏", "138 xxxx 5678"],
        ["Z4", "陈静", "138***5678"],  # three hidden: not a mobile's mask
    )
    assert [r.phone_shown for r in rows] == ["138****5678"] * 3 + [None]
    assert all(r.phone is None and r.phone_digits is None for r in rows)
    assert "compared in the census" in rows[0].warnings[0]
    assert "人员库按显示的数字比对" in rows[0].warnings[0]
    assert "not a valid phone number" in rows[3].warnings[0]  # dropped, as before
    # a number not in use is kept for the census by its digits, and by its mask too: the
    # census compares it with a list that publishes it masked (it had no mask, so never)
    (unused,) = parsed(["编号", "姓名", "手机号码"], ["G1", "李华健", "17435878419"])
    assert unused.phone is None and unused.phone_digits == "17435878419"
    assert unused.phone_shown == "174****8419"
    # the registry masks a full number to the same form: the census compares the two
    assert mask_phone(FULL) == "138****5678"


def test_an_id_numbers_last_four_column_is_a_published_mask() -> None:
    (row,) = parsed(["志愿者编号", "姓名", "身份证后四位"], ["I1", "王伟", "123x"])
    assert row.raw_id_number == "*" * 14 + "123X"
    assert row.id_number is None and "masked" in (row.id_problem or "")
    full = "44120219900101123X"
    shown = HASHER.id_parts(row.raw_id_number)
    assert shown is not None and shown.split(".")[2:] == HASHER.id_parts(full).split(".")[2:]


def record(key: str, name: str, phone: str, **fields: object) -> CensusRecord:
    """A census record as the registry's census table holds it (``census_record``): a
    full number's hash and display mask, or a mask published alone."""
    full = "*" not in phone
    row = dict.fromkeys(("id_hash", "id_masked", "birth_date", "gender", "county"), None)
    row |= dict.fromkeys(("organization", "township", "community"), None)
    row |= {
        "key": key,
        "department": key.split(":")[0],
        "name": name,
        "phone_hash": HASHER.phone(phone) if full else None,
        "phone_parts": HASHER.phone_parts(phone) if full else None,
        "phone_masked": mask_phone(phone) if full else phone,
    }
    return census_record(row | fields)


def crowd(linker: Linker, name: str, n: int = 40) -> None:
    """``n`` namesakes elsewhere, each with a mobile of their own."""
    for i in range(n):
        linker.add(record(f"red-cross:{i}", name, f"1370000{i:04d}", organization=f"第{i}中学"))


def test_a_mask_that_agrees_links_namesakes_among_many() -> None:
    """王伟 of 民政 with his number, 王伟 of 志愿汇 with its mask, forty other 王伟: the
    mask's seven digits agree with one of them only — one person, in either order."""
    full = record("civil-affairs:1", "王伟", FULL)
    mask = record("volunteer:1", "王伟", "138****5678")
    for first, second in ((full, mask), (mask, full)):
        linker = Linker()
        crowd(linker, "王伟")
        linker.add(first)
        linker.add(second)
        (link,) = linker.links("volunteer:1")
        assert link.evidence["phone"]["level"] == "mask", first.key
        assert linker.person_of(full.key) == linker.person_of(mask.key)


def test_a_mask_showing_other_digits_is_a_phone_that_differs() -> None:
    """The mask's digits differ from the number's: the phones differ, evidence against
    (a full number beside another is the same level); the mask was no evidence at all."""
    a = Features(record("civil-affairs:1", "梁伟", "15049779580"))
    b = Features(record("civilization:1", "梁伟", "184****1721"))
    c = Features(record("civilization:2", "梁伟", "150****9580"))
    phone = COMPARISONS.index("phone")
    assert LEVELS["phone"][compare_levels(a, b)[phone]] == "else"
    assert LEVELS["phone"][compare_levels(a, c)[phone]] == "mask"
    assert LEVELS["phone"][compare_levels(b, c)[phone]] == "else"
    # two exports' masks alike: as strong as a slip, never the same number
    d = Features(record("volunteer:3", "梁伟", "150****9580"))
    assert LEVELS["phone"][compare_levels(c, d)[phone]] == "mask"


def test_a_learned_model_weighs_a_mask_by_the_numbers_it_hides() -> None:
    """A city whose records met by ID number and phone teach the model how often one
    person's numbers agree; its volunteer list gives names shared by twenty people each
    and masks only. The mask's own m cannot be learned from the pairs training sees (no
    ID number, phone or birth date meets a mask): learned so, it weighed 4 bits and left
    each volunteer apart or in the queue; as the hidden number's agreement, it decides."""
    linker = Linker()
    for i in range(400):
        number = f"139{i:08d}"
        name = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"[i % 20] + "伟"
        body = f"44120219{80 + i % 20}0101{i:03d}"  # 17 digits and the check character
        valid = body + "10X98765432"[sum(int(c) * w for c, w in zip(body, W, strict=True)) % 11]
        same = {"id_hash": HASHER.id_number(valid), "birth_date": None}
        linker.add(record(f"civil-affairs:{i}", name, number, **same))
        linker.add(record(f"health:{i}", name, number, **same))
        linker.add(record(f"volunteer:{i}", name, mask_phone(number)))
    linker.train()
    persons = {frozenset(keys) for keys in linker.persons().values()}
    assert all(len({key.split(":")[1] for key in p}) == 1 for p in persons)  # no strangers
    assert len(persons) == 400, len(persons)


W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def test_a_mask_is_another_holder_of_the_name_in_the_community() -> None:
    """梁伟 of 民政 (ID number, mobile) is the one 梁伟 the community 桂园 is seen to have;
    a second 梁伟 of that community on two volunteer lists gives a mask of another number.
    Taken for a bare record (a list of names), the mask was no other holder: the name
    weighed as if rare there (15.6 bits) and made strangers one person. A mask is a holder
    of its own: the name weighs by its count, and the mask that agrees still links."""
    place = {"county": "南港区", "township": "沙头街道", "community": "桂园社区"}
    linker = Linker()
    crowd(linker, "梁伟", 6)
    linker.add(record("civil-affairs:1", "梁伟", "15049779580", **place))
    linker.add(record("civilization:1", "梁伟", "184****1721", **place))
    linker.add(record("volunteer:1", "梁伟", "184****1721"))
    linker.add(record("volunteer:2", "梁伟", "150****9580"))
    assert linker.person_of("civil-affairs:1") != linker.person_of("civilization:1")
    assert linker.person_of("civilization:1") == linker.person_of("volunteer:1")
    assert linker.person_of("civil-affairs:1") == linker.person_of("volunteer:2")
