"""Record linkage for the city census (应统尽统、不漏不重): one person per human.

Pure and incremental: ``Linker.add`` / ``update`` / ``remove`` / ``decide`` / ``train``
each return the ``Link`` / ``Unlink`` / ``Review`` decisions they caused (replayable,
explained). It sees keyed hashes only, never a raw ID number or phone.

How a partition is made
-----------------------
* **Blocking.** A record is compared only with records sharing a block key with it: its
  valid-ID hash; parts of its ID number (a slip in the others); its phone hash; its
  name with its birth year or its organisation; its surname or the pinyin of
  its name with its birth date; its name alone while at most ``NAME_BLOCK_MAX`` records
  carry it. Never all pairs.
* **Scoring** (:mod:`.scoring`). Each compared pair gets its comparison vector
  (:mod:`.comparison`) and the model's match weight and probability (:mod:`.model`,
  Fellegi–Sunter with term frequencies). From ``REVIEW_AT`` on it is a candidate edge
  (a review edge if the names differ); the evidence is the waterfall (each comparison's
  weight). Vetoes (two valid IDs, birth dates that disagree) rule a pair out.
* **Constrained clustering** (:mod:`.clustering`): clerks' decisions first, then
  candidate edges by weight, joined at ``LINK_AT`` against the other persons the records
  match as well; never two valid ID numbers or a clerk's "not same".
* **Learning.** ``train()`` learns a new model from the records (``training.train``: u from
  random pairs, m by EM per blocking rule, λ from shared ID numbers), re-scores every
  edge and returns only the decisions that changed. With ``auto_train`` the linker
  trains itself when the census reaches ``MIN_TRAIN`` records, and again each time it
  grows by a quarter (a city's first imports: the model that decides them is learned from
  most of them) and, from ``STEADY_TRAIN`` records, each time it doubles.

Given a model, the partition is a function of the current records and decisions, whatever
order they arrived in (a name's weight depends on its frequency bucket and its records'
anchor groups, :mod:`.namesakes`; a record's edges are re-scored when either changes).
Each operation re-clusters only the components it touched. A person's id is the smallest
record key in it (deterministic, so replay gives the same ids; it changes when a person
absorbs a record with a smaller key).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shegong.registry.census import training
from shegong.registry.census.clustering import Clustering, _link
from shegong.registry.census.comparison import CensusRecord, id_fragment
from shegong.registry.census.edgestore import EdgeStore
from shegong.registry.census.model import DEFAULT_MODEL, MatchModel
from shegong.registry.census.names import (
    COMMON_NAMES,
    TRADITIONAL_TO_SIMPLIFIED,
    normalize_org,
    normalize_person_name,
    to_simplified,
)
from shegong.registry.census.namesakes import Groups
from shegong.registry.census.persons import Persons
from shegong.registry.census.rescoring import Rescoring
from shegong.registry.census.scoring import (
    CensusConflict,
    Decision,
    Link,
    Review,
    Unlink,
    _pair,
    _Rec,
    compare,
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
# Up to this size the census learns again after growing by a quarter: a model learned from
# half the records (training at each doubling) cost a private city's census 0.010 of F1
# against one learned from them all, a quarter 0.002. From here on the estimates have
# settled, and each doubling is enough.
STEADY_TRAIN = 50_000


class Linker(Clustering, Rescoring):
    """Incremental census linkage: records in, persons out, every change a decision."""

    def __init__(self, *, model: MatchModel = DEFAULT_MODEL, auto_train: bool = False) -> None:
        self.model, self.auto_train = model, auto_train
        self.trained_at = model.records if model.version else 0
        self._recs: dict[str, _Rec] = {}
        self._init_blocks()  # the block index and the records by name, in arrays (``blocks``)
        # Record → its link edges, and its review edges, by its row (``edgestore``).
        self._links = EdgeStore(self._recs, self._rows)
        self._reviews = EdgeStore(self._recs, self._rows)
        self._same: dict[str, set[str]] = {}  # clerks' "same", over all keys ever decided
        self._not_same: dict[str, set[str]] = {}
        self._decided: dict[tuple[str, str], tuple[bool, str]] = {}
        # Record → its person (its smallest record key), person → its records, by row.
        self._persons = Persons(self._recs, self._rows)
        # Record → the links holding it in its person whose ``a`` it is (the smaller key),
        # each as the edge it was made from (``clustering._link``).
        self._active = EdgeStore(self._recs, self._rows)
        self._queue: dict[tuple[str, str], Review] = {}
        self._name_weights: dict[tuple[int, bool], float] = {}  # (bucket, common) → weight
        self._groups: dict[str, Groups] = {}  # name → its records' anchor groups
        self._phone_weights: dict[tuple[int, bool], float] = {}
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
        if key not in self._recs:
            raise KeyError(key)
        return self._persons.of(key)

    def persons(self) -> dict[str, set[str]]:
        return {min(keys): set(keys) for keys in self._persons.groups()}

    def links(self, key: str) -> list[Link]:
        """The links that hold ``key`` in its person, with their rules and evidence."""
        if key not in self._recs:
            return []
        found = [_link(key, b, made) for b, made in self._active.edges(key)]  # its ``a``'s
        for a in self._persons.members(key):
            if a < key:  # and those of its person's records before it whose ``b`` it is
                found.extend(_link(a, b, made) for b, made in self._active.edges(a) if b == key)
        return sorted(found, key=lambda link: (link.a, link.b))

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
        return self._count("n", normalize_person_name(name))

    # ---------------------------------------------------------------- commands

    def add(self, record: CensusRecord) -> list[Decision]:
        if record.key in self._recs:
            raise KeyError(f"record {record.key} is already in the census; use update()")
        rec = _Rec(record)
        self._check_clerk_links({rec.key: rec.id_hash})
        before = self._commonness([rec.name], self._pin(rec))
        shape = self._sole_shape(rec.name)
        self._insert(rec)
        self._persons.enter(rec.row)
        dirty = {rec.key} | self._flipped(before) | self._namesakes(rec.name, shape)
        dirty |= self._unit_namesakes(rec)
        touched = self._touch(dirty)
        self._rescore_all(dirty)
        out = self._recluster(self._component(touched), removed=set())
        if self.auto_train and self.training_due():
            out.extend(self.train())
        return out

    def training_due(self) -> bool:
        """The census has reached ``MIN_TRAIN`` records, or grown by a quarter since it
        last learned (doubled, from ``STEADY_TRAIN`` records)."""
        growth = 1.25 if self.trained_at < STEADY_TRAIN else 2.0
        return len(self._recs) >= max(MIN_TRAIN, growth * self.trained_at)

    def train(self) -> list[Decision]:
        """Learn a new model from the records, re-score every pair with it, and return the
        decisions that changed (links made or undone, pairs queued)."""
        keys = sorted(self._recs)
        features = [self._recs[k] for k in keys]
        index = {k: i for i, k in enumerate(keys)}
        persons = list(map(len, self._persons.groups()))
        linked = sum(n * (n - 1) // 2 for n in persons)
        model = training.train(
            features,
            self._block_view(),
            index,
            version=self.model.version + 1,
            linked_pairs=linked,
            persons=len(persons),
        )
        return self.use_model(model)

    def use_model(self, model: MatchModel) -> list[Decision]:
        """Adopt ``model`` (trained here, or as published by the census): every edge is
        re-scored and the partition re-made; returns what changed."""
        self.model = model
        self.trained_at = model.records
        self._name_weights.clear()
        self._phone_weights.clear()
        done: set[str] = set()  # each pair scored once: a record against those before it
        for key in self._recs:
            self._rescore(key, done)
            done.add(key)
        out = self._recluster(self._component(set(self._recs)), removed=set())
        for store in (self._links, self._reviews, self._active):
            store.forget_kinds()  # the old model's edges are no more
        return out

    def update(self, record: CensusRecord) -> list[Decision]:
        old = self._recs.get(record.key)
        if old is None:
            raise KeyError(f"record {record.key} is not in the census")
        if old.record == record:
            return []
        rec = _Rec(record)
        self._check_clerk_links({rec.key: rec.id_hash})
        before = self._commonness([old.name, rec.name], (*old.blocks, *rec.blocks))
        shapes = {name: self._sole_shape(name) for name in (old.name, rec.name)}
        touched = self._touch({rec.key})
        self._delete(old)
        self._insert(rec)
        if rec.row != old.row:  # the row just freed is the next one given (``blocks``)
            raise RuntimeError(f"record {rec.key} changed its row: its edges would be lost")
        dirty = {rec.key} | self._flipped(before) | self._unit_namesakes(rec)
        dirty |= self._unit_namesakes(old)  # an anchored record leaving its unit, too
        for name, shape in shapes.items():
            dirty |= self._namesakes(name, shape)
        touched |= self._touch(dirty)
        self._rescore_all(dirty)
        return self._recluster(self._component(touched), removed=set())

    def remove(self, key: str) -> list[Decision]:
        old = self._recs.get(key)
        if old is None:
            raise KeyError(f"record {key} is not in the census")
        before = self._commonness([old.name], self._pin(old))
        shape = self._sole_shape(old.name)
        touched = self._touch({key})
        self._drop_edges(key)  # while the record has its row
        gone = self._take_links(key)
        self._delete(old, park=True)  # its row kept until its person is made again
        self._persons.park(key, old.row)
        dirty = self._flipped(before) | self._namesakes(old.name, shape) | self._unit_namesakes(old)
        touched |= self._touch(dirty)
        self._rescore_all(dirty)
        touched.discard(key)
        out = self._recluster(self._component(touched), removed={key}, gone=gone)
        self._free_row(self._persons.unpark(key))
        return out

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

    def _take_links(self, key: str) -> list[tuple[str, str, Any]]:
        """Take the links that hold ``key`` out of ``_active`` (before its row is freed):
        (a, b, what each was made from)."""
        active = self._active
        gone = [(key, b, made) for b, made in active.take(key)]
        for a in self._persons.members(key):
            if a < key:
                for b, made in active.edges(a):
                    if b == key:
                        gone.append((a, b, made))
                        active.drop(a, b)
        return gone

    def _touch(self, keys: Iterable[str]) -> set[str]:
        """``keys`` and everything their clusters may currently depend on."""
        out: set[str] = set()
        for key in keys:
            out.add(key)
            out.update(self._links.others(key))
            out.update(self._same.get(key, ()))
            out.update(self._persons.members(key))
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
            for other in links.others(key):
                if other not in seen:
                    stack.append(other)
            for other in same.get(key, ()):
                if other not in seen and other in recs:
                    stack.append(other)
        return seen
