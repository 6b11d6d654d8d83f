"""Names and employers as other departments write them: a name spelt in Latin letters (a
passport's or a volunteer platform's spelling), a residents' committee of one name in
another county."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.registry.census.comparison import COMPARISONS, LEVELS
from shegong.registry.census.linkage import CensusRecord, Linker, compare
from shegong.registry.census.model import DEFAULT_MODEL
from shegong.registry.census.romanisations import spelt_in_romanisation

HASHER = PersonalDataHasher("census-spelling-test-key-0123456789")


def record(key: str, name: str, phone: str | None = None, **fields: object) -> CensusRecord:
    return CensusRecord(
        key=key,
        department=key.split(":")[0],
        name=name,
        phone_hash=HASHER.phone(phone) if phone else None,
        phone_parts=HASHER.phone_parts(phone) if phone else None,
        phone_kind="mobile" if phone else None,
        **fields,  # type: ignore[arg-type]
    )


def assert_one_by_sound(a: tuple[str, str], b: tuple[str, str], fields: dict[str, object]) -> None:
    """Records (key, name) ``a`` and ``b``, one mobile and ``fields`` beside: linked, the
    names weighed as one sound, nothing for a clerk."""
    linker = Linker()
    linker.add(record(a[0], a[1], "15309840174", **fields))
    linker.add(record(b[0], b[1], "15309840174", **fields))
    (link,) = linker.links(b[0])
    assert link.evidence["name"]["level"] == "same pinyin"
    assert linker.review_queue() == []


def test_a_name_spelt_in_pinyin_is_the_same_sound() -> None:
    """WANG WEN JING, Wang Wenjing and Wenjing Wang (the surname last, as a passport or
    an English form writes it) spell 王文静; 欧阳 as a surname of two syllables too."""
    from shegong.registry.census.names import written_in_pinyin

    for spelt in ("WANG WEN JING", "Wang Wenjing", "Wenjing Wang", "wangwenjing"):
        assert written_in_pinyin("".join(spelt.split()).casefold(), "wang wen jing"), spelt
    assert written_in_pinyin("nalou yang", "ou yang na") is False  # spaces are gone by then
    assert written_in_pinyin("naouyang", "ou yang na")
    assert written_in_pinyin("lvli", "lv li") and written_in_pinyin("luli", "lv li")
    assert not written_in_pinyin("wangwenjun", "wang wen jing")
    assert not written_in_pinyin("王文静", "wang wen jing")


def test_a_volunteer_listed_by_pinyin_beside_their_mobile_is_linked() -> None:
    """A youth-league volunteer platform exports names as typed on a phone (Wenjing
    Zhang) beside the same mobile and street office as the civil-affairs roster's 张文静:
    one person, not two names a clerk must be asked about."""
    unit = {"organization": "盛庄街道办事处", "county": "罗庄区"}
    linker = Linker()
    linker.add(record("civil-affairs:1", "张文静", "15897966679", sex="female", **unit))
    linker.add(record("youth-league:1", "Wenjing Zhang", "15897966679", **unit))
    (link,) = linker.links("youth-league:1")
    assert link.evidence["name"]["level"] == "same pinyin"
    assert linker.review_queue() == []
    other = Linker()
    other.add(record("civil-affairs:1", "张文静", "15897966679", sex="female", **unit))
    other.add(record("youth-league:2", "Wenjun Zhang", "15897966679", **unit))
    assert other.links("youth-league:2") == []


def test_a_spelling_weighs_no_more_than_the_name_it_spells() -> None:
    """Spelt in Latin letters, a common name (WANG WEI) says no more than 王伟 would —
    its weight is capped at the Chinese name's own, frequency-adjusted weight."""
    level = LEVELS["name"].index("same pinyin")
    levels = tuple(level if c == "name" else 0 for c in COMPARISONS)
    spelt = DEFAULT_MODEL.explain(levels, 2.0)["name"]["weight"]
    assert DEFAULT_MODEL.weights["name"][level] > 2.0
    assert spelt == 2.0
    # Two records alone (``compare``), 王伟 carried by 400 records: the spelling weighs
    # what the name does, where a homophone (王玮) keeps the level's own weight.
    unit = {
        "organization": "金雀山街道社会工作服务站",
        "county": "兰山区",
        "birth_date": date(1969, 7, 24),
    }
    wang = record("civil-affairs:1", "王伟", "13429537961", **unit)
    named = compare(wang, record("social-work:1", "王伟", **unit), name_count=400)
    by_pinyin = compare(wang, record("youth-league:1", "WANG WEI", **unit), name_count=400)
    typed = compare(wang, record("charity:1", "王玮", **unit), name_count=400)
    assert named is not None and by_pinyin is not None and typed is not None
    exact = named.evidence["name"]["weight"]
    assert exact < DEFAULT_MODEL.weights["name"][level]
    assert by_pinyin.evidence["name"] == {"level": "same pinyin", "weight": exact}
    assert typed.evidence["name"]["weight"] == round(DEFAULT_MODEL.weights["name"][level], 2)


