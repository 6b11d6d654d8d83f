"""The census's partition of one component of the candidate graph: which candidate edges
become one person (Kruskal with constraints and rivals), and why the others are left apart.
Pure: the linker (:mod:`.clustering`) passes its records, clerks' "not same" and edges."""

from __future__ import annotations

import math
from collections.abc import Mapping

from shegong.registry.census import model as fs
from shegong.registry.census.comparison import compare_levels, shown_digits_differ, veto
from shegong.registry.census.features import masked
from shegong.registry.census.scoring import (
    REVIEW_REASON,
    REVIEW_RIVAL,
    RULE_VALID_ID,
    _Edge,
    _Rec,
)

__all__ = ["CONFLICT_BIRTH", "CONFLICT_CLERK", "CONFLICT_ID", "RIVAL_REVIEW_AT", "partition"]

CONFLICT_ID = "conflict: would join different valid ID numbers"  # or masks showing others
CONFLICT_CLERK = "conflict: a clerk decided these persons are not the same"
CONFLICT_BIRTH = "conflict: would join birth dates that disagree"
# A record that matches several persons about equally is a clerk's question (which one?):
# its pairs are queued while each holds a quarter of the probability (up to three equals).
RIVAL_REVIEW_AT = 0.25


def _odds(weight: float) -> float:
    return 2.0 ** min(weight, 60.0)


def _find(parent: dict[str, str], x: str) -> str:
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        parent[x], x = root, parent[x]
    return root


def partition(
    keys: set[str],
    recs: Mapping[str, _Rec],
    not_same: Mapping[str, set[str]],
    clerk_pairs: list[tuple[str, str]],
    edges: list[tuple[float, str, str, _Edge]],
) -> tuple[list[list[str]], dict[tuple[str, str], tuple[str, float]]]:
    """Kruskal with constraints and rivals: clerks' "same" first, then candidate edges by
    weight (ties by key). A union that would join different valid IDs, a clerk's "not
    same" pair, or birth dates that disagree (the pairwise veto, kept through third
    records) is refused; a candidate is joined only if its probability, weighed
    against the *rivals* — other persons the same records match as well and that cannot
    be the same person too — reaches ``LINK_AT``: P = o / (1 + o + Σ rivals' odds).
    Returns the groups and, per pair left apart, why and that probability."""
    parent = {k: k for k in keys}
    refused: dict[tuple[str, str], tuple[str, float]] = {}
    ident = {k: recs[k].id_hash for k in keys}
    guarded = {k for k in keys if k in not_same}
    members: dict[str, list[str]] = {k: [k] for k in keys}
    adj: dict[str, list[tuple[str, float]]] = {k: [] for k in keys}
    for _, a, b, edge in edges:
        adj[a].append((b, edge.weight))
        adj[b].append((a, edge.weight))
    near = {k: list(v) for k, v in adj.items()}  # by person (root), merged as they join
    births = {k: set() if (born := recs[k].birth) is None else {born} for k in keys}
    # A person's published masks: one that shows other digits than a number of the other
    # person is another number (``shown_digits_differ``), as a valid ID number is.
    masks = {k: [k] if masked(recs[k].parts) else [] for k in keys}

    def masks_differ(rx: str, ry: str) -> bool:
        for mine, theirs in ((masks[rx], members[ry]), (masks[ry], members[rx])):
            for m in mine:
                if any(shown_digits_differ(recs[m], recs[t]) for t in theirs):
                    return True
        return False

    def conflict(rx: str, ry: str, births_too: bool = True) -> str | None:
        ix, iy = ident[rx], ident[ry]
        if ix is not None and iy is not None and ix != iy:
            return CONFLICT_ID
        if (masks[rx] or masks[ry]) and masks_differ(rx, ry):
            return CONFLICT_ID
        if rx in guarded or ry in guarded:
            small, large = sorted((members[rx], members[ry]), key=len)
            large_set = set(large)
            for m in small:
                if not_same.get(m, set()) & large_set:
                    return CONFLICT_CLERK
        bx, by = births[rx], births[ry]
        if births_too and bx and by and bx != by and vetoed(rx, ry):
            return CONFLICT_BIRTH
        return None

    def join(rx: str, ry: str) -> None:
        if len(members[rx]) < len(members[ry]):
            rx, ry = ry, rx
        parent[ry] = rx
        members[rx].extend(members.pop(ry))
        near[rx].extend(near.pop(ry))
        births[rx] |= births.pop(ry)
        masks[rx].extend(masks.pop(ry))
        if ident[rx] is None:
            ident[rx] = ident[ry]
        if ry in guarded:
            guarded.add(rx)

    def vetoed(rx: str, ry: str) -> bool:
        """Some record of rx can never be one person with some record of ry."""
        xs, ys = members[rx], members[ry]
        if len(xs) * len(ys) > 400:
            return False
        return any(veto(recs[x], recs[y], compare_levels(recs[x], recs[y])) for x in xs for y in ys)

    def rivals(rx: str, ry: str) -> float:
        """Odds of the persons rx's records match besides ry, that ry cannot also be
        (different valid IDs, a clerk's "not same", birth dates that disagree) and that rx
        still could (a person rx can never be is no alternative for it)."""
        apart: dict[str, bool] = {}
        best: dict[str, float] = {}
        for other, w in near[rx]:
            rc = _find(parent, other)
            if rc in (rx, ry) or w <= best.get(rc, -math.inf):
                continue
            if rc not in apart:
                apart[rc] = conflict(rc, ry) is not None and conflict(rc, rx) is None
            if apart[rc]:
                best[rc] = w
        return sum(_odds(w) for w in best.values())

    for a, b in sorted(clerk_pairs):  # validated when decided and whenever records change
        ra, rb = _find(parent, a), _find(parent, b)
        if ra != rb:
            join(ra, rb)
    edges.sort(key=lambda item: item[:3])
    for _, a, b, edge in edges:
        ra, rb = _find(parent, a), _find(parent, b)
        if ra == rb:
            continue
        odds = _odds(edge.weight)
        why = conflict(ra, rb, births_too=edge.rule != RULE_VALID_ID)
        if why is not None:  # would a or b rather be the other's than their own?
            own = [
                _odds(w) for x, r in ((a, ra), (b, rb)) for y, w in adj[x] if _find(parent, y) == r
            ]
            refused[(a, b)] = (why, odds / (1.0 + odds + max(own, default=0.0)))
        elif edge.rule == RULE_VALID_ID:
            join(ra, rb)
        else:
            against = rivals(ra, rb) + rivals(rb, ra)
            p = odds / (1.0 + odds + against)
            if p >= fs.LINK_AT:
                join(ra, rb)
            else:
                refused[(a, b)] = (REVIEW_RIVAL if against >= 1.0 else REVIEW_REASON, p)
    return list(members.values()), refused
