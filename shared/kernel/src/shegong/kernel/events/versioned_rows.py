"""A projection batch's rows keyed by an aggregate's id, versioned, written at its end.

A statement per event cost more than the event (a hop to the database's thread and back
each), so a read model of an aggregate (the registry's worker list, training's and
matching's workforce) keeps its batch here: new rows, changed in memory by the
aggregate's later events, inserted in a statement per 500; a stored row's changes kept
in memory too, its version checked at the end against the stored one (an event out of
order raises :class:`OutOfOrder`) and written in one UPDATE per set of columns changed.
A ``best`` column keeps the highest value told of (a worker's highest certificate):
``outranks(new, kept)`` says whether a new value beats the kept one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.kernel.ops import raw_sql

__all__ = ["OutOfOrder", "VersionedRows", "rows_by_key"]

_CHUNK = 500


async def rows_by_key(
    conn: AsyncConnection, key: Column[Any], columns: Iterable[Column[Any]], keys: Iterable[str]
) -> dict[str, Any]:
    """The stored rows of ``keys`` (``key`` first, then ``columns``), by key: a query per
    500 keys (one IN list each)."""
    wanted = sorted(set(keys))
    found: dict[str, Any] = {}
    picked = (key, *columns)
    for start in range(0, len(wanted), _CHUNK):
        rows = await conn.execute(select(*picked).where(key.in_(wanted[start : start + _CHUNK])))
        found.update({r[0]: r for r in rows})
    return found


class OutOfOrder(RuntimeError):
    """An aggregate's event that does not follow the version the read model holds."""


@dataclass
class _Change:
    """A stored row's changes in a batch: from version ``expected`` to ``version``."""

    expected: int
    version: int
    values: dict[str, Any] = field(default_factory=dict)
    best: str | None = None


class VersionedRows:
    def __init__(
        self,
        table: Table,
        key: str,
        best: str,
        outranks: Callable[[str, str | None], bool],
        label: str = "row",
    ) -> None:
        self.table, self.key, self.best, self.outranks = table, key, best, outranks
        self.label = label  # what a row is, in messages ("worker")
        self.reset()

    def reset(self) -> None:
        self.new: dict[str, dict[str, Any]] = {}
        self.changed: dict[str, _Change] = {}

    def __contains__(self, aggregate_id: str) -> bool:
        return aggregate_id in self.new or aggregate_id in self.changed

    def add(self, aggregate_id: str, row: dict[str, Any]) -> None:
        """A new row (its ``version`` among its values)."""
        if aggregate_id in self:
            raise OutOfOrder(f"{self.label} {aggregate_id} registered twice")
        self.new[aggregate_id] = row

    def advance(
        self, aggregate_id: str, version: int, values: dict[str, Any], best: str | None = None
    ) -> None:
        """Version n on top of n - 1: in memory for a row the batch added or changed
        already, checked against the stored version at :meth:`flush` otherwise."""
        new = self.new.get(aggregate_id)
        change = self.changed.get(aggregate_id)
        current = new["version"] if new else change.version if change else None
        if current is not None and current != version - 1:
            raise OutOfOrder(
                f"{self.label} {aggregate_id}: version {version} does not follow the read "
                f"model's version {current}"
            )
        if new is not None:
            new.update(values, version=version)
            if best is not None and self.outranks(best, new[self.best]):
                new[self.best] = best
            return
        if change is None:
            change = self.changed[aggregate_id] = _Change(expected=version - 1, version=version)
        change.version = version
        change.values.update(values)
        if best is not None and self.outranks(best, change.best):
            change.best = best

    async def flush(self, conn: AsyncConnection) -> None:
        rows = list(self.new.values())
        for start in range(0, len(rows), _CHUNK):
            await raw_sql.insert_rows(conn, self.table, rows[start : start + _CHUNK])
        await self._flush_changes(conn)

    async def _flush_changes(self, conn: AsyncConnection) -> None:
        """Stored rows' versions and best values read in a query per 500, each version
        checked, then one UPDATE per set of columns changed."""
        table, key = self.table, self.table.c[self.key]
        ids = sorted(self.changed)
        found = await rows_by_key(conn, key, (table.c.version, table.c[self.best]), ids)
        stored = {k: (int(r[1]), r[2]) for k, r in found.items()}
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for aggregate_id in ids:
            change = self.changed[aggregate_id]
            version, best = stored.get(aggregate_id, (None, None))
            if version != change.expected:
                raise OutOfOrder(
                    f"{self.label} {aggregate_id}: version {change.expected + 1} does not "
                    f"follow the read model's version {version}"
                )
            values = dict(change.values)
            if change.best is not None and self.outranks(change.best, best):
                values[self.best] = change.best
            row = {f"v_{k}": v for k, v in values.items()}
            groups.setdefault(tuple(sorted(values)), []).append(
                {**row, "w": aggregate_id, "v": change.version}
            )
        for columns, params in groups.items():
            await conn.execute(
                update(table)
                .where(key == bindparam("w"))
                .values(version=bindparam("v"), **{c: bindparam(f"v_{c}") for c in columns})
                .execution_options(synchronize_session=False),
                params,
            )
