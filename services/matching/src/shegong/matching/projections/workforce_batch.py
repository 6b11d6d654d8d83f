"""A batch of the workforce projection's writes, kept in memory and written at its end.

A statement per event cost more than the event under ``shegong up`` (a hop to the
database thread and back each, ≈ 15 threads sharing one GIL): matching's workforce
projection held its database 86 s for 3,600 events of a 20,000-row import. Here a batch
collects, per worker, what its events leave behind — a registered worker's whole row,
a stored worker's changed columns, the highest certificate it was told of, the
candidate table's identity columns and day of leaving — and writes them in a few
statements per table (reads in a query per 500 workers). The outcome is the one the
events give applied one by one, in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.kernel.ops import raw_sql
from shegong.matching.adapters.candidates_table import new_candidate_row, place_columns
from shegong.matching.adapters.tables import provider_state

_CHUNK = 500


@dataclass
class Worker:
    """One worker's changes in a batch."""

    row: dict[str, Any] | None = None  # registered in the batch: the mx_workers row
    values: dict[str, Any] = field(default_factory=dict)  # a stored worker's columns
    rank: int = 0  # a stored worker's highest certificate rank told of (0: none)
    identity: dict[str, Any] = field(default_factory=dict)  # provider_state (row ensured)
    left_on: date | None = None  # provider_state's day of leaving (row not ensured)


class WorkforceBatch:
    def __init__(self, workers: Table, links: Table, regions: Table, capacity: int) -> None:
        self.workers_table, self.links_table, self.regions_table = workers, links, regions
        self.capacity = capacity
        self.workers: dict[str, Worker] = {}
        self.links: dict[tuple[str, str], str | None] = {}  # pair -> rule (None: unlinked)
        self.regions: dict[str, dict[str, Any]] = {}

    def worker(self, worker_id: str) -> Worker:
        found = self.workers.get(worker_id)
        if found is None:
            found = self.workers[worker_id] = Worker()
        return found

    def identity(self, worker: Worker, values: dict[str, Any]) -> None:
        """``set_identity``: the candidate row ensured, these columns set."""
        values = dict(values)
        region = values.pop("region", None)
        if region is not None:
            values.update(place_columns(region))
        worker.identity.update(values)

    def certified(self, worker_id: str, rank: int) -> None:
        worker = self.worker(worker_id)
        if worker.row is not None:
            if rank > worker.row["certificate_rank"]:
                worker.row["certificate_rank"] = rank
                worker.identity["certificate_rank"] = rank
        else:
            worker.rank = max(worker.rank, rank)

    async def registered(self, conn: AsyncConnection, row: dict[str, Any]) -> Worker:
        """A whole row (re)written: a stored worker's pending certificate is settled first
        (it compares against the row the registration replaces)."""
        worker = self.worker(row["worker_id"])
        if worker.row is None and worker.rank:
            await self._settle_ranks(conn, {row["worker_id"]: worker})
        worker.row, worker.values, worker.rank = row, {}, 0
        return worker

    # ---------------------------------------------------------------- writing

    async def flush(self, conn: AsyncConnection) -> None:
        await self._write_regions(conn)
        await self._settle_ranks(
            conn, {k: w for k, w in self.workers.items() if w.row is None and w.rank}
        )
        new = [w.row for w in self.workers.values() if w.row is not None]
        t = self.workers_table
        await _delete_by(conn, t, t.c.worker_id, [r["worker_id"] for r in new])
        for start in range(0, len(new), _CHUNK):
            await raw_sql.insert_rows(conn, t, new[start : start + _CHUNK])
        await _update_groups(
            conn, t, t.c.worker_id, {k: w.values for k, w in self.workers.items() if w.values}
        )
        await self._write_candidates(conn)
        await self._write_links(conn)

    async def _settle_ranks(self, conn: AsyncConnection, pending: dict[str, Worker]) -> None:
        """Stored workers' certificates: a higher rank than the stored one moves both
        tables (``WorkerCertified`` before ``WorkerRegistered`` is an error, as before)."""
        t = self.workers_table
        ids = sorted(pending)
        stored: dict[str, int] = {}
        for start in range(0, len(ids), _CHUNK):
            rows = await conn.execute(
                select(t.c.worker_id, t.c.certificate_rank).where(
                    t.c.worker_id.in_(ids[start : start + _CHUNK])
                )
            )
            stored.update({r.worker_id: int(r.certificate_rank) for r in rows})
        for worker_id in ids:
            worker = pending[worker_id]
            if worker_id not in stored:
                raise LookupError(f"WorkerCertified before WorkerRegistered: {worker_id}")
            if worker.rank > stored[worker_id]:
                worker.values["certificate_rank"] = worker.rank
                worker.identity["certificate_rank"] = worker.rank
            worker.rank = 0

    async def _write_candidates(self, conn: AsyncConnection) -> None:
        ps = provider_state
        identities = {k: w.identity for k, w in self.workers.items() if w.identity}
        ids = sorted(identities)
        existing: set[str] = set()
        for start in range(0, len(ids), _CHUNK):
            rows = await conn.execute(
                select(ps.c.provider_id).where(ps.c.provider_id.in_(ids[start : start + _CHUNK]))
            )
            existing.update(r.provider_id for r in rows)
        fresh = [
            new_candidate_row(k, self.capacity) | identities[k] for k in ids if k not in existing
        ]
        for start in range(0, len(fresh), _CHUNK):
            await raw_sql.insert_rows(conn, ps, fresh[start : start + _CHUNK])
        await _update_groups(
            conn, ps, ps.c.provider_id, {k: identities[k] for k in ids if k in existing}
        )
        left = {k: {"left_on": w.left_on} for k, w in self.workers.items() if w.left_on}
        await _update_groups(conn, ps, ps.c.provider_id, left)

    async def _write_regions(self, conn: AsyncConnection) -> None:
        t = self.regions_table
        await _delete_by(conn, t, t.c.code, list(self.regions))
        if self.regions:
            await conn.execute(t.insert(), list(self.regions.values()))

    async def _write_links(self, conn: AsyncConnection) -> None:
        if not self.links:
            return
        t = self.links_table
        await conn.execute(
            delete(t).where((t.c.a == bindparam("pa")) & (t.c.b == bindparam("pb"))),
            [{"pa": a, "pb": b} for a, b in self.links],
        )
        made = [{"a": a, "b": b, "rule": r} for (a, b), r in self.links.items() if r]
        if made:
            await raw_sql.insert_rows(conn, t, made)


async def _delete_by(conn: AsyncConnection, table: Table, key: Any, ids: Iterable[str]) -> None:
    params = [{"k": k} for k in ids]
    if params:
        await conn.execute(delete(table).where(key == bindparam("k")), params)


async def _update_groups(
    conn: AsyncConnection, table: Table, key: Any, changes: dict[str, dict[str, Any]]
) -> None:
    """One executemany UPDATE per set of columns changed."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for ident, values in changes.items():
        row = {f"v_{c}": v for c, v in values.items()}
        groups.setdefault(tuple(sorted(values)), []).append({**row, "k": ident})
    for columns, params in groups.items():
        await conn.execute(
            update(table)
            .where(key == bindparam("k"))
            .values(**{c: bindparam(f"v_{c}") for c in columns})
            .execution_options(synchronize_session=False),
            params,
        )