def test_committees_of_one_name_in_two_counties_are_two_employers() -> None:
    """南坊社区居委会 of 兰山区 and 南坊社区居民委员会 of 沂南县: community names repeat from
    county to county, so two committees of one name in two counties are two employers
    even where a roster names no township to tell them by."""
    a = record("youth-league:1", "王俊杰", organization="南坊社区居委会", county="兰山区")
    b = record(
        "civil-affairs:1",
        "王俊杰",
        organization="南坊社区居民委员会",
        county="沂南县",
        township="孙祖镇",
    )
    decided = compare(a, b)
    assert decided is None or decided.evidence["organization"]["level"] == "else"
    same = compare(a, replace(b, county="兰山区", township="金雀山街道"))
    assert same is not None and same.evidence["organization"]["level"] == "exact"


def test_a_name_spelt_in_pinyin_meets_its_person_by_birth_date() -> None:
    """人社's certificate list spells the name as the exam system exported it (WANG BO)
    beside the ID number; the social-work station lists 王波 with his birth date and
    mobile: no name, phone or ID number in common to block on, but the name's sound and
    the birth date are — the pair is compared, and linked."""
    born = date(1994, 7, 30)
    linker = Linker()
    linker.add(record("hrss:1", "WANG BO", birth_date=born, sex="male"))
    linker.add(
        record(
            "social-work:1",
            "王波",
            "13450163296",
            birth_date=born,
            sex="male",
            organization="马头镇社会工作服务站",
        )
    )
    (link,) = linker.links("hrss:1")
    assert link.evidence["name"]["level"] == "same pinyin"
    assert link.evidence["birth_date"]["level"] == "exact"


def test_a_married_woman_written_the_old_way_meets_her_own_name() -> None:
    """An old list of retired party members writes a married woman as household registers
    did, her husband's surname, hers and 氏 (陈杨氏); the housing office's 楼长 list names
    her 杨素云, with the same birth date, unit and community: the name written short, one
    person — blocked by her own surname and birth date, and linked."""
    born = date(1948, 12, 8)
    place = {"organization": "夕阳红社区服务中心", "county": "松北区", "community": "利民社区"}
    linker = Linker()
    linker.add(record("housing:1", "杨素云", birth_date=born, sex="female", **place))
    linker.add(record("veteran-cadres:1", "陈杨氏", "045189169425", birth_date=born, **place))
    (link,) = linker.links("veteran-cadres:1")
    assert link.evidence["name"]["level"] == "one character"
    from shegong.registry.census.names import maiden_surnames

    assert maiden_surnames("王欧阳氏") == ("阳", "欧阳") and maiden_surnames("李氏") == ("李",)
    assert maiden_surnames("杨素云") == () and maiden_surnames("氏") == ()


def test_the_old_way_of_writing_is_no_match_for_another_surname_or_alone() -> None:
    """陈杨氏 is not 陈淑兰 (her husband's surname); beside 杨淑兰 with nothing but the
    community in common, she is not linked either."""
    place = {"county": "松北区", "community": "利民社区"}
    from shegong.registry.census.comparison import Features, compare_levels

    old = record("veteran-cadres:1", "陈杨氏", sex="female", **place)
    other = record("housing:1", "陈淑兰", sex="female", **place)
    name = compare_levels(Features(old), Features(other))[1]
    assert LEVELS["name"][name] == "else"
    linker = Linker()
    linker.add(record("housing:2", "杨淑兰", sex="female", **place))
    linker.add(old)
    assert linker.links("veteran-cadres:1") == []


def test_one_kind_of_unit_in_two_counties_is_two_employers() -> None:
    """南岗区人民医院 and 平房区人民医院 share their key once the county is dropped, but are
    two hospitals: a 张凯 of one beside a 张凯 of the other, with nothing but the name and
    sex in common, is two people."""
    nangang = {"organization": "南岗区人民医院", "county": "南岗区", "community": "宣化社区"}
    linker = Linker()
    linker.add(
        record("civil-affairs:1", "张凯", sex="male", birth_date=date(1969, 6, 22), **nangang)
    )
    linker.add(
        record(
            "youth-league:1",
            "张凯",
            "13897972435",
            sex="male",
            organization="平房区人民医院",
            county="平房区",
            community="哈飞社区",
        )
    )
    assert linker.links("youth-league:1") == []
    same = compare(
        record("civil-affairs:1", "张凯", **nangang),
        record("social-work:1", "张凯", organization="哈尔滨市南岗区人民医院"),
    )
    assert same is not None and same.evidence["organization"]["level"] == "exact"


