"""The census's links as a consuming service keeps them: one person, several records.

The registry's census links department records of one human (``RecordsLinked`` /
``RecordsUnlinked``); training and matching keep the links by record key in a table of
their own (columns ``a`` and ``b``). A person is a connected component of those links.
Components are computed when read, never stored, so a link or an unlink moves a record
to its new person at once and the read models stay what a rebuild from the feeds makes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from sqlalchemy import Table, or_, select
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
            for a, b in await conn.execute(
                select(links.c.a, links.c.b).where(or_(links.c.a.in_(batch), links.c.b.in_(batch)))
            ):
                components.union(a, b)
                found.update((a, b))
        frontier = found - seen
        seen |= found
    return components, seen
