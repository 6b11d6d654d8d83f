"""Where the census linker goes wrong on a generated city, from the truth: the wrong links
and the missed pairs grouped by their comparison levels, and the review queue by
probability and truth. The engine path of ``bench_census_quality.py`` (same parser,
conversion and ``Linker``); it reads the linker's internals, so it is a developer's tool.

    uv run --group bench python bench/census_errors.py holdout [--persons 3000] [--show 10]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_census_quality import census_records, roster_bytes
from census_bound import evidence_bound
from census_score import score
from cities import GENERATORS

_SKIP = {"记录编号", "序号", "民族", "学历", "政治面貌", "备注", "单位类型", "岗位类别", "入职日期"}


def main() -> None:
    from shegong.kernel.data.identity import PersonalDataHasher
    from shegong.registry.census.comparison import COMPARISONS, LEVELS, compare_levels
    from shegong.registry.census.linkage import Linker
    from shegong.registry.imports.roster import parse_roster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("city", choices=list(GENERATORS))
    parser.add_argument("--persons", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--show", type=int, default=10, help="examples of each kind")
    parser.add_argument(
        "--queue", action="store_true", help="print every queued pair with its evidence"
    )
    args = parser.parse_args()
    city = GENERATORS[args.city](args.persons, args.seed)
    hasher = PersonalDataHasher(os.urandom(32))
    records, raw = [], {}
    for roster in city.rosters:
        filename, data, _ = roster_bytes(roster)
        records.extend(census_records(roster.code, parse_roster(data, filename).rows, hasher))
        raw.update({f"{roster.code}:{row['记录编号']}": row for row in roster.rows})
    linker = Linker()
    for record in records:
        linker.add(record)
    linker.train()
    persons, truth, queue = linker.persons(), city.truth, linker.review_queue()
    s = score(persons.values(), truth)
    print(f"{args.city}: P {s.pairwise_p:.4f} R {s.pairwise_r:.4f} F1 {s.pairwise_f1:.4f}")
    print(f"review queue {len(queue)} ({100 * len(queue) / len(records):.2f} % of records)")
    bound = evidence_bound(records, truth, "names")
    oracle = {key: i for i, keys in enumerate(bound.partition) for key in keys}
    b = score(bound.partition, truth)
    print(
        f"evidence bound (names): P {b.pairwise_p:.4f} R {b.pairwise_r:.4f} F1 {b.pairwise_f1:.4f}"
    )

    def row(key: str) -> str:
        cells = (v for c, v in raw.get(key, {}).items() if v and c not in _SKIP)
        return f"{key} " + " ".join(cells)

    def levels(a: str, b: str) -> tuple[str, tuple[int, ...]]:
        found = compare_levels(linker._recs[a], linker._recs[b])
        text = ",".join(
            f"{c}={LEVELS[c][lv]}" for c, lv in zip(COMPARISONS, found, strict=True) if lv
        )
        return text, found

    def evidence(a: str, b: str) -> str:
        """What the pair shares and where it differs, field by field (coarse)."""
        found = compare_levels(linker._recs[a], linker._recs[b])
        agree, differ = [], []
        for c, lv in zip(COMPARISONS, found, strict=True):
            name = LEVELS[c][lv]
            if lv == 0:
                continue
            if name == "mobile vs landline":
                differ.append("phone(mobile/landline)")
                continue
            (differ if name in ("else", "another place") else agree).append(c)
        return "shares " + "+".join(agree) + ("; differs " + "+".join(differ) if differ else "")

    def weight(a: str, b: str) -> float:
        x, y = linker._recs[a], linker._recs[b]
        name = linker._pair_name_weight(x.name, a, b) if x.name == y.name else 0.0
        return linker.model.weight(levels(a, b)[1], name)

    wrong: Counter[str] = Counter()
    wrong_by: Counter[tuple[str, str]] = Counter()
    shown: list[tuple[str, str, str]] = []
    for keys in persons.values():
        if len({truth[k] for k in keys}) > 1:
            for key in keys:
                for link in linker.links(key):
                    if link.a == key and truth[link.a] != truth[link.b]:
                        text = levels(link.a, link.b)[0]
                        wrong[text] += 1
                        alike = "oracle too" if oracle[link.a] == oracle[link.b] else "oracle not"
                        wrong_by[(alike, evidence(link.a, link.b))] += 1
                        shown.append((f"{link.score:.3f} {link.rule} {text}", link.a, link.b))
    print(f"\nwrong links: {sum(wrong.values())}")
    for text, n in wrong.most_common(15):
        print(f"  {n:4d}  {text}")
    for (alike, text), n in sorted(wrong_by.items(), key=lambda kv: (kv[0][0], -kv[1])):
        print(f"  {n:4d}  {alike:10s}  {text}")
    for head, a, b in shown[: args.show]:
        print(f"    {head}\n      {row(a)}\n      {row(b)}")

    # Missed: a human split over persons; per pair of its persons, the strongest record pair.
    queued = {(r.a, r.b) for r in queue}
    split: defaultdict[str, set[str]] = defaultdict(set)
    for key, human in truth.items():
        split[human].add(linker.person_of(key))
    missed: Counter[str] = Counter()
    by_evidence: Counter[tuple[str, str]] = Counter()
    examples: list[tuple[str, str, str]] = []
    for pids in split.values():
        ordered = sorted(pids)
        for i, p in enumerate(ordered):
            for q in ordered[i + 1 :]:
                pairs = [(a, b) for a in persons[p] for b in persons[q]]
                in_queue = any((a, b) in queued or (b, a) in queued for a, b in pairs)
                a, b = max(pairs, key=lambda ab: weight(*ab))
                text = ("queued  " if in_queue else "") + levels(a, b)[0]
                missed[text] += len(persons[p]) * len(persons[q])
                reach = "reachable" if oracle[a] == oracle[b] else "not by evidence"
                by_evidence[(reach, evidence(a, b))] += len(persons[p]) * len(persons[q])
                examples.append((text, a, b))
    print(f"\nmissed pairs: {sum(missed.values())}")
    for text, n in missed.most_common(20):
        print(f"  {n:4d}  {text}")
    print("\nmissed pairs by evidence (reachable: the evidence bound's oracle joins them):")
    for (reach, text), n in sorted(by_evidence.items(), key=lambda kv: (kv[0][0], -kv[1])):
        print(f"  {n:4d}  {reach:15s}  {text}")
    random.Random(1).shuffle(examples)
    for text, a, b in examples[: args.show]:
        print(f"    {text}\n      {row(a)}\n      {row(b)}")

    reach = sum(n for (r, _), n in by_evidence.items() if r == "reachable")
    too = sum(n for (a, _), n in wrong_by.items() if a == "oracle too")
    print(
        f"\nsummary: missed {sum(missed.values())} (reachable {reach}, not by evidence "
        f"{sum(missed.values()) - reach}); wrong {sum(wrong.values())} (oracle too {too})"
    )
    by_band: Counter[tuple[float, str, str]] = Counter()
    for r in queue:
        band = min(int(r.score * 10) / 10, 0.9)
        by_band[(band, "same" if truth[r.a] == truth[r.b] else "two", r.reason)] += 1
    print("\nqueue by probability band, truth, reason:")
    for (band, same, reason), n in sorted(by_band.items()):
        print(f"  {band:.1f}+  {same:4s}  {n:4d}  {reason}")
    if args.queue:
        print("\nqueued pairs (probability, truth, reason, levels; vs rivals: p against others)")
        for r in sorted(queue, key=lambda r: (r.reason, -r.score)):
            same = "same" if truth[r.a] == truth[r.b] else "two"
            rival = r.evidence.get("against_others")
            head = f"{r.score:.3f} {same} {r.reason}" + (f" (vs rivals {rival})" if rival else "")
            print(f"  {head}\n    {levels(r.a, r.b)[0]}\n      {row(r.a)}\n      {row(r.b)}")


if __name__ == "__main__":
    main()
