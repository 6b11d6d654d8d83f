"""The census person: one human's department records, from the census's links.

Training records every fact — attendance, completions, appraisals, exam results — under
the department record it was recorded for, and counts it for the record's person when it
reads. A person is a connected component of the census's links (``tr_links``, by record
key); a record nobody linked is a person of its own. Components are computed when read,
never stored, so a link or an unlink moves a record's facts to its new person at once and
the read models stay what a rebuild from the feeds makes.

A person is named by their first record (the smallest worker id), so the same records
always make the same person.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.kernel.events.census_links import Components, chunks, linked_components
from shegong.training.projections.workforce import links, trainees


@dataclass(frozen=True)
class Persons:
    """Every known record's person: ``person[worker_id]`` is the person's first worker id,
    ``records[person]`` their records' ``tr_workers`` rows (sorted by worker id)."""

    person: dict[str, str]
    records: dict[str, list[Any]]

    def of(self, worker_id: str) -> str:
        """The person of a record; a record training does not know is its own person."""
        return self.person.get(worker_id, worker_id)

    def region(self, person: str) -> str | None:
        """Where the person works: the region of their latest record that names one (the
        latest hired, else registered; a person who moved counts where they went)."""
        placed = [r for r in self.records.get(person, ()) if r.region]
        if not placed:
            return None
        latest = max(placed, key=lambda r: (r.hired_on or r.registered_on, r.worker_id))
        return str(latest.region)


def _group(rows: list[Any], components: Components) -> Persons:
    by_root: dict[str, list[Any]] = {}
    for r in rows:
        root = components.find(r.record_key) if r.record_key else f"worker:{r.worker_id}"
        by_root.setdefault(root, []).append(r)
    person: dict[str, str] = {}
    records: dict[str, list[Any]] = {}
    for group in by_root.values():
        group.sort(key=lambda r: r.worker_id)
        first = group[0].worker_id
        records[first] = group
        for r in group:
            person[r.worker_id] = first
    return Persons(person, records)


async def all_persons(conn: AsyncConnection) -> Persons:
    """Every record training knows, grouped into persons (for reports over the city)."""
    components = Components()
    for a, b in await conn.execute(select(links.c.a, links.c.b)):
        components.union(a, b)
    rows = list(await conn.execute(select(trainees)))
    # Seconds for a city's records: grouped off the loop, so the service answers meanwhile.
    return await asyncio.to_thread(_group, rows, components)


async def records_of(conn: AsyncConnection, worker_id: str) -> list[Any]:
    """The ``tr_workers`` rows of the person whose record ``worker_id`` is (sorted by
    worker id; empty when training does not know the record): a walk over the links
    outwards from the record's key."""
    row = (await conn.execute(select(trainees).where(trainees.c.worker_id == worker_id))).first()
    if row is None:
        return []
    if not row.record_key:
        return [row]
    _, seen = await linked_components(conn, links, [row.record_key])
    rows: list[Any] = []
    for batch in chunks(seen):
        rows.extend(await conn.execute(select(trainees).where(trainees.c.record_key.in_(batch))))
    return sorted(rows, key=lambda r: r.worker_id)
