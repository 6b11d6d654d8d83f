"""What a pair's fields say when one roster writes them otherwise than another: a mobile
beside a landline, a phone or a name typed another way; and what training learns from."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from shegong.kernel.data.identity import PersonalDataHasher, mask_id_number, parse_resident_id
from shegong.registry.census.linkage import CensusRecord, Linker, compare
from shegong.registry.census.model import DEFAULT_MODEL

HASHER = PersonalDataHasher("census-evidence-test-key-0123456789")
_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def valid_id(region: str, birth: date, order: int) -> str:
    body = f"{region}{birth:%Y%m%d}{order:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _W, strict=True)) % 11]


def record(key: str, name: str, *, number: str | None = None, **fields: object) -> CensusRecord:
    """A record as a registry node emits it: a valid number's hash, its parts and its
    mask; a masked number's parts (the hidden ones empty) and the mask as published."""
    valid = None
    if number and "*" not in number:
        valid = parse_resident_id(number)
        fields.setdefault("birth_date", valid.birth_date)
        fields.setdefault("sex", valid.sex)
    phone = fields.pop("phone", None)
    return CensusRecord(
        key=key,
        department=key.split(":")[0],
        name=name,
        id_hash=HASHER.id_number(number) if valid else None,
        id_masked=(mask_id_number(number) if valid else number) if number else None,
        id_parts=HASHER.id_parts(number) if number else None,
        phone_hash=HASHER.phone(phone) if isinstance(phone, str) else None,
        phone_parts=HASHER.phone_parts(phone) if isinstance(phone, str) else None,
        **fields,  # type: ignore[arg-type]
    )


FULL = valid_id("231005", date(1965, 6, 3), 255)
UNIT = {"organization": "牡丹江市爱心志愿者协会", "county": "西安区"}


def test_a_mobile_beside_a_landline_is_no_evidence_either_way() -> None:
    """A union lists its members at the unit's office landline, the grid office at their
    mobiles: the kinds differ by the departments' habits, for one person as for two. Even
    a model whose training saw few such pairs among one person's records (the rosters
    that write landlines carry no ID number or birth date to train on) weighs it 0."""
    phone_m = list(DEFAULT_MODEL.m["phone"])
    phone_m[3] = 0.001  # as such training learns it: far below its u
    model = replace(DEFAULT_MODEL, m={**DEFAULT_MODEL.m, "phone": tuple(phone_m)})
    unit = {"organization": "牡丹江市东北虎志愿者协会", "township": "山市镇", "sex": "female"}
    grid = record("grid:1", "韩思", phone="13723875085", **unit)
    union = record("union:1", "韩思", phone="0453-6803048", **unit)
    without = record("union:1", "韩思", **unit)
    linker = Linker(model=model)
    for r in (grid, union):
        linker.add(replace(r, phone_kind="mobile" if r is grid else "landline"))
    (link,) = linker.links("union:1")
    assert link.evidence["phone"] == {"level": "mobile vs landline", "weight": 0.0}
    alone = Linker(model=model)
    alone.add(replace(grid, phone_kind="mobile"))
    alone.add(without)
    (bare,) = alone.links("union:1")
    assert link.score == bare.score
    assert model.as_dict()["m"]["phone"][2] == 0.001  # the learned m is kept, shown as is


