"""Blocking a name within its community: a street office's roster (社区工作者花名册) gives
the name, 街道 and 社区; another department's row the name and the committee as the unit
(和平社区居委会). They share no other block; a clerk would look the name up in the
community, and so does the census — while few records carry the name there."""

from __future__ import annotations

from datetime import date

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.registry.census.blocks import BLOCK_MAX, NAME_BLOCK_MAX
from shegong.registry.census.comparison import COMPARISONS, LEVELS, compare_levels
from shegong.registry.census.linkage import CensusRecord, Linker

HASHER = PersonalDataHasher("census-community-blocks-test-key-012345")
NAME = "王静"
ID = "210381196910046122"  # a valid number (its check character agrees)


def rec(
    key: str,
    name: str,
    *,
    id_number: str | None = None,
    sex: str | None = None,
    org: str | None = None,
    township: str | None = None,
    community: str | None = None,
) -> CensusRecord:
    return CensusRecord(
        key=key,
        department=key.split(":")[0],
        name=name,
        id_hash=HASHER.id_number(id_number) if id_number else None,
        id_parts=HASHER.id_parts(id_number) if id_number else None,
        birth_date=date(1969, 10, 4) if id_number else None,
        sex=sex,
        organization=org,
        township=township,
        community=community,
    )


def _candidates(linker: Linker, key: str) -> set[str]:
    return linker._candidates(linker._recs[key])


def _linker_with_namesakes(*records: CensusRecord) -> Linker:
    """A linker where more records carry ``NAME`` than a name blocks on alone, each in a
    community of its own, and ``records``."""
    linker = Linker()
    for i in range(NAME_BLOCK_MAX + 8):
        linker.add(rec(f"mz:{i}", NAME, township=None, community=f"第{i}社区"))
    for record in records:
        linker.add(record)
    return linker


def test_a_common_name_meets_its_namesake_in_the_same_community() -> None:
    unit = rec("cs:1", NAME, sex="female", org="和平社区居委会", township=None)
    listed = rec(
        "jd:1",
        NAME,
        id_number=ID,
        township="海州街道",
        community="和平社区",
    )
    # 新华村 in a 社区（村） column written bare (新华), and as the village's committee.
    village = rec("jd:2", NAME, township="哈达碑镇", community="新华村")
    bare = rec("zf:1", NAME, township=None, community="新华")
    committee = rec("zy:1", NAME, township=None, org="新华村村委会")
    linker = _linker_with_namesakes(unit, listed, village, bare, committee)
    assert _candidates(linker, "cs:1") == {"jd:1"}
    assert _candidates(linker, "jd:1") == {"cs:1"}
    assert _candidates(linker, "jd:2") == {"zf:1", "zy:1"}
    # A namesake in another community is not compared (the name is too common alone).
    assert not {"mz:0", "mz:1"} & _candidates(linker, "cs:1")


def test_a_community_crowded_with_one_name_is_not_a_block() -> None:
    # More than BLOCK_MAX records of the name in one community (with the unit's row).
    crowd = [rec(f"jd:{i}", NAME, township=None, community="和平社区") for i in range(BLOCK_MAX)]
    unit = rec("cs:1", NAME, org="和平社区居委会", township=None)
    linker = _linker_with_namesakes(*crowd, unit)
    assert _candidates(linker, "cs:1") == set()
    linker.remove("jd:0")  # the block back to BLOCK_MAX records: compared again
    assert _candidates(linker, "cs:1") == {f"jd:{i}" for i in range(1, BLOCK_MAX)}


def _name_weight(linker: Linker, a: str, b: str) -> float | None:
    """The weight the name added to the pair's edge (None: no edge)."""
    for store in (linker._links, linker._reviews):
        for other, edge in store.edges(a):
            if other == b:
                return float(edge.name_weight)
    return None


