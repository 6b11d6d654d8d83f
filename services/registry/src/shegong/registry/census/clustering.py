"""How the linker turns scored edges into persons, and keeps clerks' decisions.

Within each connected component of the candidate graph, clerks' "same" decisions are
applied first, then candidate edges by descending weight (ties by key). A union is refused
when it would put two different valid-ID hashes, or a pair a clerk declared "not same",
into one person; and a candidate is joined only if its probability holds against its
*rivals*: the other persons the same records match as well, that cannot be one person
with it (a record with a name and a sex beside two namesakes is a clerk's question, not a
link). What is left apart but likely goes to the review queue. :class:`Clustering` holds
these steps for :class:`~.linkage.Linker`, whose state it reads.
"""

from __future__ import annotations

from collections.abc import Mapping

from shegong.registry.census import model as fs
from shegong.registry.census.edgestore import EdgeStore
from shegong.registry.census.partition import RIVAL_REVIEW_AT, partition
from shegong.registry.census.persons import Persons
from shegong.registry.census.scoring import (
    REVIEW_REASON,
    REVIEW_RIVAL,
    CensusConflict,
    Decision,
    Link,
    Review,
    Unlink,
    _Edge,
    _pair,
    _Rec,
)


def _link(a: str, b: str, made: _Edge | Link) -> Link:
    """The link of ``a`` and ``b`` made from an edge (a clerk's link is kept itself)."""
    if isinstance(made, Link):
        return made
    return Link(a, b, made.rule, made.evidence, made.score)


