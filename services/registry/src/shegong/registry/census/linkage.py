"""Record linkage for the city census (应统尽统、不漏不重): one person per human.

Pure and incremental: ``Linker.add`` / ``update`` / ``remove`` / ``decide`` / ``train``
each return the ``Link`` / ``Unlink`` / ``Review`` decisions they caused, so a census that
stores them as events can be replayed and explained. The engine sees privacy-preserving
records only (``CensusRecord``: keyed hashes, never a raw ID number or phone).

How a partition is made
-----------------------
* **Blocking.** A record is compared only with records sharing a block key with it: its
  valid-ID hash; parts of its ID number (a slip in the others); its phone hash; its
  name with its birth year or its organisation; its surname or the pinyin of
  its name with its birth date; its name alone while at most ``NAME_BLOCK_MAX`` records
  carry it. Never all pairs.
* **Scoring.** Each compared pair gets its comparison vector (:mod:`.comparison`) and the
  current model's match weight and probability (:mod:`.model`, Fellegi–Sunter with term
  frequencies). At ``LINK_AT`` or above it is a link edge; from ``REVIEW_AT`` a review
  edge; the evidence is the waterfall — the weight each comparison added. Vetoes (two
  valid ID numbers, birth dates that disagree) rule a pair out whatever the weights.
* **Constrained clustering.** Within each connected component of the link graph, clerks'
  "same" decisions are applied first, then link edges by descending weight (ties by key);
  a union is refused when it would put two different valid-ID hashes, or a pair a clerk
  declared "not same", into one person. A refused edge goes to the review queue.
* **Learning.** ``train()`` learns a new model from the records (``model.train``: u from
  random pairs, m by EM per blocking rule, λ from shared ID numbers), re-scores every
  edge and returns only the decisions that changed. With ``auto_train`` the linker
  trains itself when the census reaches ``MIN_TRAIN`` records and each time it doubles.

Given a model, the partition is a function of the current records and decisions, whatever
order they arrived in (a name's weight depends on its frequency bucket, and a record's
edges are re-scored when that bucket changes). Each operation re-clusters only the
components it touched. A person's id is the smallest record key in it (deterministic, so
replay gives the same ids; it changes when a person absorbs a record with a smaller key).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from shegong.registry.census import model as fs
from shegong.registry.census.comparison import (
    CensusRecord,
    Features,
    compare_levels,
    id_fragment,
    veto,
)
from shegong.registry.census.model import DEFAULT_MODEL, MatchModel
from shegong.registry.census.names import (
    COMMON_NAMES,
    TRADITIONAL_TO_SIMPLIFIED,
    normalize_org,
    normalize_person_name,
    to_simplified,
)

__all__ = [
    "COMMON_NAMES",
    "MIN_TRAIN",
    "TRADITIONAL_TO_SIMPLIFIED",
    "CensusConflict",
    "CensusRecord",
    "Decision",
    "Link",
    "Linker",
    "MatchModel",
    "Review",
    "Unlink",
    "compare",
    "id_fragment",
    "normalize_org",
    "normalize_person_name",
    "to_simplified",
]

MIN_TRAIN = 1000  # records before the census learns its first model
NAME_BLOCK_MAX = 32  # a name carried by more records blocks only with other fields


@dataclass(frozen=True, slots=True)
class Link:
    """Records ``a`` and ``b`` are the same person, by ``rule`` (``"clerk"`` for a human)."""

    a: str
    b: str
    rule: str
    evidence: dict[str, Any] = field(hash=False)
    score: float


@dataclass(frozen=True, slots=True)
class Unlink:
    """A link between ``a`` and ``b`` no longer holds; ``rule`` is the link's, ``reason`` why."""

    a: str
    b: str
    rule: str
    reason: str
    evidence: dict[str, Any] = field(hash=False)


@dataclass(frozen=True, slots=True)
class Review:
    """The model cannot decide whether ``a`` and ``b`` are one person: a clerk should."""

    a: str
    b: str
    reason: str
    evidence: dict[str, Any] = field(hash=False)
    score: float


Decision: TypeAlias = Link | Unlink | Review


class CensusConflict(ValueError):
    """A clerk's "same" decision would make two different valid ID numbers one person."""


RULE_VALID_ID = "same-valid-id"
RULE_MODEL = "match-weight"
REVIEW_REASON = "match probability uncertain"
REVIEW_NAMES = "names differ"
NAME_ELSE = 4


