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

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.kernel.events.census_links import chunks, linked_components
from shegong.matching.adapters.tables import provider_state
from shegong.matching.projections.workforce import links, workers

# Built once (an accept and every offer ask): the ids are one expanding parameter.
_KEYS = select(workers.c.worker_id, workers.c.record_key).where(
    workers.c.worker_id.in_(bindparam("ids", expanding=True)) & workers.c.record_key.is_not(None)
)
_RECORDS = select(workers.c.worker_id, workers.c.record_key).where(
    workers.c.record_key.in_(bindparam("keys", expanding=True))
)
_LOADS = select(provider_state.c.provider_id, provider_state.c.open_assignments).where(
    provider_state.c.provider_id.in_(bindparam("ids", expanding=True))
)


@dataclass(frozen=True)
class Person:
    """A person with several records: their worker ids (sorted) and their load."""

    records: tuple[str, ...]
    open_assignments: int  # summed over every record


async def persons(conn: AsyncConnection, provider_ids: Sequence[str]) -> dict[str, Person]:
    """The person of each of ``provider_ids`` that the census linked to another record
    matching knows; providers with a single record are left out."""
    key_of: dict[str, str] = {}
    for batch in chunks(set(provider_ids)):
        for w in await conn.execute(_KEYS, {"ids": batch}):
            key_of[w.worker_id] = w.record_key
    if not key_of:
        return {}
    # Walk the links outwards from the records' keys; union-find gives the components.
    components, seen = await linked_components(conn, links, set(key_of.values()))
    find = components.find
    linked = {k for k in seen if k in components}
    if not linked:
        return {}
    by_root: dict[str, list[str]] = {}
    for batch in chunks(linked):
        for w in await conn.execute(_RECORDS, {"keys": batch}):
            by_root.setdefault(find(w.record_key), []).append(w.worker_id)
    groups = {root: ids for root, ids in by_root.items() if len(ids) > 1}
    load: dict[str, int] = {}
    for batch in chunks(w for ids in groups.values() for w in ids):
        for r in await conn.execute(_LOADS, {"ids": batch}):
            load[r.provider_id] = r.open_assignments
    out: dict[str, Person] = {}
    for provider_id, key in key_of.items():
        ids = groups.get(find(key)) if key in components else None
        if ids:
            out[provider_id] = Person(tuple(sorted(ids)), sum(load.get(w, 0) for w in ids))
    return out