def test_the_one_anchored_holder_in_a_community_weighs_the_names_base_rate() -> None:
    # The unit's bare row (a name, a sex, the committee) beside the one anchored 王静 of
    # the community: the name's dozens of holders elsewhere say nothing about another
    # holder there (as at one unit: ``namesakes``).
    unit = rec("cs:1", NAME, sex="female", org="和平社区居委会")
    listed = rec(
        "jd:1", NAME, id_number=ID, sex="female", township="海州街道", community="和平社区"
    )
    linker = _linker_with_namesakes(unit, listed)
    base_rate = linker.model.name_weight_apart(0.0, True)
    by_count = linker._name_weight_of(NAME)
    assert base_rate > by_count
    assert _name_weight(linker, "cs:1", "jd:1") == base_rate
    # Another anchored 王静 in the community: the pair is re-scored by the name's count.
    other = "21038119800101654X"
    linker.add(rec("mz:x", NAME, id_number=other, sex="female", community="和平社区"))
    assert _name_weight(linker, "cs:1", "jd:1") in (None, by_count)  # None: too weak
    linker.remove("mz:x")
    assert _name_weight(linker, "cs:1", "jd:1") == base_rate
    # A bare row of a community of the same name in another township is not the one's.
    linker.add(rec("zf:1", NAME, sex="female", township="鞍钢街道", community="和平社区"))
    assert _name_weight(linker, "zf:1", "jd:1") in (None, by_count)


def test_a_township_governments_row_meets_its_namesake_listed_in_that_township() -> None:
    """A row whose unit is a township's government (腾鳌镇人民政府, with its county or
    not; 鸡街街道办事处) is in that township: another list gives the name and the
    township in its 街道 column, and nothing else the two share. The census looks the
    name up in the township, as a clerk would — not a namesake in another township, nor
    a township's unit that is not its government (腾鳌镇中心小学)."""
    gov = rec("mz:g", NAME, sex="female", org="海城市腾鳌镇人民政府")
    office = rec("mz:o", NAME, sex="female", org="鸡街街道办事处")
    listed = rec("jd:1", NAME, id_number=ID, township="腾鳌镇")
    street = rec("jd:2", NAME, township="鸡街街道", community="和平社区")
    elsewhere = rec("jd:3", NAME, township="八里镇")
    school = rec("jy:1", NAME, org="腾鳌镇中心小学")
    linker = _linker_with_namesakes(gov, office, listed, street, elsewhere, school)
    assert _candidates(linker, "mz:g") == {"jd:1"}
    assert _candidates(linker, "mz:o") == {"jd:2"}
    assert "jy:1" not in _candidates(linker, "jd:1")
    levels = compare_levels(linker._recs["mz:g"], linker._recs["jd:1"])
    assert LEVELS["region"][levels[COMPARISONS.index("region")]] == "township"


def test_a_township_governments_row_beside_the_one_anchored_holder_there_is_asked() -> None:
    """The government's bare row (a name, a sex, 腾鳌镇人民政府) beside the one anchored
    王静 listed in 腾鳌镇: the name's dozens of holders elsewhere say nothing about another
    holder there (as at one unit or in one community), so the pair is a clerk's question
    (the same township weighs less than the same community). Another anchored 王静 in the
    township makes it a matter of the name's count again — too weak to ask — in any
    order, and its leaving asks again."""

    def asked(linker: Linker) -> bool:
        return any({q.a, q.b} == {"mz:g", "jd:1"} for q in linker.review_queue())

    for order in ((0, 1, 2), (2, 0, 1), (1, 2, 0)):
        rows = [
            rec("mz:g", NAME, sex="female", org="海城市腾鳌镇人民政府"),
            rec("jd:1", NAME, id_number=ID, sex="female", township="腾鳌镇"),
            rec("jd:3", NAME, sex="female", township="八里镇", community="八里村"),
        ]
        linker = _linker_with_namesakes(*(rows[i] for i in order))
        assert asked(linker), order
        assert _name_weight(linker, "mz:g", "jd:1") == linker.model.name_weight_apart(0.0, True)
        other = "21038119800101654X"
        linker.add(rec("mz:x", NAME, id_number=other, sex="female", township="腾鳌镇"))
        assert not asked(linker), order
        linker.remove("mz:x")
        assert asked(linker), order
