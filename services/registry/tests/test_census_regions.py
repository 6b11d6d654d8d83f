"""How the census compares regions: the forms one place is written in meet; others don't."""

from __future__ import annotations

import pytest

from shegong.registry.census.features import CensusRecord, Features
from shegong.registry.census.names import county_key, township_key
from shegong.registry.census.region_tree import RegionNode, RegionTree


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("屏边苗族自治县", "屏边县"),
        ("江城哈尼族彝族自治县", "江城县"),
        ("蒙自市", "蒙自县"),  # a county that became a city
        ("红塔区", "红 塔 区"),
        # under its prefecture (and province), as many rosters' 所属区县 write it
        ("哈尔滨市松北区", "松北区"),
        ("黑龙江省哈尔滨市阿城区", "阿城市"),
        ("齐齐哈尔市龙沙区", "龙沙区"),
        ("红河州蒙自市", "蒙自县"),
        ("锡林郭勒盟锡林浩特市", "锡林浩特市"),
        ("荆州市沙市区", "沙市区"),
        # an autonomous county's peoples written without 族, or a people of several words
        ("木垒哈萨克自治县", "木垒县"),
        ("察布查尔锡伯自治县", "察布查尔县"),
        ("阿克塞哈萨克族自治县", "阿克塞县"),
    ],
)
def test_one_county_written_two_ways_is_one(a: str, b: str) -> None:
    assert county_key(a) == county_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("鸡街街道办事处", "鸡街街道"),
        ("鸡街镇", "鸡街街道"),  # a town that became a subdistrict
        ("城关镇人民政府", "城关镇"),
        ("大营街道办", "大營街道"),
        # 街办 (陕西, 山西 rosters), 镇政府: the short forms
        ("长风街办", "长风街道"),
        ("小寨路街办", "小寨路街道办事处"),
        ("河庄镇政府", "河庄镇"),
        ("西乡乡政府", "西乡乡"),
    ],
)
def test_one_township_written_two_ways_is_one(a: str, b: str) -> None:
    assert township_key(a) == township_key(b)


@pytest.mark.parametrize(
    ("key", "a", "b"),
    [
        (county_key, "个旧市", "开远市"),
        (county_key, "东区", "西区"),  # one character left: the kind stays
        (county_key, "哈尔滨市松北区", "哈尔滨市道里区"),  # two districts of one city
        (township_key, "新安镇", "新街镇"),
        (township_key, "西乡", "东乡"),
    ],
)
def test_different_places_stay_different(key: object, a: str, b: str) -> None:
    assert callable(key) and key(a) != key(b)


@pytest.mark.parametrize(
    ("organization", "county"),
    [
        ("峨山彝族自治县南滩镇新村村民委员会", "峨山县"),
        ("木垒哈萨克自治县人民医院", "木垒县"),
        ("西原市大通回族土族自治县第三中学", "大通县"),
        ("和布克赛尔蒙古自治县民政局", "和布克赛尔县"),
    ],
)
def test_an_employer_in_an_autonomous_county_names_its_county(
    organization: str, county: str
) -> None:
    # A roster without a county column (人社's certificate list, a volunteer list): the
    # employer's name begins with the county, an autonomous county's as well.
    record = CensusRecord(key="rs:1", department="rs", name="张三", organization=organization)
    assert Features(record).county == county_key(county)


def test_a_community_written_without_its_kind_is_that_community() -> None:
    # A 村（社区） column often names the place bare (南小街 for 南小街社区): beside the
    # community or the village of that name in one township it is that place; a community
    # and a village of one name are two places, and so are two bare names.
    from shegong.registry.census.comparison import compare_levels

    def region_level(a: str, b: str) -> int:
        x, y = (
            Features(CensusRecord(f"{d}:1", d, "张三", county="大通", township="塔甸", community=c))
            for d, c in (("mz", a), ("zf", b))
        )
        return compare_levels(x, y)[6]

    assert region_level("南小街", "南小街社区") == 1
    assert region_level("中庄村", "中庄") == 1
    assert region_level("南小街社区", "南小街社区居委会") == 1
    assert region_level("中庄社区", "中庄村") == 2  # the township only
    assert region_level("中庄", "南庄") == 2


