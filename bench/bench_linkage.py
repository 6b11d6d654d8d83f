"""Census linkage: how fast and how well the pure engine merges a city's rosters.

    uv run python bench/bench_linkage.py [--persons 40000] [--seed 2024]

A generated city (≈ 2.5 records per person over 18 departments: 40,000 persons ≈ 100,000
records, with missing / mistyped / old-form ID numbers, traditional names, changed phones,
same-name strangers and twins-like cases) is turned into census records (keyed hashes and
masks, as a registry node would emit them) and linked one record at a time, as rows arrive.
Reports link time, records per second, pairwise precision and recall against the
generator's truth, the review queue, and the cost of later updates and removals.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from dataclasses import replace

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.registry.census.linkage import Link, Linker, Review, Unlink, to_simplified
from shegong.testkit.census_city import (
    generate_city,
    pairwise_precision_recall,
    to_census_records,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--changes", type=int, default=2_000, help="updates and removals timed")
    args = parser.parse_args()

    t0 = time.perf_counter()
    rows, truth = generate_city(args.persons, seed=args.seed)
    t1 = time.perf_counter()
    records = to_census_records(rows, PersonalDataHasher(os.urandom(32)))
    t2 = time.perf_counter()

    linker = Linker()
    counts = {Link: 0, Unlink: 0, Review: 0}
    start = time.perf_counter()
    for record in records:
        for decision in linker.add(record):
            counts[type(decision)] += 1
    link_s = time.perf_counter() - start
    precision, recall = pairwise_precision_recall(linker.persons(), truth)
    persons = len(linker.persons())
    queue = len(linker.review_queue())

    rng = random.Random(args.seed)
    sample = rng.sample(records, min(args.changes, len(records)))
    start = time.perf_counter()
    for record in sample:
        linker.update(replace(record, phone_hash=None, organization=None))
    update_s = time.perf_counter() - start
    start = time.perf_counter()
    for record in sample:
        linker.remove(record.key)
    remove_s = time.perf_counter() - start

    opencc = "OpenCC t2s" if to_simplified("劉") == "刘" and _has_opencc() else "built-in table"
    table = [
        ("records (departments)", f"{len(records):,} ({len({r.department for r in rows})})"),
        ("true persons / found", f"{len(set(truth.values())):,} / {persons:,}"),
        ("generate rows", f"{t1 - t0:.2f} s"),
        ("hash + mask (node side)", f"{t2 - t1:.2f} s"),
        ("link, one record at a time", f"{link_s:.2f} s"),
        ("records / s", f"{len(records) / link_s:,.0f}"),
        ("pairwise precision", f"{precision:.4f}"),
        ("pairwise recall", f"{recall:.4f}"),
        ("review queue", f"{queue:,}"),
        ("decisions: link / unlink / review", " / ".join(f"{n:,}" for n in counts.values())),
        (f"update x {len(sample):,}", f"{update_s * 1e6 / len(sample):.0f} µs each"),
        (f"remove x {len(sample):,}", f"{remove_s * 1e6 / len(sample):.0f} µs each"),
        ("traditional → simplified", opencc),
        ("python", sys.version.split()[0]),
    ]
    width = max(len(label) for label, _ in table)
    print(f"\ncensus linkage: {args.persons:,} persons, seed {args.seed}")
    print("-" * (width + 24))
    for label, value in table:
        print(f"{label:<{width}}  {value:>20}")
    print("-" * (width + 24))
    goals = precision >= 0.995 and recall >= 0.995 and link_s < 60
    print("goals (P, R ≥ 0.995; < 60 s):", "met" if goals else "NOT met")


def _has_opencc() -> bool:
    try:
        import opencc  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
