"""One person, several department records: the census's links, read on demand.

The registry's census links department records of one human (``RecordsLinked`` /
``RecordsUnlinked``, kept in ``mx_links`` by record key). A person is a connected
component of those links; matching offers an order to one record of a person and counts
the open assignments of all their records against each record's capacity. Components are
computed here for the records at hand (a breadth-first walk over ``mx_links``), never
stored, so a link or an unlink takes effect at the next ranking or accept.

A key the census links but matching does not know (yet) is skipped; two workers under
one key (the registry keeps department keys unique) would both belong to its person.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.matching.adapters.tables import provider_state
from shegong.matching.projections.workforce import links, workers

CHUNK = 500
T = TypeVar("T")


@dataclass(frozen=True)
class Person:
    """A person with several records: their worker ids (sorted) and their load."""

    records: tuple[str, ...]
    open_assignments: int  # summed over every record


def _chunks(items: Iterable[T]) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


async def persons(conn: AsyncConnection, provider_ids: Sequence[str]) -> dict[str, Person]:
    """The person of each of ``provider_ids`` that the census linked to another record
    matching knows; providers with a single record are left out."""
    key_of: dict[str, str] = {}
    for batch in _chunks(set(provider_ids)):
        for w in await conn.execute(
            select(workers.c.worker_id, workers.c.record_key).where(
                workers.c.worker_id.in_(batch) & workers.c.record_key.is_not(None)
            )
        ):
            key_of[w.worker_id] = w.record_key
    if not key_of:
        return {}
    # Walk the links outwards from the records' keys; union-find gives the components.
    parent: dict[str, str] = {}

    def find(k: str) -> str:
        parent.setdefault(k, k)
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    seen = set(key_of.values())
    frontier = set(seen)
    while frontier:
        found: set[str] = set()
        for batch in _chunks(frontier):
            for a, b in await conn.execute(
                select(links.c.a, links.c.b).where(or_(links.c.a.in_(batch), links.c.b.in_(batch)))
            ):
                parent[find(a)] = find(b)
                found.update((a, b))
        frontier = found - seen
        seen |= found
    linked = {k for k in seen if k in parent}
    if not linked:
        return {}
    by_root: dict[str, list[str]] = {}
    for batch in _chunks(linked):
        for w in await conn.execute(
            select(workers.c.worker_id, workers.c.record_key).where(workers.c.record_key.in_(batch))
        ):
            by_root.setdefault(find(w.record_key), []).append(w.worker_id)
    groups = {root: ids for root, ids in by_root.items() if len(ids) > 1}
    load: dict[str, int] = {}
    for batch in _chunks(w for ids in groups.values() for w in ids):
        for r in await conn.execute(
            select(provider_state.c.provider_id, provider_state.c.open_assignments).where(
                provider_state.c.provider_id.in_(batch)
            )
        ):
            load[r.provider_id] = r.open_assignments
    out: dict[str, Person] = {}
    for provider_id, key in key_of.items():
        ids = groups.get(find(key)) if key in parent else None
        if ids:
            out[provider_id] = Person(tuple(sorted(ids)), sum(load.get(w, 0) for w in ids))
    return out
