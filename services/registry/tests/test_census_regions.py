"""How the census compares regions: the forms one place is written in meet; others don't."""

from __future__ import annotations

import pytest

from shegong.registry.census.names import county_key, township_key


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
