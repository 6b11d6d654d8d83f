"""A new model re-scores every pair once (``Linker.use_model``), and so does an added
record's operation among the records it makes dirty (``Rescoring._rescore_all``); the edges
they leave are those, in the order, that re-scoring each record against all its
candidates left."""

from __future__ import annotations

import pytest

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.registry.census import rescoring
from shegong.registry.census.linkage import Linker
from shegong.registry.census.scoring import _Rec
from shegong.testkit.census_city import generate_city, to_census_records

HASHER = PersonalDataHasher(b"k" * 32)


def _edges(linker: Linker) -> dict[str, tuple[list[object], list[object]]]:
    return {
        key: (list(linker._links.edges(key)), list(linker._reviews.edges(key)))
        for key in linker._recs
    }


def _counting_comparisons(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The linker's comparisons of a pair, counted in the list's one entry from now on."""
    scored = [0]
    compare = rescoring._compare

    def counted(*args: object) -> object:
        scored[0] += 1
        return compare(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(rescoring, "_compare", counted)
    return scored


def test_a_new_model_scores_each_pair_once_and_leaves_the_same_edges(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows, _ = generate_city(600, seed=11)
    records = to_census_records(rows, HASHER)
    learner, replayed = Linker(), Linker()
    for record in records:
        learner.add(record)
        replayed.add(record)

    scored = _counting_comparisons(monkeypatch)
    learner.train()
    once = scored[0]

    # The same model, every record re-scored against all its candidates in turn.
    scored[0] = 0
    replayed.model = learner.model
    replayed._name_weights.clear()
    replayed._phone_weights.clear()
    for key in replayed._recs:
        replayed._rescore(key)
    twice = scored[0]

    pairs = sum(len(replayed._candidates(rec)) for rec in replayed._recs.values()) // 2
    assert once == pairs  # each candidate pair scored once
    assert twice == 2 * pairs
    assert _edges(learner) == _edges(replayed)
    replayed._recluster(replayed._component(set(replayed._recs)), removed=set())
    assert learner.persons() == replayed.persons()
    assert len(learner.persons()) < len(records)  # the city's people were linked


def test_an_operation_scores_each_pair_of_its_dirty_records_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A record added makes its namesakes dirty (a name's frequency, its sole holders):
    each is re-scored, and a pair of two of them was scored from both sides. Now once,
    with the same edges, persons and decisions as re-scoring each against all."""
    rows, _ = generate_city(600, seed=11)
    records = to_census_records(rows, HASHER)
    scored = _counting_comparisons(monkeypatch)
    once, each = Linker(), Linker()

    def each_against_all(keys: list[str]) -> None:
        for key in keys:
            each._rescore(key)

    monkeypatch.setattr(each, "_rescore_all", each_against_all)
    decided: dict[str, list[object]] = {"once": [], "each": []}
    counts: dict[str, int] = {}
    for name, linker in (("once", once), ("each", each)):
        scored[0] = 0
        for record in records:
            decided[name].extend(linker.add(record))
        counts[name] = scored[0]

    assert counts["once"] < counts["each"] * 0.8  # pairs of dirty records, once
    assert _edges(once) == _edges(each)
    assert once.persons() == each.persons()
    assert decided["once"] == decided["each"]
    assert once.review_queue() == each.review_queue()


def test_an_added_record_s_block_keys_are_worked_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its keys are not kept on the record (memory): the crowding, the index and the
    candidates each asked for them, and each worked them out again."""
    rows, _ = generate_city(200, seed=5)
    records = to_census_records(rows, HASHER)
    asked: list[str] = []
    keys_of = _Rec.blocks.fget
    assert keys_of is not None

    def counted(rec: _Rec) -> object:
        asked.append(rec.key)
        return keys_of(rec)

    monkeypatch.setattr(_Rec, "blocks", property(counted))
    linker = Linker()
    for record in records:
        asked.clear()
        linker.add(record)
        assert asked.count(record.key) == 1
    assert len(linker.persons()) < len(records)