class Clustering:
    """The linker's clustering and clerks' decisions (state lives on the linker)."""

    _recs: dict[str, _Rec]
    _links: EdgeStore
    _reviews: EdgeStore
    _same: dict[str, set[str]]
    _not_same: dict[str, set[str]]
    _decided: dict[tuple[str, str], tuple[bool, str]]
    _persons: Persons  # record → its person, person → its records (by row)
    _active: EdgeStore  # a record → the links it is the ``a`` of, each as its edge
    _queue: dict[tuple[str, str], Review]
    _queue_by_key: dict[str, set[tuple[str, str]]]
    _changed_keys: set[str]
    _changed_pairs: set[tuple[str, str]]

    # ---------------------------------------------------------------- a person, whole

    def members(self, key: str) -> list[str]:
        """The records of ``key``'s person ([] for a record not in the census)."""
        if key not in self._recs:
            return []
        return self._persons.members(key) or [key]

    def person_links(self, key: str) -> list[Link]:
        """Every link holding ``key``'s person together (each once, as ``a`` < ``b``)."""
        return [_link(a, b, made) for a in self.members(key) for b, made in self._active.edges(a)]

    # ---------------------------------------------------------------- clerks' decisions

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

    def _recluster(
        self,
        keys: set[str],
        removed: set[str],
        gone: list[tuple[str, str, _Edge | Link]] = (),  # type: ignore[assignment]
    ) -> list[Decision]:
        """Re-partition ``keys`` (whole link components) and return what changed
        (``gone``: the links of the ``removed`` records, taken out of ``_active``)."""
        recs, persons, active = self._recs, self._persons, self._active
        # Old persons of these keys lie inside them (plus removed keys), by construction.
        old_pids = {pid for k in keys | removed if (pid := persons.pid(k)) is not None}
        for pid in old_pids:
            keys.update(m for m in persons.members(pid) if m in recs)
        everything = keys | removed
        self._changed_keys |= everything
        # The old links, as what each was made from (an edge, or a clerk's link itself):
        # a ``Link`` is made only for a decision.
        old_links: dict[tuple[str, str], _Edge | Link] = {}
        for key in keys:  # a link's two records are in one person: both here
            for other, made in active.take(key):  # taken out: put back below as they are
                old_links[(key, other)] = made
        for a, b, made in gone:
            old_links[(a, b)] = made

        clerk_pairs: list[tuple[str, str]] = []
        edges: list[tuple[float, str, str, _Edge]] = []
        for key in keys:
            for other in self._same.get(key, ()):
                if key < other and other in recs:
                    clerk_pairs.append((key, other))
            for other, edge in self._links.edges(key):
                if key < other:
                    edges.append((-edge.weight, key, other, edge))
        groups, refused = partition(keys, self._recs, self._not_same, clerk_pairs, edges)

        # New persons (a removed record's row is freed by the caller, once this is done).
        for group in groups:
            persons.make(group)
        person = persons.head

        # New active links (the old ones kept where nothing changed: None) and the diff.
        new_links: dict[tuple[str, str], Link | None] = {}
        kept: dict[tuple[str, str], _Edge | Link] = {}  # what each new link is made from
        for _, a, b, edge in edges:
            if person(a) == person(b):
                old = old_links.get((a, b))
                if old is not None and old.evidence is edge.evidence:
                    new_links[(a, b)] = None
                    kept[(a, b)] = old
                else:
                    new_links[(a, b)] = Link(a, b, edge.rule, edge.evidence, edge.score)
                    kept[(a, b)] = edge
        for a, b in clerk_pairs:
            _, by = self._decided[(a, b)]
            link = Link(a, b, "clerk", {"decided": "same", "by": by}, 1.0)
            new_links[(a, b)] = kept[(a, b)] = link
        for a, b in new_links:
            # Each pair once (``new_links``' keys), under its first key only (the other is
            # in the same person: ``links`` finds it there), every key's links taken out
            # above; a link is kept as the edge it was made from (a clerk's as itself).
            active.add(a, b, kept[(a, b)])

        out: list[Decision] = []
        if old_links:
            for pair, made in sorted(old_links.items()):
                if pair not in new_links:
                    why = self._why_unlinked(pair, removed, refused)
                    out.append(Unlink(pair[0], pair[1], made.rule, why, made.evidence))
        for pair, new in sorted(new_links.items()):
            if new is None:  # the old link holds as it was: nothing to announce
                continue
            old = old_links.get(pair)
            # A link that still holds is not announced again because a new model weighs
            # it differently: a retraining emits only the decisions that changed.
            if (
                old is None
                or old.rule != new.rule
                or (
                    old.evidence != new.evidence
                    and old.evidence.get("model") == new.evidence.get("model")
                )
            ):
                out.append(new)
        out.extend(self._requeue(everything, removed, refused, edges))
        return out

    def _why_unlinked(
        self,
        pair: tuple[str, str],
        removed: set[str],
        refused: Mapping[tuple[str, str], tuple[str, float]],
    ) -> str:
        a, b = pair
        if a in removed or b in removed:
            return "record removed"
        decided = self._decided.get(pair)
        if decided is not None and not decided[0]:
            return "clerk decided not the same"
        if pair in refused:
            return refused[pair][0]
        if b in self._links.others(a):
            return "persons split"
        return "evidence changed"

    def _requeue(
        self,
        keys: set[str],
        removed: set[str],
        refused: Mapping[tuple[str, str], tuple[str, float]],
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
        person, decided = self._persons.head, self._decided
        new: dict[tuple[str, str], Review] = {}
        for key in keys:
            if key in removed:
                continue
            for other, edge in self._reviews.edges(key):
                pair = _pair(key, other)
                if pair in new or pair in decided or person(key) == person(other):
                    continue
                previous = old.get(pair)
                if previous is not None and previous.evidence is edge.evidence:
                    new[pair] = previous
                else:
                    new[pair] = Review(pair[0], pair[1], edge.rule, edge.evidence, edge.score)
        for _, a, b, edge in edges:
            found = refused.get((a, b))
            if found is None or (a, b) in decided or person(a) == person(b):
                continue
            why, p = found
            if p < (RIVAL_REVIEW_AT if why == REVIEW_RIVAL else fs.REVIEW_AT):
                continue
            evidence = edge.evidence
            if why != REVIEW_REASON:
                evidence = dict(evidence, rule=edge.rule, against_others=round(p, 6))
            new[(a, b)] = Review(a, b, why, evidence, p)
        # A clerk decides about two persons once: of the uncertain pairs between the same
        # two persons, the queue shows the strongest (ties: the first by key).
        best: dict[tuple[int, int], tuple[str, str]] = {}  # by the persons' head rows
        for pair, review in sorted(new.items()):
            ha, hb = person(pair[0]), person(pair[1])
            persons = (ha, hb) if ha < hb else (hb, ha)
            kept = best.get(persons)
            if kept is None or review.score > new[kept].score:
                best[persons] = pair
        new = {pair: new[pair] for pair in best.values()}
        new = self._one_question_each(new)
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

    def _one_question_each(
        self, new: dict[tuple[str, str], Review]
    ) -> dict[tuple[str, str], Review]:
        """A person that matches several others about equally is one question for a clerk
        ("which one?"), not one per candidate: of its pairs left apart for a rival, the
        queue shows the likeliest (ties: the first by key). The clerk's answer settles the
        others — a "not same" takes that candidate out of the rivals, and the next one is
        linked or asked in its turn."""
        person = self._persons.head
        asked: set[int] = set()
        kept: dict[tuple[str, str], Review] = {}
        for pair, review in sorted(new.items(), key=lambda item: (-item[1].score, item[0])):
            if review.reason != REVIEW_RIVAL:
                kept[pair] = review
                continue
            persons = {person(key) for key in pair}
            if asked & persons:
                continue
            asked |= persons
            kept[pair] = review
        return kept
