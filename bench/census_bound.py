"""How well any linker could do on a city, from the evidence its records carry: the
*evidence bound*.

Two pairs of records that carry the same evidence — the same *signature* — cannot be told
apart by any decision rule that sees only that evidence, so such a rule links both or
neither. The bound is what an oracle reaches when it may choose, with the truth in hand,
which signatures to link, and links every pair of each chosen signature (with the
transitive closure, as a partition must, never joining two valid ID numbers): signatures
are taken in order of the share of their pairs that are one person, each kept if the
closure it makes raises F1 (a greedy choice: the true optimum may be a little higher).
Pair by pair, without the closure, the best choice is exact (``Bound.f1``). It is
computed from the data, not typed in; it depends on what a signature holds:

* ``levels`` — the census's own comparison vector of the pair (:func:`compare_levels`:
  ID number, name, birth date, sex, phone, organisation, region, each on its level) and
  whether a veto holds (two valid IDs, birth dates that disagree);
* ``names`` — that, and for a pair of one name the name's context in the city: how many
  records carry it, in how many *anchor groups* (records of the name tied by an ID number
  or a mobile, :func:`namesakes.anchor_groups`), and whether the two sides' groups hold
  every record of it (:func:`namesakes.sole_holders`). This is evidence the census has
  (term frequencies and namesakes), so it is the bound to compare the census against.

A third figure backs off: a ``names`` signature that fewer than five pairs carry is
decided by its ``levels`` alone — closer to what a rule learnt from the city's own records
could know (the fine signatures make many singletons, which the oracle links when true).

Candidate pairs are those that share a name, an ID number (valid, or as typed) or a phone;
a true pair that shares none of these is counted missed (strangers with nothing in common
are legion: no rule can link such a pair by its own evidence). The oracle sees each
signature pooled over the whole city, so singletons — a signature only one pair has — are
linked if true: the bound is optimistic, an upper limit for rules of that information, not
a target. Rules that use more than the pair's own evidence (a third record: transitivity,
rivals) can pass the ``levels`` bound; the closure gives the oracle some of that too.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

KINDS = ("levels", "names")
_CAP_COUNT = 12  # a name's records counted up to this; above, "many"
_CAP_GROUPS = 6
BACKOFF = 5  # the bench's learnable variant: a name's context seen by fewer pairs is not used


@dataclass
class Bound:
    kind: str
    precision: float  # the best decision by signature, scored pair by pair
    recall: float
    f1: float
    partition: list[set[str]]  # the oracle's best partition (signatures linked, closed)
    groups: dict[Hashable, tuple[int, int]]  # signature → (true pairs, other pairs)
    linked: set[Hashable]  # the signatures the oracle links
    signature_of: dict[tuple[str, str], Hashable]  # candidate pair (a < b) → signature
    unreachable: int  # true pairs that share no name, ID number or phone


def candidate_pairs(feats: Mapping[str, Any]) -> set[tuple[str, str]]:
    """Pairs (a < b) that share a name, an ID number (valid or as typed) or a phone."""
    blocks: defaultdict[Hashable, list[str]] = defaultdict(list)
    for key, f in feats.items():
        if f.name:
            blocks[("n", f.name)].append(key)
        if f.id_hash:
            blocks[("i", f.id_hash)].append(key)
        if f.typed:
            blocks[("t", f.typed)].append(key)
        if f.phone:
            blocks[("p", f.phone)].append(key)
    pairs: set[tuple[str, str]] = set()
    for keys in blocks.values():
        keys.sort()
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                pairs.add((a, b))
    return pairs


def _name_context(feats: Mapping[str, Any]) -> tuple[dict[str, Any], Counter[str]]:
    from shegong.registry.census.namesakes import anchor_groups

    by_name: defaultdict[str, list[Any]] = defaultdict(list)
    for f in feats.values():
        if f.name:
            by_name[f.name].append(f)
    groups: dict[str, Any] = {}
    n_groups: Counter[str] = Counter()
    for name, recs in by_name.items():
        found = anchor_groups(recs)
        groups.update(found)
        n_groups[name] = len({root for root, _ in found.values()})
    return groups, n_groups


def signatures(feats: Mapping[str, Any], kind: str) -> dict[tuple[str, str], Hashable]:
    """Each candidate pair's signature (see the module's text)."""
    from shegong.registry.census.comparison import compare_levels, veto
    from shegong.registry.census.namesakes import sole_holders

    if kind not in KINDS:
        raise ValueError(f"unknown signature kind {kind!r}: one of {KINDS}")
    count = Counter(f.name for f in feats.values() if f.name)
    groups, n_groups = _name_context(feats) if kind == "names" else ({}, Counter())
    out: dict[tuple[str, str], Hashable] = {}
    for a, b in candidate_pairs(feats):
        x, y = feats[a], feats[b]
        levels = compare_levels(x, y)
        sig: tuple[Any, ...] = (levels, veto(x, y, levels) is not None)
        if kind == "names" and x.name and x.name == y.name:
            n = count[x.name]
            sig += (
                min(n, _CAP_COUNT),
                min(n_groups[x.name], _CAP_GROUPS),
                groups[a][0] == groups[b][0],
                sole_holders(groups, n, x, y),
            )
        out[(a, b)] = sig
    return out


class _Closure:
    """Union-find over records, counting linked pairs and true pairs as it merges. Two
    persons that hold two different valid ID numbers are never merged (the census's hard
    constraint, and evidence in the records)."""

    def __init__(self, truth: Mapping[str, str], ids: Mapping[str, str | None]) -> None:
        self.parent = {k: k for k in ids}
        self.humans = {k: Counter({truth[k]: 1}) for k in ids}
        self.size = dict.fromkeys(ids, 1)
        self.ids = dict(ids)
        self.pairs = self.true = 0

    def find(self, x: str) -> str:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def gain(self, pairs: Iterable[tuple[str, str]]) -> tuple[int, int]:
        """The pairs and the true pairs that linking ``pairs`` would add (nothing changed)."""
        up: dict[str, str] = {}
        held: dict[str, str | None] = {}

        def top(x: str) -> str:
            while up.get(x, x) != x:
                x = up[x]
            return x

        for a, b in pairs:
            ra, rb = top(self.find(a)), top(self.find(b))
            if ra == rb:
                continue
            ia, ib = held.get(ra, self.ids[ra]), held.get(rb, self.ids[rb])
            if ia and ib and ia != ib:
                continue
            keep, gone = min(ra, rb), max(ra, rb)
            up[gone] = keep
            held[keep] = ia or ib
        merged: defaultdict[str, list[str]] = defaultdict(list)
        for root in up.keys() | set(up.values()):
            merged[top(root)].append(root)
        added = true = 0
        for roots in merged.values():
            size = sum(self.size[r] for r in roots)
            added += (size * size - sum(self.size[r] ** 2 for r in roots)) // 2
            counts: Counter[str] = Counter()
            for r in roots:
                counts.update(self.humans[r])
            true += (
                sum(n * n for n in counts.values())
                - sum(n * n for r in roots for n in self.humans[r].values())
            ) // 2
        return added, true

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        ia, ib = self.ids[ra], self.ids[rb]
        if ia and ib and ia != ib:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        ha, hb = self.humans[ra], self.humans.pop(rb)
        self.pairs += self.size[ra] * self.size[rb]
        self.true += sum(n * ha[h] for h, n in hb.items())
        ha.update(hb)
        self.size[ra] += self.size.pop(rb)
        self.ids[ra] = ia or ib
        self.parent[rb] = ra


def evidence_bound(
    records: Iterable[Any], truth: Mapping[str, str], kind: str, least: int = 1
) -> Bound:
    """The oracle's best partition of ``records`` (census records whose keys the truth
    holds) when pairs of one signature must be decided alike. With ``least`` > 1, a
    ``names`` signature fewer pairs than that carry is taken as its ``levels`` alone (what
    a rule learnt from the city could tell of it: a context seen once or twice teaches
    nothing)."""
    from shegong.registry.census.comparison import Features

    feats = {r.key: Features(r) for r in records if r.key in truth}
    sig_of = signatures(feats, kind)
    if least > 1:
        seen = Counter(sig_of.values())
        sig_of = {pair: s if seen[s] >= least else s[:2] for pair, s in sig_of.items()}
    groups: defaultdict[Hashable, list[int]] = defaultdict(lambda: [0, 0])
    members: defaultdict[Hashable, list[tuple[str, str]]] = defaultdict(list)
    for (a, b), sig in sig_of.items():
        groups[sig][0 if truth[a] == truth[b] else 1] += 1
        members[sig].append((a, b))
    humans = Counter(truth[k] for k in feats)
    actual = sum(n * (n - 1) // 2 for n in humans.values())
    reachable = sum(t for t, _ in groups.values())
    # Only signatures with a true pair can help; the purest first, the largest first.
    order = sorted(
        (s for s, (t, _) in groups.items() if t),
        key=lambda s: (-groups[s][0] / sum(groups[s]), -groups[s][0], repr(s)),
    )
    # Pair by pair, the best choice is exactly a prefix of this order (F1 is linear-
    # fractional in the pairs chosen: a signature is worth linking iff its precision
    # exceeds half the optimum).
    tp = fp = 0
    exact = (0.0, 0.0, 0.0)
    for sig in order:
        tp, fp = tp + groups[sig][0], fp + groups[sig][1]
        f1 = 2 * tp / (tp + fp + actual)
        if f1 > exact[2]:
            exact = (tp / (tp + fp), tp / actual, f1)
    # As a partition: signatures linked in that order, each kept if the closure it makes
    # (its pairs and every pair they join through a third record) raises F1.
    final = _Closure(truth, {k: f.id_hash for k, f in feats.items()})
    linked: set[Hashable] = set()
    for sig in order:
        pairs, true = final.gain(members[sig])
        f1 = 2 * final.true / (final.pairs + actual)
        if 2 * (final.true + true) / (final.pairs + pairs + actual) > f1:
            linked.add(sig)
            for a, b in members[sig]:
                final.union(a, b)
    parts: defaultdict[str, set[str]] = defaultdict(set)
    for k in feats:
        parts[final.find(k)].add(k)
    return Bound(
        kind,
        *exact,
        list(parts.values()),
        {s: (t, f) for s, (t, f) in groups.items()},
        linked,
        sig_of,
        actual - reachable if actual > reachable else 0,
    )


def bound_result(city: Any, records: list[Any]) -> Any:
    """The bench's column: the oracle's partition under the ``names`` signature, with the
    pair-by-pair optimum and the ``levels`` signature's figures beside it."""
    import time

    from census_score import Result, score

    start = time.perf_counter()
    found = {kind: evidence_bound(records, city.truth, kind) for kind in KINDS}
    found[f"names, a context under {BACKOFF} pairs by its levels"] = evidence_bound(
        records, city.truth, "names", BACKOFF
    )
    detail: dict[str, Any] = {}
    for kind, b in found.items():
        closed = score(b.partition, city.truth)
        detail[f"{kind}: oracle partition P / R / F1"] = (
            f"{closed.pairwise_p:.4f} / {closed.pairwise_r:.4f} / {closed.pairwise_f1:.4f}"
            f" ({len(b.linked):,} of {len(b.groups):,} signatures linked)"
        )
        detail[f"{kind}: pair by pair, no closure, P / R / F1"] = (
            f"{b.precision:.4f} / {b.recall:.4f} / {b.f1:.4f}"
        )
    detail["true pairs sharing no name, ID number or phone"] = found["names"].unreachable
    return Result(
        "evidence bound",
        score(found["names"].partition, city.truth),
        time.perf_counter() - start,
        None,
        detail,
    )