def test_a_name_read_through_a_character_of_two_readings_is_the_same_sound() -> None:
    """阿卜杜拉 and 阿布都拉 spell one name (Abdulla): 卜 reads bo or bǔ, 都 dōu or dū.
    Beside the same mobile and birth date the education bureau's 阿卜杜拉·卡德尔 and the
    certificate list's 阿布都拉·卡德尔 are one person, not two names a clerk must be asked
    about; a character of neither reading (阿卜杜热) is another name, and a third reading
    (单 shàn beside 山) is not counted."""
    from shegong.registry.census.sounds import read_alike

    born = {"birth_date": date(1980, 12, 25), "sex": "male"}
    assert_one_by_sound(("education:1", "阿卜杜拉·卡德尔"), ("hrss:1", "阿布都拉·卡德尔"), born)
    assert read_alike("阿不都热合曼", "阿卜杜热合曼")
    assert not read_alike("阿卜杜拉", "阿卜杜热") and not read_alike("单丽", "山丽")
    assert not read_alike("杜伟", "图伟")  # 杜's third reading, tú


def test_a_reading_only_the_dictionary_keeps_makes_no_homophone() -> None:
    """A household on a volunteer list: 魏英 (a teacher, her ID number and birth date on
    the school's roster) and her husband 魏阳, listed with no ID number beside her phone
    and their community. 英 reads yīng — yāng only in old texts, no word reads it so —
    and 阳 yáng: two names of another sound, a clerk's question at most, never one person
    by the shared phone. The same for 李明 / 李梦 (明 mèng) and 王平 / 王兵 (平 bìng);
    a second reading a word uses still counts (阿卜杜拉 / 阿布都拉 above)."""
    from shegong.registry.census.sounds import read_alike

    home = {"community": "金沙社区", "township": "荷花街道", "county": "金牛区"}
    for wife, husband in (("魏英", "魏阳"), ("李梦", "李明"), ("王平", "王兵")):
        assert not read_alike(wife, husband) and not read_alike(husband, wife)
        linker = Linker()
        linker.add(
            record(
                "education:1",
                wife,
                "19953968571",
                id_hash=HASHER.id_number("510106199401206304"),
                birth_date=date(1994, 1, 20),
                sex="female",
                **home,
            )
        )
        linker.add(record("elderly-office:1", wife, "19953968571", sex="female", **home))
        linker.add(record("volunteer-2024:1", husband, "19953968571", sex="male", **home))
        assert linker.links("volunteer-2024:1") == [], (wife, husband)
        assert linker.person_of("volunteer-2024:1") != linker.person_of("education:1")


def test_a_tibetan_or_yi_name_transcribed_another_way_is_the_same_name() -> None:
    """A cadre sent from a Tibetan area is 多杰德吉 on the social-work roster and 多吉德吉
    on the ethnic-affairs list (རྡོ་རྗེ transcribed two ways), beside the same mobile, birth
    date and unit: one person, weighed as a homophone, not two names a clerk is asked
    about; so are 才让 / 才仁 and the Yi 尔古 / 尔果. The sibling guard stays: one
    character of another sound outside such a word (陈子涵 / 陈子轩, 张杰 / 张吉) beside
    the household's phone and the twins' birth date is another name, never linked."""
    from shegong.registry.census.sounds import read_alike

    place = {"organization": "格桑花社会工作服务中心", "county": "西区", "township": "格里坪镇"}
    born = {"birth_date": date(1982, 9, 17), "sex": "female", **place}
    linker = Linker()
    linker.add(record("social-work:1", "多杰德吉", "19924838915", **born))
    linker.add(record("ethnic-affairs:1", "多吉德吉", "19924838915", **born))
    (link,) = linker.links("ethnic-affairs:1")
    assert link.evidence["name"]["level"] == "same pinyin"
    assert linker.review_queue() == []
    assert read_alike("才让洛桑", "才仁洛桑") and read_alike("马海尔古", "马海尔果")
    assert not read_alike("张杰", "张吉") and not read_alike("多杰德吉", "多杰德玛")
    for a, b in (("陈子涵", "陈子轩"), ("张杰", "张吉")):
        twins = Linker()
        twins.add(record("civil-affairs:1", a, "13800000001", **born))
        twins.add(record("education:1", b, "13800000001", **born))
        assert twins.links("education:1") == [], (a, b)


