"""The bench's evidence bound (``bench/census_bound.py``): pairs that carry the same
evidence are decided alike, so a pair no different from a non-pair cannot be linked by
it; a pair its evidence tells apart can."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from census_bound import evidence_bound

from shegong.registry.census.features import CensusRecord


def _rec(key: str, name: str, **fields: object) -> CensusRecord:
    return CensusRecord(key=key, department=key.split(":")[0], name=name, **fields)  # type: ignore[arg-type]


def _pairwise_f1(partition: list[set[str]], truth: dict[str, str]) -> float:
    tp = sum(1 for g in partition for a in g for b in g if a < b and truth[a] == truth[b])
    pred = sum(len(g) * (len(g) - 1) // 2 for g in partition)
    humans: dict[str, int] = {}
    for h in truth.values():
        humans[h] = humans.get(h, 0) + 1
    actual = sum(n * (n - 1) // 2 for n in humans.values())
    return 2 * tp / (pred + actual)


def test_a_pair_that_looks_like_a_non_pair_is_not_reached() -> None:
    # Two 王伟 of one person and a third 王伟, a stranger: name and sex only, all three
    # pairs alike. Linking them makes one true pair and two false: no better than apart.
    records = [
        _rec("a:1", "李娜欣", id_hash="h1", sex="female", birth_date=date(1970, 9, 19)),
        _rec("b:1", "李娜欣", id_hash="h1", sex="female", birth_date=date(1970, 9, 19)),
        _rec("a:2", "王伟", sex="male"),
        _rec("b:2", "王伟", sex="male"),
        _rec("c:2", "王伟", sex="male"),
    ]
    truth = {"a:1": "p1", "b:1": "p1", "a:2": "p2", "b:2": "p2", "c:2": "p3"}
    for kind in ("levels", "names"):
        found = evidence_bound(records, truth, kind)
        joined = [g for g in found.partition if len(g) > 1]
        assert joined == [{"a:1", "b:1"}], kind
        assert found.f1 == 2 / 3  # one true pair of two, none false
        assert _pairwise_f1(found.partition, truth) == 2 / 3


def test_evidence_that_tells_a_pair_apart_reaches_it() -> None:
    # The same 王伟 pair, now with one phone between them: nothing else looks like it.
    phone = "0" * 31 + "1"
    records = [
        _rec("a:2", "王伟", sex="male", phone_hash=phone, phone_kind="mobile"),
        _rec("b:2", "王伟", sex="male", phone_hash=phone, phone_kind="mobile"),
        _rec("c:2", "王伟", sex="male"),
    ]
    truth = {"a:2": "p2", "b:2": "p2", "c:2": "p3"}
    found = evidence_bound(records, truth, "names")
    assert [g for g in found.partition if len(g) > 1] == [{"a:2", "b:2"}]
    assert found.f1 == 1.0


def test_two_valid_id_numbers_never_meet_in_the_oracles_partition() -> None:
    # Four bare 张芳 of the person with ID h1 and two records of another 张芳 (ID h2): name
    # and sex alike between the bare ones and both people, more often one person than
    # not — worth linking, but never so that h1 and h2 end in one person.
    records = [
        _rec("a:1", "张芳", id_hash="h1", sex="female"),
        *(_rec(f"b:{i}", "张芳", sex="female") for i in range(4)),
        _rec("c:1", "张芳", id_hash="h2", sex="female"),
        _rec("d:1", "张芳", id_hash="h2", sex="female"),
    ]
    truth = {r.key: "p2" if r.id_hash == "h2" else "p1" for r in records}
    found = evidence_bound(records, truth, "levels")
    assert found.linked  # the name-and-sex pairs are linked ...
    assert not any({"a:1", "c:1"} <= g for g in found.partition)  # ... not across IDs
