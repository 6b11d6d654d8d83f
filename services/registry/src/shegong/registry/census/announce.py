"""Which of the linker's links the census announces: a spanning forest of each person.

The linker holds every link inside a person (``rm_census_links``: what explains why two
records are one, each with its evidence). Whoever follows the log — training, matching,
the ladder — makes persons as the connected components of the announced links, so the
census announces a spanning forest of each person: a person of *n* records is *n* − 1
``RecordsLinked``, not every pair the linker linked (99,669 rows of 40,000 humans were
150,504 link events, where a forest is 59,669).

``rm_census_announced`` mirrors the log: a ``RecordsLinked`` the census appended adds its
pair, a ``RecordsUnlinked`` takes it out, written in the transaction that appends them. A
rebuild drops it with the read models; the first batch after folds it again from the
census's own events (:func:`fold_log`), so it says what the log says, not what a replay
under today's model would have announced.

After a batch (:func:`announce`), around the records its link decisions named — their
persons, and the records announced links joined them to:

* an announced link the linker no longer holds is unlinked (``RecordsUnlinked``, with the
  linker's reason when it undid that link in the batch), and only an announced one is;
* each person is connected by announced links: those kept, then the linker's links — a
  clerk's first, then by score, then by key — each joining two parts not yet connected
  (a replacement for one that went); never one inside a part already connected;
* an announced link the linker now holds by another rule (a clerk's "same" on a pair the
  rules had linked) is announced again with it: consumers keep one row per pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.kernel.events.census_links import Components, chunks
from shegong.kernel.events.schema import events_table
from shegong.registry.census.linkage import Decision, Link, Linker, Unlink
from shegong.registry.census.tables import CENSUS_AGGREGATE, announced

__all__ = ["Announcement", "announce", "announce_batch", "any_announced", "fold_log"]

Pair = tuple[str, str]


@dataclass
class Announcement:
    """A batch's link events and the rows of ``rm_census_announced`` they leave."""

    decisions: list[Decision] = field(default_factory=list)  # unlinks, then links
    final: dict[Pair, str | None] = field(default_factory=dict)  # pair → rule (None: gone)
    stored: set[Pair] = field(default_factory=set)  # of those, the pairs stored before

    def rows(self) -> tuple[list[Pair], list[dict[str, str]]]:
        """The pairs to clear (those stored) and the rows to write (``writes.write_pairs``)."""
        rows = [{"a": a, "b": b, "rule": rule} for (a, b), rule in self.final.items() if rule]
        return sorted(self.stored), rows


async def any_announced(conn: AsyncConnection) -> bool:
    return bool(await conn.scalar(select(exists().where(announced.c.a.is_not(None)))))


async def fold_log(conn: AsyncConnection, page: int = 20_000) -> dict[Pair, str]:
    """The links the census's own log announced and did not undo: pair → its rule."""
    events = events_table
    query = (
        select(
            events.c.position,
            events.c.type,
            events.c.data["a"].as_string(),
            events.c.data["b"].as_string(),
            events.c.data["rule"].as_string(),
        )
        .where(
            (events.c.stream_id == CENSUS_AGGREGATE)
            & events.c.type.in_(("RecordsLinked", "RecordsUnlinked"))
        )
        .order_by(events.c.position)
        .limit(page)
    )
    found: dict[Pair, str] = {}
    after = -1
    while True:
        rows = (await conn.execute(query.where(events.c.position > after))).all()
        for position, type_, a, b, rule in rows:
            after = position
            pair = (a, b) if a < b else (b, a)
            if type_ == "RecordsLinked" and a != b:
                found[pair] = rule
            else:
                found.pop(pair, None)
        if len(rows) < page:
            return found


async def _stored(
    conn: AsyncConnection, keys: Iterable[str], log: Mapping[Pair, str] | None
) -> dict[Pair, str]:
    """The announced links that name any of ``keys`` (from ``log``, when the table is
    being folded again in this batch)."""
    if log is not None:
        wanted = set(keys)
        return {pair: rule for pair, rule in log.items() if pair[0] in wanted or pair[1] in wanted}
    found: dict[Pair, str] = {}
    for batch in chunks(sorted(keys)):
        for a, b, rule in await conn.execute(
            select(announced.c.a, announced.c.b, announced.c.rule).where(
                or_(announced.c.a.in_(batch), announced.c.b.in_(batch))
            )
        ):
            found[(a, b)] = rule
    return found