def test_a_uyghur_or_kazakh_name_transcribed_another_way_is_the_same_name() -> None:
    """A village cadre is 努尔尼沙·吐尔逊 on the civil-affairs roster and 努尔妮莎图尔荪 on
    the women's federation's (Tursun transcribed 吐尔逊 or 图尔荪), beside the same mobile
    and birth date: one person, weighed as a homophone — not two names a clerk is asked
    about. So are 加勒肯 / 加尔肯, 别克 / 拜克, 巴特尔 / 巴图尔: each syllable keeps its
    consonant. Sisters (阿依古丽 / 阿依努尔, one father's name, one household's phone),
    and Han twins (欧阳文静 / 欧阳文军, 王文静 / 王文军: a Han surname) stay two."""
    from shegong.kernel.data.names import name_key
    from shegong.registry.census.sounds import read_alike

    born = {"birth_date": date(1997, 9, 21), "sex": "female", "county": "疏勒区"}
    a, b = ("civil-affairs:1", "努尔尼沙·吐尔逊"), ("womens-federation:1", "努尔妮莎图尔荪")
    assert_one_by_sound(a, b, born)
    for a, b in (
        ("加勒肯·叶尔朗", "加尔肯-叶尔兰"),
        ("别克·别克", "拜克拜克"),
        ("韩巴特尔", "韩巴图尔"),
        ("玉素甫阿迪力", "玉素普阿迪力"),
        ("巴特尔", "巴图尔"),  # three characters, no Han surname before them
        ("额尔敦", "额尔登"),
    ):
        assert read_alike(name_key(a), name_key(b)), (a, b)
    for a, b in (
        ("阿依古丽·买买提", "阿依努尔·买买提"),
        ("欧阳文静", "欧阳文军"),
        ("王文静", "王文军"),  # twins of a Han surname: a vowel apart, two names
    ):
        assert not read_alike(name_key(a), name_key(b)), (a, b)
        twins = Linker()
        twins.add(record("civil-affairs:1", a, "13800000001", **born))
        twins.add(record("education:1", b, "13800000001", **born))
        assert twins.links("education:1") == [], (a, b)


def test_a_name_written_with_its_latin_spelling_is_the_name_in_characters() -> None:
    """A volunteer platform lists a Hong Kong resident as 陳欣國 CHAN YAN KWOK (the name
    and its Cantonese spelling, as their permit prints it), the civil-affairs roster as
    陈欣国, one mobile and birth date beside: one person, the names the same — and so is
    a returned overseas Chinese listed as Pan Chengrong (潘诚荣)."""
    spelt = (("陳欣國 CHAN YAN KWOK", "陈欣国"), ("Pan Chengrong (潘诚荣)", "潘诚荣"))
    for written, plain in spelt:
        linker = Linker()
        born = {"birth_date": date(1980, 11, 13), "sex": "male"}
        linker.add(record("civil-affairs:1", plain, "15897966679", **born))
        linker.add(record("youth-league:1", written, "15897966679", **born))
        (link,) = linker.links("youth-league:1")
        assert link.evidence["name"]["level"] == "exact", written
        assert linker.review_queue() == []


HK_UNIT = {"organization": "盛庄街道办事处", "county": "罗庄区"}


@pytest.mark.parametrize(
    ("latin", "chinese"),
    [
        ("CHAN TAI MAN", "陈大文"),  # Hong Kong Government romanisation, surname first
        ("Tai Man Chan", "陈大文"),  # surname last
        ("WONG Ka-wai", "黄家伟"),
        ("LEUNG CHI KEUNG", "梁志强"),
        ("Kuo Mei-chun", "郭美俊"),  # Wade–Giles, given name hyphenated
        ("HSU MING", "徐明"),
        ("CHANG Wei", "张伟"),  # a Wade–Giles surname beside a pinyin given name
    ],
)
def test_a_name_spelt_in_cantonese_or_wade_giles_is_the_same_sound(
    latin: str, chinese: str
) -> None:
    assert_one_by_sound(("hkmo:1", latin), ("mz:1", chinese), HK_UNIT)


def test_a_spelling_of_another_name_is_not_one() -> None:
    """A syllable that reads no character of the name (MING for 文), or the given name's
    syllables in the wrong order, is another name."""
    assert spelt_in_romanisation("chantaiman", "陈大文")
    assert not spelt_in_romanisation("chantaiming", "陈大文")
    assert not spelt_in_romanisation("chanmantai", "陈大文")
    assert not spelt_in_romanisation("chantaiman", "林大文")
    assert not spelt_in_romanisation("陈大文", "陈大文")
