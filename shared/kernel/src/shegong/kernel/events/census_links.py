"""The census's links as a consuming service keeps them: one person, several records.

The registry's census links department records of one human (``RecordsLinked`` /
``RecordsUnlinked``); training and matching keep the links by record key in a table of
their own (columns ``a`` and ``b``). A person is a connected component of those links.
Components are computed when read, never stored, so a link or an unlink moves a record
to its new person at once and the read models stay what a rebuild from the feeds makes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from sqlalchemy import Select, Table, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["CHUNK", "Components", "chunks", "linked_components"]

CHUNK = 500  # keys per IN list
T = TypeVar("T")


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class Components:
    """Union-find over record keys."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def __contains__(self, key: object) -> bool:
        return key in self.parent

    def find(self, key: str) -> str:
        parent = self.parent
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


_WALKS: dict[Table, Select[Any]] = {}


def _walk(links: Table) -> Select[Any]:
    """The links touching a batch of keys: built once a table (an accept and every offer
    walk it), the keys one expanding parameter."""
    found = _WALKS.get(links)
    if found is None:
        keys: Any = bindparam("keys", expanding=True)
        walk: Select[Any] = select(links.c.a, links.c.b).where(
            or_(links.c.a.in_(keys), links.c.b.in_(keys))
        )
        found = _WALKS[links] = walk
    return found


async def linked_components(
    conn: AsyncConnection, links: Table, keys: Iterable[str]
) -> tuple[Components, set[str]]:
    """The components of ``keys`` under the links, walked outwards breadth-first: the
    union-find and every key reached (``keys`` included)."""
    components = Components()
    seen = set(keys)
    frontier = set(seen)
    while frontier:
        found: set[str] = set()
        for batch in chunks(frontier):
            for a, b in await conn.execute(_walk(links), {"keys": batch}):
                components.union(a, b)
                found.update((a, b))
        frontier = found - seen
        seen |= found
    return components, seen