def test_u_of_an_exact_phone_counts_two_peoples_pairs_not_one_persons() -> None:
    """u is how often two *different* people agree. In a census of a few thousand people
    with two or three records each, most pairs that share a mobile are one person's
    records (the same valid ID, or the same name beside it): counted, they made an exact
    mobile weigh as if one pair of people in five thousand shared one, the chance of drawing
    one person twice. Only a household's two members sharing a number are two people."""
    from shegong.registry.census.features import Features
    from shegong.registry.census.training import estimate_u

    records = []
    surnames, given = "王李张刘陈杨黄赵吴周", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
    for i in range(200):
        name = surnames[i % 10] + given[i // 10] + given[(i * 7) % 20]
        number = valid_id("231002", date(1970 + i % 30, 1 + i % 12, 1 + i % 28), i)
        phone = f"139{i:08d}"
        records.append(record(f"mz:{i}", name, number=number, phone=phone))
        records.append(record(f"tw:{i}", name, phone=phone))  # a volunteer list: no ID
        records.append(record(f"gh:{i}", name, number=number, phone=phone))
    # a household: two people, one number
    records.append(record("cl:1", "马雨欣", phone="13800000001"))
    records.append(record("cl:2", "罗敏", phone="13800000001"))
    u, _ = estimate_u([Features(replace(r, phone_kind="mobile")) for r in records], seed=1)
    n = len(records)
    household = 2 / (n * (n - 1) - 200 * 6)  # one pair of two people, ordered twice
    assert u["phone"][1] < 3 * household


def test_a_mobile_written_with_86_and_a_dash_is_still_compared() -> None:
    """+86 139…, 0086 139… and 86-139… are one mobile. A number libphonenumber does not
    know as allocated is still compared by its digits — but written 86-148…, it was
    dropped from the row ("not a valid phone number") where +86 148… was kept."""
    from shegong.registry.imports.roster import parse_roster

    text = "姓名,手机号码\n张三,+86 14855117563\n李四,86-14855117563\n王五,86 148 5511 7563\n"
    parsed = parse_roster(("\ufeff" + text).encode(), "名单.csv")
    digits = [row.phone or row.phone_digits for row in parsed.rows]
    assert len(set(digits)) == 1 and digits[0] is not None and digits[0].endswith("14855117563")


def test_a_dash_typed_for_the_middle_dot_is_the_same_name() -> None:
    """A form that does not take the middle dot gets a hyphen or a dash instead
    (阿卜杜-热合曼, 阿卜杜—热合曼): the same name as 阿卜杜·热合曼, as 阿卜杜.热合曼 and
    阿卜杜热合曼 already were."""
    dotted = record("civil-affairs:1", "阿卜杜·热合曼", number=FULL, **UNIT)
    for typed in ("阿卜杜-热合曼", "阿卜杜—热合曼", "阿卜杜－热合曼", "阿卜杜 - 热合曼"):
        decided = compare(dotted, record("charity:1", typed, **UNIT))
        assert decided is not None, typed
        assert decided.evidence["name"]["level"] == "exact", typed


def test_u_of_an_id_slip_counts_strangers_numbers_that_agree_on_three_parts() -> None:
    """Most numbers of a county share its region code: two people's agree besides on the
    order and check digits one pair in a few thousand (city15: 张月怡's mistyped number
    beside 刘凤梅's), and a slip is three parts of four. Learned from 40,000 random pairs,
    which see none, the slip's u was the floor: a slip weighed 20 bits, more than the same
    number, and strangers' records of two names waited for a clerk. Counted from the parts'
    values, u is the strangers' pairs that agree so."""
    from shegong.registry.census.features import Features
    from shegong.registry.census.training import estimate_u

    records = []
    surnames, given = "王李张刘陈杨黄赵吴周", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
    for i in range(2000):  # 2,000 people, each number of its own region and order
        name = surnames[i % 10] + given[i // 100] + given[(i * 7) % 20]
        born = date(1960 + i % 40, 1 + i % 12, 1 + i % 28)
        region = "231002" if i < 1000 else "231003"
        records.append(record(f"mz:{i}", name, number=valid_id(region, born, i % 1000)))
    strangers = 0
    for j in range(0, 1000, 200):  # five strangers share a region, order and check digit
        target = valid_id("231002", date(1960 + j % 40, 1 + j % 12, 1 + j % 28), j)
        day = date(2001, 1, 1)
        while (number := valid_id("231002", day, j))[-1] != target[-1]:
            day = date.fromordinal(day.toordinal() + 1)
        records.append(record(f"tw:{j}", f"马{given[j % 20]}", number=number))
        strangers += 1
    u, _ = estimate_u([Features(r) for r in records], seed=1)
    n = len(records)
    expected = 2 * strangers / (n * (n - 1))
    assert expected / 2 < u["id"][2] < 2 * expected


def test_explanations_share_one_entry_a_comparison_level_and_weight() -> None:
    """A linker holds an explanation an edge kind; adding a comparison (the certificate)
    multiplies the kinds: a comparison's level and weight are one dict for all of them,
    not one an explanation (the linker's memory, issue 13)."""
    a = DEFAULT_MODEL.explain((1, 1, 1, 1, 0, 0, 0, 0, 0), 8.0)
    b = DEFAULT_MODEL.explain((0, 1, 1, 1, 0, 3, 0, 2, 0), 8.0)
    assert a is not b and a["sex"] is b["sex"] and a["birth_date"] is b["birth_date"]
    assert a["name"] == b["name"] == {"level": "exact", "weight": 8.0}


def two_names_at_one_phone(prefix: str, names: tuple[str, str], **fields: object) -> Linker:
    """Each of two names twice at one mobile (a household's or a unit's), with ``fields``,
    in a linker whose λ is what a city of many volunteer lists learns (锦城市's: a prior
    weight of -11.3). The records are ``prefix:1`` … ``prefix:4``."""
    linker = Linker(model=replace(DEFAULT_MODEL, prior=4e-4))
    for i, name in enumerate((names[0], names[0], names[1], names[1]), 1):
        r = record(f"{prefix}:{i}", name, phone="13912345678", **fields)
        linker.add(replace(r, phone_kind="mobile"))
    assert linker.person_of(f"{prefix}:1") == linker.person_of(f"{prefix}:2")
    assert linker.person_of(f"{prefix}:3") == linker.person_of(f"{prefix}:4")
    assert linker.person_of(f"{prefix}:1") != linker.person_of(f"{prefix}:3")
    return linker


def test_a_households_phone_and_community_are_one_piece_of_evidence() -> None:
    """王凯浩 (a resident's record, his own ID-less row) and 王建 on a volunteer list at
    the household's one mobile, both in one community: the phone that two names carry is
    the household's, and a household lives in one community, so the community's agreement
    follows from the phone's. Counted twice, the two men were a clerk's question (match
    probability 0.98 with "names differ"); counted once, too unlikely to ask. The same man
    listed twice at that phone is still linked."""
    home = {"community": "锦江社区", "township": "东城街道", "county": "锦江区", "sex": "male"}
    linker = two_names_at_one_phone("zy", ("王凯浩", "王建"), **home)
    assert linker.review_queue() == []
    (link,) = linker.links("zy:2")
    assert link.evidence["region"]["weight"] == 0.0  # counted in the phone's


def test_a_units_phone_and_the_unit_it_implies_are_one_piece_of_evidence() -> None:
    """A station's clerk types the station's own phone for the volunteers he registers:
    陈伟宁 and 陈磊 at that number, both of the station. The phone that two names carry is
    the unit's, and the unit's people are of the unit, so the employer's agreement follows
    from the phone's: not a clerk's question. The same volunteer listed twice there is
    still linked."""
    unit = {"organization": "锦江区东城街道社工站", "county": "锦江区", "sex": "male"}
    linker = two_names_at_one_phone("fw", ("陈伟宁", "陈磊"), **unit)
    assert linker.review_queue() == []
