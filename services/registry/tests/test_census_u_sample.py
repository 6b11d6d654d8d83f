"""u's random pairs drawn again (``training.USample``): a training after the census grew
compares only the pairs with a record new since the last one, and learns what a fresh
sample learns."""

from __future__ import annotations

import pytest

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.registry.census import training
from shegong.registry.census.comparison import Features
from shegong.testkit.census_city import generate_city, to_census_records

HASHER = PersonalDataHasher(b"k" * 32)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    counted = [0]
    compare = training.compare_levels

    def counting(x: Features, y: Features) -> tuple[int, ...]:
        counted[0] += 1
        return compare(x, y)

    monkeypatch.setattr(training, "compare_levels", counting)
    return counted


def test_a_grown_census_compares_only_the_new_records_pairs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows, _ = generate_city(1200, seed=5)
    features = [Features(r) for r in to_census_records(rows, HASHER)]
    before = features[: len(features) * 4 // 5]
    counted = _counting(monkeypatch)
    kept = training.USample()

    first, _ = training.estimate_u(before, seed=len(before), kept=kept)
    # The first sample is the one drawn without a kept sample.
    assert first == training.estimate_u(before, seed=len(before))[0]
    counted[0] = 0

    # A quarter's growth, and one old record changed (its features made again).
    grown = [*before[:10], Features(before[10].record), *before[11:], *features[len(before) :]]
    u, sampled = training.estimate_u(grown, seed=len(grown), kept=kept)
    old_share = (len(before) - 1) * (len(before) - 2) / (len(grown) * (len(grown) - 1))
    assert counted[0] == pytest.approx(sampled * (1 - old_share), rel=0.02)
    assert counted[0] < sampled / 2
    assert len(kept.pairs) == sampled
    assert not any(before[10] in (x, y) for x, y, _ in kept.pairs)

    # What it learns is what a fresh sample of the grown census learns, within sampling.
    fresh, _ = training.estimate_u(grown, seed=len(grown) + 1)
    for c, levels in fresh.items():
        for level, value in enumerate(levels):
            assert u[c][level] == pytest.approx(value, rel=0.5, abs=2e-3), (c, level)
