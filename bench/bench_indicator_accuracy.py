"""What the census's linkage errors do to the headline figures: the workforce indicators
computed over the linker's persons beside the same indicators over the generator's true
persons, from the same parsed rows, in the same run.

    uv run --group bench python bench/bench_indicator_accuracy.py
        [--city certs|movers|today|holdout] [--persons 3000] [--seed 2024] [--year YEAR]

Each roster goes through the registry's own parser (``parse_roster``) and conversion to
census records; the linker (``Linker``) links them. The indicator code
(``census.indicators.workforce_indicators``) is then run three times over one set of
records, grouped three ways:

* **truth** — the records grouped by the human the generator made them from;
* **linked** — the linker's persons, the review queue left undecided (each record apart);
* **best estimate** — the census's own (``census.estimate``): the queued pairs from match
  probability 0.5 counted as one person, as the indicators count them while the queue waits.

It prints each indicator beside the truth, with the relative difference, and how many of
the indicators differ. A count's error is the census's, not the indicator code's: the code
is the same on every side.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_census_quality import census_records, roster_bytes
from census_linker import best_estimate
from cities import GENERATORS


def record_facts(code: str, row: Any) -> Any:
    from shegong.registry.census.indicators import RecordFacts

    certificates = ()
    if row.cert_level is not None and row.certified_on is not None:
        certificates = ((row.cert_level, row.certified_on),)
    return RecordFacts(
        department=code,
        organization=row.organization,
        org_type=row.org_type,
        post=row.post,
        county=row.region.county,
        township=row.region.township,
        community=row.region.community,
        hired_on=row.hired_on,
        left_on=row.left_on,
        certificates=certificates,
    )


def indicators(groups: list[set[str]], facts: dict[str, Any], year: int) -> dict[str, Any]:
    from shegong.registry.census.indicators import Person, workforce_indicators

    persons = [
        Person(person_id=min(g), records=tuple(facts[k] for k in sorted(g) if k in facts))
        for g in groups
    ]
    return workforce_indicators(persons, [], [], year)


def flat(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        elif isinstance(value, int | float) or value is None:
            out[prefix + key] = value
    return out


def main() -> None:
    from shegong.kernel.data.identity import PersonalDataHasher
    from shegong.registry.census.linkage import Linker
    from shegong.registry.imports.roster import parse_roster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--city", choices=list(GENERATORS), default="certs")
    parser.add_argument("--persons", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--year", type=int, help="default: the year most rows were hired in")
    args = parser.parse_args()

    city = GENERATORS[args.city](args.persons, args.seed)
    hasher = PersonalDataHasher(os.urandom(32))
    records: list[Any] = []
    facts: dict[str, Any] = {}
    hired: Counter[int] = Counter()
    for roster in city.rosters:
        filename, data, _ = roster_bytes(roster)
        parsed = parse_roster(data, filename)
        records.extend(census_records(roster.code, parsed.rows, hasher))
        for row in parsed.rows:
            key = f"{roster.code}:{row.record_id or f'row{row.row_number}'}"
            facts[key] = record_facts(roster.code, row)
            if row.hired_on:
                hired[row.hired_on.year] += 1
    year = args.year or (max(hired) if hired else 2024)

    linker = Linker()
    for record in records:
        linker.add(record)
    linker.train()
    linked = [set(g) for g in linker.persons().values()]
    queue = linker.review_queue()
    joined = best_estimate(linker)
    truth: dict[str, set[str]] = defaultdict(set)
    for record in records:
        truth[city.truth.get(record.key, record.key)].add(record.key)

    sides = {
        "truth": flat(indicators(list(truth.values()), facts, year)),
        "linked": flat(indicators(linked, facts, year)),
        "best estimate": flat(indicators(joined, facts, year)),
    }
    print(
        f"\ncity {city.name!r}: {len(records):,} records, {len(truth):,} humans, year {year}; "
        f"review queue {len(queue)} pairs ({sum(r.score >= 0.5 for r in queue)} at ≥ 0.5)"
    )
    names = list(sides["truth"])
    width = max(len(n) for n in names)
    print(f"{'indicator':<{width}} {'truth':>10} {'linked':>16} {'best estimate':>20}")
    off: Counter[str] = Counter()
    for name in names:
        want = sides["truth"][name]
        cells = []
        for side in ("linked", "best estimate"):
            got = sides[side][name]
            if got == want:
                cells.append(f"{_fmt(got)}")
                continue
            off[side] += 1
            if isinstance(got, int | float) and isinstance(want, int | float) and want:
                cells.append(f"{_fmt(got)} ({(got - want) / want:+.1%})")
            else:
                cells.append(f"{_fmt(got)} (≠)")
        print(f"{name:<{width}} {_fmt(want):>10} {cells[0]:>16} {cells[1]:>20}")
    print(
        f"indicators that differ from the truth: linked {off['linked']} of {len(names)}, "
        f"best estimate {off['best estimate']} of {len(names)}"
    )


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4f}"
    return f"{value:,}"


if __name__ == "__main__":
    main()