async def _around(
    conn: AsyncConnection, linker: Linker, seeds: set[str], log: Mapping[Pair, str] | None
) -> tuple[set[str], dict[Pair, str]]:
    """The records reached from ``seeds`` through their persons (now) and announced links
    (as announced), and those links."""
    seen: set[str] = set()
    links: dict[Pair, str] = {}
    frontier = set(seeds)
    while frontier:
        seen |= frontier
        grown: set[str] = set()
        for key in frontier:
            grown.update(linker.members(key))
        found = await _stored(conn, frontier, log)
        links.update(found)
        for a, b in found:
            grown.add(a)
            grown.add(b)
        frontier = grown - seen
    return seen, links


def _priority(link: Link) -> tuple[bool, float, str, str]:
    return (link.rule != "clerk", -link.score, link.a, link.b)


def _unlink(pair: Pair, rule: str, linker: Linker, undone: Mapping[Pair, Unlink]) -> Unlink:
    """Undo an announced link, with the linker's own reason when it undid it."""
    a, b = pair
    made = undone.get(pair)
    if made is not None:
        return Unlink(a, b, rule, made.reason, made.evidence)
    if a not in linker or b not in linker:
        why = "record removed"
    elif linker.person_of(a) != linker.person_of(b):
        why = "persons split"
    else:
        why = "evidence changed"
    return Unlink(a, b, rule, why, {})


async def announce(
    conn: AsyncConnection,
    linker: Linker,
    batch: Iterable[Decision],
    log: Mapping[Pair, str] | None = None,
) -> Announcement:
    """The link events of a batch whose fresh decisions are ``batch`` (the linker as the
    batch left it; ``log``: the announced links, when folded from the log in this batch)."""
    undone: dict[Pair, Unlink] = {}
    seeds: set[str] = set()
    for d in batch:
        if isinstance(d, Link | Unlink):
            seeds.update((d.a, d.b))
            if isinstance(d, Unlink):
                undone[(d.a, d.b)] = d
    out = Announcement()
    if not seeds:
        return out
    keys, stored = await _around(conn, linker, seeds, log)
    by_person: dict[str, list[Link]] = {}  # person → the links holding it together
    for key in sorted(keys):
        if key in linker:
            pid = linker.person_of(key)
            if pid not in by_person:
                by_person[pid] = linker.person_links(key)
    held = {(link.a, link.b): link for links in by_person.values() for link in links}

    joined = Components()
    links: list[Decision] = []
    for pair, rule in sorted(stored.items()):
        link = held.get(pair)
        if link is None:
            out.decisions.append(_unlink(pair, rule, linker, undone))
            out.final[pair] = None
            out.stored.add(pair)
            continue
        joined.union(*pair)
        if link.rule != rule:  # held now by another rule (a clerk's): say so
            links.append(link)
            out.final[pair] = link.rule
            out.stored.add(pair)
    for pid in sorted(by_person):
        for link in sorted(by_person[pid], key=_priority):
            if joined.find(link.a) != joined.find(link.b):
                joined.union(link.a, link.b)
                links.append(link)
                out.final[(link.a, link.b)] = link.rule
    out.decisions.extend(links)
    return out


async def announce_batch(
    conn: AsyncConnection, linker: Linker, fresh: list[Decision], refold: bool
) -> tuple[list[Decision], tuple[list[Pair], list[dict[str, str]]]]:
    """A batch's events (its link events as :func:`announce` makes them, then its reviews,
    in their order) and the writes of ``rm_census_announced``; ``refold``: the table is
    empty after a rebuild (or before the census's first forest), folded again here."""
    log = await fold_log(conn) if refold else None
    made = await announce(conn, linker, fresh, log)
    events = made.decisions + [d for d in fresh if not isinstance(d, Link | Unlink)]
    if log is None:
        return events, made.rows()
    for pair, rule in made.final.items():
        if rule is None:
            log.pop(pair, None)
        else:
            log[pair] = rule
    return events, ([], [{"a": a, "b": b, "rule": rule} for (a, b), rule in sorted(log.items())])
