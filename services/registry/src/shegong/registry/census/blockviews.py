"""Read-only views of the linker's block index (:mod:`.blocks`): one kind's blocks as a
mapping of block → record keys (what training walks), and the records by name — what a
``dict`` of dicts would give, read from the index's arrays."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shegong.registry.census.blocks import BlockIndex

__all__ = ["KindView", "NameView"]


class KindView(Mapping[Any, "str | tuple[str, ...]"]):
    """One kind's blocks, read-only: keyed by digest (by value where a digest collided)."""

    def __init__(self, index: BlockIndex, k: int, value: Callable[[Any], Any]) -> None:
        self._index, self._k, self._value = index, k, value  # ``value``: a block's, of a record
        self._table = index._tables[k]

    def value(self, e: int) -> Any:
        return self._value(self._index._rows[self._table.heads[e]])

    def _key(self, e: int) -> Any:
        digest = self._table.digests[e]
        return self.value(e) if digest in self._index._collided else digest

    def _bucket(self, e: int) -> str | tuple[str, ...]:
        keys = self._index._keys(self._k, e)
        return keys[0] if len(keys) == 1 else tuple(keys)

    def __iter__(self) -> Iterator[Any]:
        return (self._key(e) for e in self._table.entries())

    def __len__(self) -> int:
        return len(self._table)

    def __getitem__(self, key: Any) -> str | tuple[str, ...]:
        for e in self._table.entries():
            if self._key(e) == key:
                return self._bucket(e)
        raise KeyError(key)

    def values(self) -> Iterator[str | tuple[str, ...]]:  # type: ignore[override]
        # One loop over the arrays (training walks every block of its kinds).
        k, rows, nexts = self._k, self._index._rows, self._index._next
        heads, counts = self._table.heads, self._table.counts
        stride = len(self._index._tables)  # a row's next rows, one a kind
        for e in range(len(counts)):
            count = counts[e]
            if not count:
                continue
            r = heads[e]
            if count == 1:
                yield rows[r].key
                continue
            keys = []
            while r >= 0:
                keys.append(rows[r].key)
                r = nexts[r * stride + k]
            yield tuple(keys)

    def items(self) -> Iterator[tuple[Any, str | tuple[str, ...]]]:  # type: ignore[override]
        return ((self._key(e), self._bucket(e)) for e in self._table.entries())


class NameView(Mapping[str, list[str]]):
    """The records by name (each name's keys in the order they came)."""

    def __init__(self, index: BlockIndex, k: int, value: Callable[[Any], Any]) -> None:
        self._index, self._k, self._value = index, k, value  # the index's kind of names

    def __getitem__(self, name: str) -> list[str]:
        keys = self._index._named(name)
        if not keys:
            raise KeyError(name)
        return keys

    def __iter__(self) -> Iterator[str]:
        view = KindView(self._index, self._k, self._value)
        return (view.value(e) for e in self._index._tables[self._k].entries())

    def __len__(self) -> int:
        return len(self._index._tables[self._k])

    def items(self) -> Iterator[tuple[str, list[str]]]:  # type: ignore[override]
        # Walked, not looked up again: each name's entry is at hand.
        view = KindView(self._index, self._k, self._value)
        for e in self._index._tables[self._k].entries():
            yield view.value(e), self._index._keys(self._k, e)
