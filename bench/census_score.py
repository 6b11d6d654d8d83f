"""How a census partition is scored against a generated city's truth: pairwise and B-cubed
precision / recall / F1 over every row of every file (a row that never reached the census
is a person of its own). Shared by ``bench_census_quality.py``, its Splink peer and
``census_errors.py``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cities import City


@dataclass
class Score:
    pairwise_p: float
    pairwise_r: float
    pairwise_f1: float
    bcubed_p: float
    bcubed_r: float
    bcubed_f1: float
    persons: int  # as the system reports them
    true_persons: int
    lost: int  # rows that never reached the census


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score(partition: Iterable[Iterable[str]], truth: Mapping[str, str]) -> Score:
    """Pairwise and B-cubed precision/recall of a partition of record keys, over every
    truth record (a record missing from the partition is its own cluster)."""
    cluster_of: dict[str, int] = {}
    n_clusters = 0
    for i, keys in enumerate(partition):
        n_clusters += 1
        for key in keys:
            if key in truth:
                cluster_of[key] = i
    lost = [k for k in truth if k not in cluster_of]
    for j, key in enumerate(lost):
        cluster_of[key] = -1 - j
    both: Counter[tuple[int, str]] = Counter((cluster_of[k], h) for k, h in truth.items())
    size_c: Counter[int] = Counter(cluster_of[k] for k in truth)
    size_t: Counter[str] = Counter(truth.values())

    def pairs(n: int) -> int:
        return n * (n - 1) // 2

    tp = sum(pairs(n) for n in both.values())
    pred = sum(pairs(n) for n in size_c.values())
    act = sum(pairs(n) for n in size_t.values())
    p = tp / pred if pred else 1.0
    r = tp / act if act else 1.0
    n = len(truth)
    bp = sum(m * m / size_c[c] for (c, _), m in both.items()) / n
    br = sum(m * m / size_t[h] for (_, h), m in both.items()) / n
    return Score(p, r, _f1(p, r), bp, br, _f1(bp, br), n_clusters, len(size_t), len(lost))


@dataclass
class Result:
    system: str
    score: Score
    seconds: float
    review: int | None = None  # pairs waiting for a clerk
    detail: dict[str, Any] = field(default_factory=dict)


def print_table(city: City, results: list[Result], extra: list[tuple[str, str]]) -> None:
    n = city.n_rows
    lines = [
        ("pairwise precision", lambda r: f"{r.score.pairwise_p:.4f}"),
        ("pairwise recall", lambda r: f"{r.score.pairwise_r:.4f}"),
        ("pairwise F1", lambda r: f"{r.score.pairwise_f1:.4f}"),
        ("B-cubed precision", lambda r: f"{r.score.bcubed_p:.4f}"),
        ("B-cubed recall", lambda r: f"{r.score.bcubed_r:.4f}"),
        ("B-cubed F1", lambda r: f"{r.score.bcubed_f1:.4f}"),
        ("persons found / true", lambda r: f"{r.score.persons:,} / {r.score.true_persons:,}"),
        ("rows lost (own person)", lambda r: f"{r.score.lost:,}"),
        (
            "review queue (% rows)",
            lambda r: "—" if r.review is None else f"{r.review:,} ({100 * r.review / n:.2f} %)",
        ),
        ("wall time", lambda r: f"{r.seconds:.1f} s"),
    ]
    width = max(len(label) for label, _ in lines) + 2
    col = max(22, *(len(r.system) + 2 for r in results))
    print(
        f"\ncity '{city.name}': {n:,} rows, {len(city.rosters)} departments, "
        f"{len(set(city.truth.values())):,} humans"
    )
    print("-" * (width + col * len(results)))
    print(" " * width + "".join(f"{r.system:>{col}}" for r in results))
    for label, fmt in lines:
        print(f"{label:<{width}}" + "".join(f"{fmt(r):>{col}}" for r in results))
    print("-" * (width + col * len(results)))
    for r in results:
        for k, v in r.detail.items():
            shown = f"{v:.1f} s" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else v
            print(f"  {r.system}: {k} {shown}")
    for k, v in extra:
        print(f"  {k}: {v}")
