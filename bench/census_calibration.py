"""Is the census's model calibrated where names agree? From the truth, every pair of records
with one name (not decided by one valid ID, not vetoed) by what else the pair shares (an
employer, else a community, else neither) and by the model's match probability: how many
pairs, the share that is one person, the model's mean probability, and the probability had
the name's u been raised by how much more often two *different* people share a name within
an employer or a community than in the city (estimated on the records with two different
valid ID numbers: the pairs known to be two people). The engine path of
``bench_census_quality.py``; it reads the linker's internals (a developer's tool).

    uv run --group bench python bench/census_calibration.py holdout [--persons 3000] [--seed 2024]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_census_quality import census_records, roster_bytes
from cities import GENERATORS


def _pairs(counts: Counter[Any]) -> int:
    return sum(c * (c - 1) // 2 for c in counts.values())


def name_clustering(features: Sequence[Any]) -> dict[str, float]:
    """Observed over expected same-name pairs of two different people (two different valid
    IDs) within one employer / one community (one pseudo-pair each side)."""
    with_id = [f for f in features if f.id_hash and f.name]
    distinct = len(with_id) * (len(with_id) - 1) // 2 - _pairs(Counter(f.id_hash for f in with_id))
    if distinct <= 0:
        return {}
    same = _pairs(Counter(f.name for f in with_id))
    base = (same - _pairs(Counter((f.name, f.id_hash) for f in with_id))) / distinct
    keys: dict[str, Callable[[Any], Any]] = {
        "organization": lambda f: f.org,
        "community": lambda f: (f.county, f.township, f.community) if f.community else None,
    }
    factors = {}
    for group, key in keys.items():
        members: defaultdict[Any, list[Any]] = defaultdict(list)
        for f in with_id:
            if key(f) is not None:
                members[key(f)].append(f)
        observed = expected = 0.0
        for fs in members.values():
            pairs = len(fs) * (len(fs) - 1) // 2 - _pairs(Counter(f.id_hash for f in fs))
            observed += _pairs(Counter(f.name for f in fs))
            observed -= _pairs(Counter((f.name, f.id_hash) for f in fs))
            expected += base * pairs
        factors[group] = (observed + 1.0) / (expected + 1.0)
    return factors


def _band(p: float) -> str:
    if p < 0.9:
        return f"{int(p * 10) / 10:.1f}+"
    nines = min(int(-math.log10(max(1.0 - p, 1e-9))), 6)
    return "0." + "9" * nines + "+"


def main() -> None:
    from shegong.kernel.data.identity import PersonalDataHasher
    from shegong.registry.census.comparison import compare_levels, veto
    from shegong.registry.census.linkage import Linker
    from shegong.registry.census.model import probability
    from shegong.registry.imports.roster import parse_roster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("city", choices=list(GENERATORS))
    parser.add_argument("--persons", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    city = GENERATORS[args.city](args.persons, args.seed)
    hasher = PersonalDataHasher(os.urandom(32))
    records = []
    for roster in city.rosters:
        filename, data, _ = roster_bytes(roster)
        records.extend(census_records(roster.code, parse_roster(data, filename).rows, hasher))
    linker = Linker()
    for record in records:
        linker.add(record)
    linker.train()
    model, recs, truth = linker.model, linker._recs, city.truth
    factors = name_clustering(list(recs.values()))
    print(f"{args.city}: names cluster within an employer / a community by {factors}")
    by_name: defaultdict[str, list[Any]] = defaultdict(list)
    for f in recs.values():
        if f.name:
            by_name[f.name].append(f)
    table: defaultdict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0])
    for name, fs in by_name.items():
        for i, x in enumerate(fs):
            for y in fs[i + 1 :]:
                name_weight = linker._pair_name_weight(name, x.key, y.key)
                levels = compare_levels(x, y)
                if veto(x, y, levels) or (x.id_hash and x.id_hash == y.id_hash):
                    continue
                group = "employer" if levels[5] in (1, 2) else "community" if levels[6] == 1 else ""
                weight = model.weight(levels, name_weight)
                factor = factors.get("organization" if group == "employer" else group, 1.0)
                row = table[(group or "neither", _band(probability(weight)))]
                row[0] += 1
                row[1] += truth[x.key] == truth[y.key]
                row[2] += probability(weight)
                row[3] += probability(weight - math.log2(max(factor, 1.0)))
    print("shared     band       pairs  one person  model p  p with clustering")
    for (group, band), (n, same, p, p_within) in sorted(table.items()):
        cells = f"{n:6.0f}  {same / n:10.2f}  {p / n:7.3f}  {p_within / n:7.3f}"
        print(f"{group:9s}  {band:9s} {cells}")


if __name__ == "__main__":
    main()