def test_a_residents_committee_named_without_the_word_community_is_that_community() -> None:
    # 东风居委会, 东风居民委员会: a residents' committee is often written without 社区 — in a
    # 社区 column, or as the unit of a list that names nothing else (a name and a unit).
    from shegong.registry.census.comparison import compare_levels

    def region_level(a: dict[str, str], b: dict[str, str]) -> int:
        x, y = (
            Features(CensusRecord(f"{d}:1", d, "张三", county="大通", township="塔甸", **c))
            for d, c in (("mz", a), ("zf", b))
        )
        return compare_levels(x, y)[6]

    assert region_level({"community": "南小街居委会"}, {"community": "南小街社区"}) == 1
    assert region_level({"community": "南小街居民委员会"}, {"community": "南小街"}) == 1
    assert region_level({"organization": "南小街居委会"}, {"community": "南小街社区"}) == 1
    assert region_level({"community": "南小街居委会"}, {"community": "北小街社区"}) == 2


def test_a_committees_full_name_places_its_village_in_its_township() -> None:
    # A list that names no township, only the unit 师宗县雄壁镇北坝村村民委员会: its 北坝村
    # is 雄壁镇's, not the 北坝村 a petition list places in 胜境镇 (village names repeat);
    # beside 雄壁镇's own list, or a committee written short (北坝村村委会), one village.
    from shegong.registry.census.comparison import compare_levels

    def region_level(a: dict[str, str], b: dict[str, str]) -> int:
        x, y = (Features(CensusRecord(f"{d}:1", d, "张勇", **c)) for d, c in (("hw", a), ("xf", b)))
        return compare_levels(x, y)[6]

    unit = {"organization": "师宗县雄壁镇北坝村村民委员会"}
    assert region_level(unit, {"community": "北坝村", "township": "胜境镇"}) == 5
    assert region_level(unit, {"community": "北坝村", "township": "雄壁镇"}) == 1
    assert (
        region_level(
            {"organization": "北坝村村委会"}, {"community": "北坝村", "township": "胜境镇"}
        )
        == 1
    )


def _tree() -> RegionTree:
    nodes = [RegionNode("东区", "东区", None, "county"), RegionNode("西区", "西区", None, "county")]
    for county, town, communities in (
        ("东区", "炳草岗街道", ("人民街社区",)),
        ("东区", "东华街道", ("东华社区", "长寿路社区")),  # split off 炳草岗街道 last year
        ("东区", "大田镇", ("大田村", "平地村")),  # 平地镇 merged into 大田镇
        ("西区", "玉泉街道", ("东华社区",)),  # a community of one name in another county
    ):
        nodes.append(RegionNode(f"{county}/{town}", town, county, "township"))
        nodes += [
            RegionNode(f"{county}/{town}/{c}", c, f"{county}/{town}", "community")
            for c in communities
        ]
    return RegionTree.build(nodes)


def test_a_community_under_its_township_before_a_split_or_merger_is_placed_where_it_is_now() -> (
    None
):
    """A list written before the redivision names the old township (炳草岗街道, or 平地镇
    that the tree no longer has) above a community now under another township of the
    county: the community is placed where it is now, not left at the township or county
    — but never in another county, and a community the county does not have leaves the
    place at what was resolved."""
    tree = _tree()
    assert tree.resolve("东区", "炳草岗街道", "东华社区") == "东区/东华街道/东华社区"
    assert tree.resolve("东区", "平地镇", "平地村") == "东区/大田镇/平地村"
    assert tree.resolve("东区", "炳草岗街道", "人民街社区") == "东区/炳草岗街道/人民街社区"
    assert tree.resolve("西区", "玉泉街道", "长寿路社区") == "西区/玉泉街道"
    assert tree.resolve("东区", "炳草岗街道", "新民社区") == "东区/炳草岗街道"
