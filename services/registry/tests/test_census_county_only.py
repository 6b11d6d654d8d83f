"""A record that names no township — a volunteer list's name and unit, its county read off
the unit's name (九原区惠民社会工作服务中心) — agrees with another record of that county
as far as it can. That is not "same county, other township", which one person's records
seldom show (a move within the county) and which a model learned on a city's records
weighs far below zero: the unit's one 秦晓蕾 was left apart from her own volunteer row."""

from __future__ import annotations

from datetime import date

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.registry.census.comparison import compare_levels
from shegong.registry.census.features import CensusRecord, Features
from shegong.registry.census.linkage import Linker
from shegong.registry.census.model import DEFAULT_MODEL, MatchModel

HASHER = PersonalDataHasher("census-county-only-test-key-0123456789ab")
CENTRE = "九原区惠民社会工作服务中心"
REGION = 6  # its index in the comparison vector


def _staff(key: str, township: str = "沙河街道") -> CensusRecord:
    number = "150207199105188708"
    return CensusRecord(
        key=key,
        department=key.split(":")[0],
        name="秦晓蕾",
        id_hash=HASHER.id_number(number),
        birth_date=date(1991, 5, 18),
        sex="female",
        phone_hash=HASHER.phone("18656411994"),
        phone_parts=HASHER.phone_parts("18656411994"),
        phone_kind="mobile",
        organization=CENTRE,
        county="九原区",
        township=township,
    )


def _volunteer(key: str) -> CensusRecord:
    return CensusRecord(key=key, department=key.split(":")[0], name="秦晓蕾", organization=CENTRE)


def test_a_record_without_a_township_is_not_one_of_another_township() -> None:
    levels = compare_levels(Features(_staff("a:1")), Features(_volunteer("b:1")))
    assert levels[REGION] == 0
    moved = compare_levels(Features(_staff("a:1")), Features(_staff("b:1", "萨如拉街道")))
    assert moved[REGION] == 3  # same county, other township: the level stays for a move


def test_the_units_one_holder_meets_her_volunteer_row_under_a_learned_model() -> None:
    # As a city whose people seldom move within a county teaches it: m("county") tiny.
    m = {**DEFAULT_MODEL.m, "region": (0.0, 0.6, 0.3, 1e-4, 0.05, 0.05)}
    linker = Linker(model=MatchModel(version=1, prior=1e-4, records=10_000, m=m, u=DEFAULT_MODEL.u))
    linker.add(_staff("social-work:1"))
    linker.add(_volunteer("youth-league:1"))
    assert linker.person_of("youth-league:1") == linker.person_of("social-work:1")