class _Rec(Features):
    """A record's features and its block keys."""

    __slots__ = ("blocks",)

    def __init__(self, record: CensusRecord) -> None:
        super().__init__(record)
        blocks: list[tuple[Any, ...]] = []
        if self.id_hash:
            blocks.append(("i", self.id_hash))
        if self.parts and len(self.parts) == 4:
            region, birth, order, check = self.parts
            blocks.append(("rb", region, birth))
            blocks.append(("ro", region, order, check))
            blocks.append(("bo", birth, order, check))
        if self.phone:
            blocks.append(("p", self.phone))
        if self.name:
            if self.birth:
                blocks.append(("nb", self.name, self.birth.year))
                # The surname and the birth date: a given name mistyped or shortened.
                blocks.append(("sb", self.name[0], self.birth))
                if self.pinyin:
                    blocks.append(("yb", self.pinyin, self.birth))
            if self.org:
                blocks.append(("no", self.name, self.org))
        self.blocks = tuple(blocks)


class _Edge:
    """A scored pair: a link edge or a review edge. Its evidence (the waterfall) is worked
    out when a decision first needs it, and then kept (decisions share the object)."""

    __slots__ = ("_evidence", "levels", "link", "model", "name_weight", "rule", "score", "weight")

    def __init__(
        self,
        link: bool,
        rule: str,
        score: float,
        weight: float,
        model: MatchModel,
        levels: tuple[int, ...],
        name_weight: float,
    ) -> None:
        self.link, self.rule, self.score, self.weight = link, rule, score, weight
        self.model, self.levels, self.name_weight = model, levels, name_weight
        self._evidence: dict[str, Any] | None = None

    @property
    def evidence(self) -> dict[str, Any]:
        if self._evidence is None:
            self._evidence = self.model.explain(self.levels, self.name_weight)
        return self._evidence


def _bucket(count: int) -> int:
    """A name's frequency bucket (steps of √2): its weight changes only between buckets."""
    return round(2 * math.log2(count)) if count > 0 else 0


def _compare(x: _Rec, y: _Rec, model: MatchModel, name_weight: float) -> _Edge | None:
    levels = compare_levels(x, y)
    if veto(x, y, levels) is not None:
        return None
    weight = model.weight(levels, name_weight)
    decisive = x.id_hash is not None and x.id_hash == y.id_hash
    score = fs.probability(weight)
    if decisive:
        return _Edge(True, RULE_VALID_ID, 1.0, math.inf, model, levels, name_weight)
    if score >= fs.LINK_AT and levels[1] != NAME_ELSE:
        return _Edge(True, RULE_MODEL, score, weight, model, levels, name_weight)
    if score >= fs.LINK_AT:  # two different names are never linked but by a valid ID or a clerk
        return _Edge(False, REVIEW_NAMES, score, weight, model, levels, name_weight)
    if score >= fs.REVIEW_AT:
        return _Edge(False, REVIEW_REASON, score, weight, model, levels, name_weight)
    return None


def compare(
    x: CensusRecord, y: CensusRecord, *, model: MatchModel = DEFAULT_MODEL, name_count: int = 1
) -> Decision | None:
    """What the model says about two records alone: a ``Link``, a ``Review`` or nothing
    (``name_count``: how many records in the census carry their name)."""
    rx, ry = _Rec(x), _Rec(y)
    edge = _compare(rx, ry, model, _name_weight(model, rx.name, name_count))
    if edge is None:
        return None
    if edge.link:
        return Link(x.key, y.key, edge.rule, edge.evidence, edge.score)
    return Review(x.key, y.key, edge.rule, edge.evidence, edge.score)


def _name_weight(model: MatchModel, name: str, count: int) -> float:
    bucket = _bucket(count)
    return model.name_weight(2 ** (bucket / 2), name in COMMON_NAMES)


# --------------------------------------------------------------------------- the linker


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _find(parent: dict[str, str], x: str) -> str:
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        parent[x], x = root, parent[x]
    return root


def _union(parent: dict[str, str], a: str, b: str) -> None:
    ra, rb = _find(parent, a), _find(parent, b)
    if ra != rb:
        parent[rb] = ra


class Linker:
    """Incremental census linkage: records in, persons out, every change a decision."""

    def __init__(self, *, model: MatchModel = DEFAULT_MODEL, auto_train: bool = False) -> None:
        self.model = model
        self.auto_train = auto_train
        self.trained_at = model.records if model.version else 0
        self._recs: dict[str, _Rec] = {}
        # Block key → its records: the key alone while one record holds it (most blocks),
        # a set from the second on (a set costs ~200 bytes; a census holds ~8 blocks a record).
        self._blocks: dict[tuple[Any, ...], str | set[str]] = {}
        self._by_name: dict[str, set[str]] = {}
        self._links: dict[str, dict[str, _Edge]] = {}
        self._reviews: dict[str, dict[str, _Edge]] = {}
        self._same: dict[str, set[str]] = {}  # clerks' "same", over all keys ever decided
        self._not_same: dict[str, set[str]] = {}
        self._decided: dict[tuple[str, str], tuple[bool, str]] = {}
        self._person: dict[str, str] = {}
        self._members: dict[str, set[str]] = {}
        self._active: dict[str, dict[str, Link]] = {}
        self._queue: dict[tuple[str, str], Review] = {}
        self._name_weights: dict[tuple[str, int], float] = {}
        self._queue_by_key: dict[str, set[tuple[str, str]]] = {}
        # What changed since the last drain_changes(): for a store that mirrors the state.
        self._changed_keys: set[str] = set()
        self._changed_pairs: set[tuple[str, str]] = set()

    # ---------------------------------------------------------------- queries

    def __len__(self) -> int:
        return len(self._recs)

    def __contains__(self, key: object) -> bool:
        return key in self._recs

    def record(self, key: str) -> CensusRecord:
        return self._recs[key].record

    def person_of(self, key: str) -> str:
        """The person a record belongs to (its id is the person's smallest record key)."""
        return self._person[key]

    def persons(self) -> dict[str, set[str]]:
        return {pid: set(keys) for pid, keys in self._members.items()}

    def links(self, key: str) -> list[Link]:
        """The links that hold ``key`` in its person, with their rules and evidence."""
        return sorted(self._active.get(key, {}).values(), key=lambda link: (link.a, link.b))

    def review_queue(self) -> list[Review]:
        return [self._queue[pair] for pair in sorted(self._queue)]

    def decisions(self) -> dict[tuple[str, str], tuple[bool, str]]:
        """Clerks' decisions: (a, b) with a < b → (same, by)."""
        return dict(self._decided)

    def drain_changes(self) -> tuple[set[str], set[tuple[str, str]]]:
        """Records whose person may have changed, and review pairs that may have entered or
        left the queue, since the last call (a superset: check ``person_of``/``in_queue``)."""
        keys, pairs = self._changed_keys, self._changed_pairs
        self._changed_keys, self._changed_pairs = set(), set()
        return keys, pairs

    def in_queue(self, pair: tuple[str, str]) -> Review | None:
        return self._queue.get(_pair(*pair))

    def name_count(self, name: str) -> int:
        """How many records carry this name (normalised)."""
        return len(self._by_name.get(normalize_person_name(name), ()))

    # ---------------------------------------------------------------- commands

    def add(self, record: CensusRecord) -> list[Decision]:
        if record.key in self._recs:
            raise KeyError(f"record {record.key} is already in the census; use update()")
        rec = _Rec(record)
        self._check_clerk_links({rec.key: rec.id_hash})
        before = self._commonness([rec.name])
        self._insert(rec)
        dirty = {rec.key} | self._flipped(before)
        touched = self._touch(dirty)
        for key in dirty:
            self._rescore(key)
        out = self._recluster(self._component(touched), removed=set())
        if self.auto_train and self.training_due():
            out.extend(self.train())
        return out

    def training_due(self) -> bool:
        """The census has reached ``MIN_TRAIN`` records, or doubled since it last learned."""
        return len(self._recs) >= max(MIN_TRAIN, 2 * self.trained_at)

    def train(self) -> list[Decision]:
        """Learn a new model from the records, re-score every pair with it, and return the
        decisions that changed (links made or undone, pairs queued)."""
        keys = sorted(self._recs)
        features = [self._recs[k] for k in keys]
        index = {k: i for i, k in enumerate(keys)}
        linked = sum(len(m) * (len(m) - 1) // 2 for m in self._members.values())
        model = fs.train(
            features,
            self._blocks,
            index,
            version=self.model.version + 1,
            linked_pairs=linked,
            persons=len(self._members),
        )
        return self.use_model(model)

    def use_model(self, model: MatchModel) -> list[Decision]:
        """Adopt ``model`` (trained here, or as published by the census): every edge is
        re-scored and the partition re-made; returns what changed."""
        self.model = model
        self.trained_at = model.records
        self._name_weights.clear()
        for key in self._recs:
            self._rescore(key)
        return self._recluster(self._component(set(self._recs)), removed=set())

    def update(self, record: CensusRecord) -> list[Decision]:
        old = self._recs.get(record.key)
        if old is None:
            raise KeyError(f"record {record.key} is not in the census")
        if old.record == record:
            return []
        rec = _Rec(record)
        self._check_clerk_links({rec.key: rec.id_hash})
        before = self._commonness([old.name, rec.name])
        touched = self._touch({rec.key})
        self._delete(old)
        self._insert(rec)
        dirty = {rec.key} | self._flipped(before)
        touched |= self._touch(dirty)
        for key in dirty:
            self._rescore(key)
        return self._recluster(self._component(touched), removed=set())

    def remove(self, key: str) -> list[Decision]:
        old = self._recs.get(key)
        if old is None:
            raise KeyError(f"record {key} is not in the census")
        before = self._commonness([old.name])
        touched = self._touch({key})
        self._delete(old)
        self._drop_edges(key)
        dirty = self._flipped(before)
        touched |= self._touch(dirty)
        for other in dirty:
            self._rescore(other)
        touched.discard(key)
        return self._recluster(self._component(touched), removed={key})

    def decide(self, a: str, b: str, same: bool, by: str) -> list[Decision]:
        """A clerk's decision on a pair; it holds through later updates and imports.

        "Not same" keeps the two records in different persons for good. "Same" keeps them
        in one person; it raises ``CensusConflict`` if that would join two different valid
        ID numbers, or contradict an earlier "not same" between records linked by clerks.
        """
        if a == b:
            raise ValueError("a decision needs two different records")
        for key in (a, b):
            if key not in self._recs:
                raise KeyError(f"record {key} is not in the census")
        pair = _pair(a, b)
        previous = self._decided.get(pair)
        if previous is not None and previous[0] == same:
            self._decided[pair] = (same, by)
            return []
        touched = self._touch({a, b})
        self._forget_decision(pair)
        try:
            if same:
                self._check_clerk_links({}, extra_same=pair)
            elif b in self._same_closure({a}):
                raise CensusConflict(
                    f"{a} and {b} are joined by other clerks' 'same' decisions; revise those first"
                )
        except CensusConflict:
            if previous is not None:
                self._remember_decision(pair, *previous)
            raise
        self._remember_decision(pair, same, by)
        return self._recluster(self._component(touched), removed=set())

    # ---------------------------------------------------------------- internals: state

    def _frequency(self, name: str) -> tuple[int, bool]:
        """The name's frequency bucket, and whether it is too frequent to block on alone."""
        count = len(self._by_name.get(name, ()))
        return _bucket(count), count > NAME_BLOCK_MAX

    def _name_weight_of(self, name: str) -> float:
        bucket = self._frequency(name)[0]
        found = self._name_weights.get((name, bucket))
        if found is None:
            found = self._name_weights[(name, bucket)] = self.model.name_weight(
                2 ** (bucket / 2), name in COMMON_NAMES
            )
        return found

    def _commonness(self, names: Iterable[str]) -> dict[str, tuple[int, bool]]:
        return {name: self._frequency(name) for name in names}

    def _flipped(self, before: Mapping[str, tuple[int, bool]]) -> set[str]:
        """Records whose edges must be recomputed because their name's frequency changed."""
        dirty: set[str] = set()
        for name, was in before.items():
            if self._frequency(name) != was:
                dirty |= self._by_name.get(name, set())
        return dirty

    def _insert(self, rec: _Rec) -> None:
        self._recs[rec.key] = rec
        blocks = self._blocks
        for block in rec.blocks:
            bucket = blocks.get(block)
            if bucket is None:
                blocks[block] = rec.key
            elif isinstance(bucket, str):
                blocks[block] = {bucket, rec.key}
            else:
                bucket.add(rec.key)
        same_name = self._by_name.get(rec.name)
        if same_name is None:
            self._by_name[rec.name] = {rec.key}
        else:
            same_name.add(rec.key)

    def _delete(self, rec: _Rec) -> None:
        del self._recs[rec.key]
        blocks = self._blocks
        for block in rec.blocks:
            bucket = blocks[block]
            if isinstance(bucket, str):
                del blocks[block]
                continue
            bucket.discard(rec.key)
            if len(bucket) == 1:
                blocks[block] = next(iter(bucket))
        names = self._by_name[rec.name]
        names.discard(rec.key)
        if not names:
            del self._by_name[rec.name]

    def _drop_edges(self, key: str) -> None:
        for edges in (self._links, self._reviews):
            for other in edges.pop(key, {}):
                theirs = edges[other]
                del theirs[key]
                if not theirs:  # no empty dict per record: most records have no edge
                    del edges[other]

    def _rescore(self, key: str) -> None:
        """Recompute every edge of ``key`` against the records sharing a block with it."""
        self._drop_edges(key)
        rec = self._recs[key]
        candidates: set[str] = set()
        for block in rec.blocks:
            bucket = self._blocks[block]
            if isinstance(bucket, str):
                candidates.add(bucket)
            else:
                candidates |= bucket
        same_name = self._by_name.get(rec.name, set())
        if len(same_name) <= NAME_BLOCK_MAX:
            # A name few records carry is a block of its own: a record with little else
            # (a name and a community) still meets its namesakes.
            candidates |= same_name
        candidates.discard(key)
        recs, model = self._recs, self.model
        for other_key in candidates:
            other = recs[other_key]
            # An exact name is weighed by its frequency; another name's weight is fixed.
            name_weight = self._name_weight_of(rec.name) if rec.name == other.name else 0.0
            edge = (
                _compare(rec, other, model, name_weight)
                if key < other_key
                else _compare(other, rec, model, name_weight)
            )
            if edge is None:
                continue
            edges = self._links if edge.link else self._reviews
            edges.setdefault(key, {})[other_key] = edge
            edges.setdefault(other_key, {})[key] = edge

    def _touch(self, keys: Iterable[str]) -> set[str]:
        """``keys`` and everything their clusters may currently depend on."""
        out: set[str] = set()
        for key in keys:
            out.add(key)
            out.update(self._links.get(key, ()))
            out.update(self._same.get(key, ()))
            pid = self._person.get(key)
            if pid is not None:
                out.update(self._members[pid])
        return out

    def _component(self, seeds: Iterable[str]) -> set[str]:
        """The union of the link-graph components (link edges + clerks' "same") of seeds."""
        recs, links, same = self._recs, self._links, self._same
        seen: set[str] = set()
        stack = [key for key in seeds if key in recs]
        while stack:
            key = stack.pop()
            if key in seen:
                continue
            seen.add(key)
            for other in links.get(key, ()):
                if other not in seen:
                    stack.append(other)
            for other in same.get(key, ()):
                if other not in seen and other in recs:
                    stack.append(other)
        return seen

    def _same_closure(self, start: set[str], extra: tuple[str, str] | None = None) -> set[str]:
        seen: set[str] = set()
        stack = list(start)
        while stack:
            key = stack.pop()
            if key in seen:
                continue
            seen.add(key)
            stack.extend(self._same.get(key, ()))
            if extra is not None and key in extra:
                stack.append(extra[1] if key == extra[0] else extra[0])
        return seen

    def _check_clerk_links(
        self, id_hashes: Mapping[str, str | None], extra_same: tuple[str, str] | None = None
    ) -> None:
        """Refuse a state where clerks' "same" decisions join different valid IDs."""
        starts = set(id_hashes) | set(extra_same or ())
        closure = self._same_closure(starts, extra=extra_same)
        if len(closure) < 2:
            return
        hashes: set[str] = set()
        for key in closure:
            if key in id_hashes:
                value = id_hashes[key]
            else:
                rec = self._recs.get(key)
                value = rec.id_hash if rec is not None else None
            if value:
                hashes.add(value)
        if len(hashes) > 1:
            raise CensusConflict(
                "a clerk's 'same' decision would make records with different valid ID numbers "
                f"one person ({', '.join(sorted(closure))})"
            )
        if extra_same is not None:
            for key in closure:
                if self._not_same.get(key, set()) & closure:
                    raise CensusConflict(
                        f"{extra_same[0]} and {extra_same[1]}: 'same' contradicts a clerk's "
                        "earlier 'not same' between records it would join"
                    )

    def _remember_decision(self, pair: tuple[str, str], same: bool, by: str) -> None:
        a, b = pair
        self._decided[pair] = (same, by)
        target = self._same if same else self._not_same
        target.setdefault(a, set()).add(b)
        target.setdefault(b, set()).add(a)

    def _forget_decision(self, pair: tuple[str, str]) -> None:
        previous = self._decided.pop(pair, None)
        if previous is None:
            return
        target = self._same if previous[0] else self._not_same
        a, b = pair
        for x, y in ((a, b), (b, a)):
            partners = target.get(x)
            if partners is not None:
                partners.discard(y)
                if not partners:
                    del target[x]

    # ---------------------------------------------------------------- internals: clustering

    def _recluster(self, keys: set[str], removed: set[str]) -> list[Decision]:
        """Re-partition ``keys`` (whole link components) and return what changed."""
        recs, person, members, active = self._recs, self._person, self._members, self._active
        # Old persons of these keys lie inside them (plus removed keys), by construction.
        old_pids = {person[k] for k in keys | removed if k in person}
        for pid in old_pids:
            keys.update(m for m in members[pid] if m in recs)
        everything = keys | removed
        self._changed_keys |= everything
        old_links: dict[tuple[str, str], Link] = {}
        for key in everything:
            for link in active.get(key, {}).values():
                old_links[(link.a, link.b)] = link

        clerk_pairs: list[tuple[str, str]] = []
        edges: list[tuple[float, str, str, _Edge]] = []
        for key in keys:
            for other in self._same.get(key, ()):
                if key < other and other in recs:
                    clerk_pairs.append((key, other))
            for other, edge in self._links.get(key, {}).items():
                if key < other:
                    edges.append((-edge.weight, key, other, edge))
        groups, refused = self._partition(keys, clerk_pairs, edges)

        # New persons.
        for pid in old_pids:
            del members[pid]
        for key in removed:
            person.pop(key, None)
        for group in groups:
            pid = min(group)
            members[pid] = set(group)
            for key in group:
                person[key] = pid

        # New active links (the old objects kept where nothing changed) and the diff.
        new_links: dict[tuple[str, str], Link] = {}
        for _, a, b, edge in edges:
            if person[a] == person[b]:
                old = old_links.get((a, b))
                if old is not None and old.evidence is edge.evidence:
                    new_links[(a, b)] = old
                else:
                    new_links[(a, b)] = Link(a, b, edge.rule, edge.evidence, edge.score)
        for a, b in clerk_pairs:
            _, by = self._decided[(a, b)]
            new_links[(a, b)] = Link(a, b, "clerk", {"decided": "same", "by": by}, 1.0)
        for key in everything:
            active.pop(key, None)
        for pair, link in new_links.items():
            a, b = pair
            mine = active.get(a)
            if mine is None:
                active[a] = {b: link}
            else:
                mine[b] = link
            theirs = active.get(b)
            if theirs is None:
                active[b] = {a: link}
            else:
                theirs[a] = link

        out: list[Decision] = []
        if old_links:
            for pair, link in sorted(old_links.items()):
                if pair not in new_links:
                    why = self._why_unlinked(pair, removed, refused)
                    out.append(Unlink(pair[0], pair[1], link.rule, why, link.evidence))
        for pair, link in sorted(new_links.items()):
            old = old_links.get(pair)
            # A link that still holds is not announced again because a new model weighs
            # it differently: a retraining emits only the decisions that changed.
            if old is not link and (
                old is None
                or old.rule != link.rule
                or (
                    old.evidence != link.evidence
                    and old.evidence.get("model") == link.evidence.get("model")
                )
            ):
                out.append(link)
        out.extend(self._requeue(everything, removed, refused, edges))
        return out

    def _partition(
        self,
        keys: set[str],
        clerk_pairs: list[tuple[str, str]],
        edges: list[tuple[float, str, str, _Edge]],
    ) -> tuple[list[list[str]], dict[tuple[str, str], str]]:
        """Kruskal with constraints: clerks' "same" first, then link edges by score (ties by
        key); a union that would join different valid IDs or a clerk's "not same" pair is
        refused. Returns the groups and the refused edges with the reason."""
        recs, not_same = self._recs, self._not_same
        parent = {k: k for k in keys}
        refused: dict[tuple[str, str], str] = {}
        hashes = {recs[k].id_hash for k in keys}
        hashes.discard(None)
        guarded = {k for k in keys if k in not_same}
        if len(hashes) <= 1 and not guarded:
            # Nothing can be refused: the groups are the connected components.
            for a, b in clerk_pairs:
                _union(parent, a, b)
            for _, a, b, _edge in edges:
                _union(parent, a, b)
            grouped: dict[str, list[str]] = {}
            for key in keys:
                grouped.setdefault(_find(parent, key), []).append(key)
            return list(grouped.values()), refused

        ident = {k: recs[k].id_hash for k in keys}
        members: dict[str, list[str]] = {k: [k] for k in keys}

        def union(x: str, y: str) -> str | None:
            rx, ry = _find(parent, x), _find(parent, y)
            if rx == ry:
                return None
            ix, iy = ident[rx], ident[ry]
            if ix is not None and iy is not None and ix != iy:
                return "conflict: would join different valid ID numbers"
            if rx in guarded or ry in guarded:
                small, large = sorted((members[rx], members[ry]), key=len)
                large_set = set(large)
                for m in small:
                    if not_same.get(m, set()) & large_set:
                        return "conflict: a clerk decided these persons are not the same"
            if len(members[rx]) < len(members[ry]):
                rx, ry = ry, rx
            parent[ry] = rx
            members[rx].extend(members.pop(ry))
            if ident[rx] is None:
                ident[rx] = ident[ry]
            if ry in guarded:
                guarded.add(rx)
            return None

        for a, b in sorted(clerk_pairs):
            union(a, b)  # validated when decided and whenever records change
        edges.sort(key=lambda item: item[:3])
        for _, a, b, _edge in edges:
            why = union(a, b)
            if why is not None:
                refused[(a, b)] = why
        return list(members.values()), refused

    def _why_unlinked(
        self, pair: tuple[str, str], removed: set[str], refused: Mapping[tuple[str, str], str]
    ) -> str:
        a, b = pair
        if a in removed or b in removed:
            return "record removed"
        decided = self._decided.get(pair)
        if decided is not None and not decided[0]:
            return "clerk decided not the same"
        if pair in refused:
            return refused[pair]
        if b in self._links.get(a, {}):
            return "persons split"
        return "evidence changed"

    def _requeue(
        self,
        keys: set[str],
        removed: set[str],
        refused: Mapping[tuple[str, str], str],
        edges: list[tuple[float, str, str, _Edge]],
    ) -> list[Review]:
        old: dict[tuple[str, str], Review] = {}
        for key in keys:
            for pair in self._queue_by_key.pop(key, ()):
                review = self._queue.pop(pair, None)
                if review is not None:
                    old[pair] = review
                    other = pair[1] if pair[0] == key else pair[0]
                    others = self._queue_by_key.get(other)
                    if others is not None:
                        others.discard(pair)
                        if not others:
                            del self._queue_by_key[other]
        person, decided = self._person, self._decided
        new: dict[tuple[str, str], Review] = {}
        for key in keys:
            if key in removed:
                continue
            for other, edge in self._reviews.get(key, {}).items():
                pair = _pair(key, other)
                if pair in new or pair in decided or person[key] == person[other]:
                    continue
                previous = old.get(pair)
                if previous is not None and previous.evidence is edge.evidence:
                    new[pair] = previous
                else:
                    new[pair] = Review(pair[0], pair[1], edge.rule, edge.evidence, edge.score)
        # A clerk decides about two persons once: of the uncertain pairs between the same
        # two persons, the queue shows the strongest (ties: the first by key).
        best: dict[tuple[str, str], tuple[str, str]] = {}
        for pair, review in sorted(new.items()):
            persons = _pair(person[pair[0]], person[pair[1]])
            kept = best.get(persons)
            if kept is None or review.score > new[kept].score:
                best[persons] = pair
        new = {pair: new[pair] for pair in best.values()}
        for _, a, b, edge in edges:
            if (a, b) in refused and (a, b) not in decided:
                evidence = dict(edge.evidence, rule=edge.rule)
                new[(a, b)] = Review(a, b, refused[(a, b)], evidence, edge.score)
        self._changed_pairs.update(old)
        self._changed_pairs.update(new)
        out: list[Review] = []
        for pair, review in sorted(new.items()):
            self._queue[pair] = review
            self._queue_by_key.setdefault(pair[0], set()).add(pair)
            self._queue_by_key.setdefault(pair[1], set()).add(pair)
            previous = old.get(pair)
            if previous is None or previous.reason != review.reason:
                out.append(review)
        return out
