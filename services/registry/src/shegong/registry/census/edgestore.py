"""The linker's scored edges by record, in arrays rather than a tuple per record (and
its active links: a link is its pair and the edge it was made from).

A record is named by its row in the linker (``_Rec.row``, given by the block index). Its
edges are a chain of entries — the other record's row, the edge's kind, the next entry —
from ``head[row]``, kept in the order they were added: the order clustering reads them
in, on which its sums depend. An entry costs 10 bytes and a record 4 (its head), where a
record's ``(other, edge, …)`` tuple and its dict entry cost 100–150. Edges are few
kinds (``scoring._compare``: the pairs of one comparison vector, name and phone weight
share one edge object), each stored once and referred to by its number.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from shegong.registry.census.scoring import _Rec

__all__ = ["EdgeStore"]

_END = -1
_KINDS_MAX = 200_000


class EdgeStore:
    """Record key → its edges ``(other key, edge)``, in the order they were added (an
    "edge" is any object: an ``_Edge``, or a clerk's ``Link``; equal ones are stored once).

        ``recs`` (key → record) and ``rows`` (row → record) are the linker's own: a key is
        looked up to its row, a row back to its key; a record's edges are dropped before
        its row is freed."""

    __slots__ = (
        "_free",
        "_head",
        "_kind",
        "_kind_of",
        "_kinds",
        "_next",
        "_other",
        "_recs",
        "_rows",
        "_with",
    )

    def __init__(self, recs: Mapping[str, _Rec], rows: Sequence[Any]) -> None:
        self._recs, self._rows = recs, rows
        self._head = array("i")  # row → its first entry, or -1
        self._other = array("i")  # entry → the other record's row (-1: a free entry)
        # Entry → its edge's number in ``_kinds``: two bytes while a store holds fewer than
        # 65,536 kinds (a city has a few thousand), then four (``add_rows``).
        self._kind = array("H")
        self._next = array("i")  # entry → the record's next entry, or -1
        self._free = array("i")  # entries free for reuse
        self._kinds: list[Any] = []
        self._kind_of: dict[Any, int] = {}
        self._with = 0  # records with edges

    def __len__(self) -> int:
        return self._with

    def __contains__(self, key: object) -> bool:
        rec = self._recs.get(key)  # type: ignore[call-overload]
        return rec is not None and self._first(rec.row) != _END

    def __iter__(self) -> Iterator[str]:
        """The keys with edges."""
        rows = self._rows
        return (rows[r].key for r, e in enumerate(self._head) if e != _END)

    def _first(self, row: int) -> int:
        return self._head[row] if row < len(self._head) else _END

    def others(self, key: str) -> list[str]:
        """The keys ``key`` has an edge with."""
        out: list[str] = []
        rec = self._recs.get(key)
        if rec is None:
            return out
        e = self._first(rec.row)
        rows, other, nexts = self._rows, self._other, self._next
        while e != _END:
            out.append(rows[other[e]].key)
            e = nexts[e]
        return out

    def edges(self, key: str) -> list[tuple[str, Any]]:
        """``key``'s edges: (other key, edge)."""
        out: list[tuple[str, Any]] = []
        rec = self._recs.get(key)
        if rec is None:
            return out
        e = self._first(rec.row)
        rows, other, nexts = self._rows, self._other, self._next
        kinds, kind = self._kinds, self._kind
        while e != _END:
            out.append((rows[other[e]].key, kinds[kind[e]]))
            e = nexts[e]
        return out

    def add(self, key: str, other: str, edge: Any) -> None:
        """An edge of ``key`` with ``other``, after its others."""
        self.add_rows(self._recs[key].row, self._recs[other].row, edge)

    def add_rows(self, row: int, to: int, edge: Any) -> None:
        """An edge of record ``row`` with record ``to``, after its others."""
        k = self._kind_of.get(edge)
        if k is None:
            if len(self._kinds) >= _KINDS_MAX:  # kinds no edge has any more: forgotten
                self.forget_kinds()
            k = self._kind_of[edge] = len(self._kinds)
            self._kinds.append(edge)
            if k > 0xFFFF and self._kind.typecode == "H":
                self._kind = array("i", self._kind)  # more kinds than two bytes number
        if self._free:
            e = self._free.pop()
            self._other[e] = to
            self._kind[e] = k
            self._next[e] = _END
        else:
            e = len(self._other)
            self._other.append(to)
            self._kind.append(k)
            self._next.append(_END)
        head = self._head
        if row >= len(head):
            head.extend(_NONE * (row + 1 - len(head)))
        first = head[row]
        if first == _END:
            head[row] = e
            self._with += 1
            return
        nexts = self._next
        while (after := nexts[first]) != _END:
            first = after
        nexts[first] = e

    def drop(self, key: str, other: str) -> None:
        """``key``'s edge with ``other`` (which it has)."""
        self._drop_rows(self._recs[key].row, self._recs[other].row)

    def _drop_rows(self, row: int, to: int) -> None:
        nexts, others = self._next, self._other
        before, e = _END, self._head[row]
        while others[e] != to:
            before, e = e, nexts[e]
        after = nexts[e]
        if before != _END:
            nexts[before] = after
        else:
            self._head[row] = after
            if after == _END:
                self._with -= 1
        others[e] = _END
        self._free.append(e)

    def _take_rows(self, row: int) -> list[int]:
        """Drop record ``row``'s own entries; the rows and kinds they held, in turn."""
        out: list[int] = []
        e = self._head[row] if row < len(self._head) else _END
        if e == _END:
            return out
        self._head[row] = _END
        self._with -= 1
        others, kind, nexts, free = self._other, self._kind, self._next, self._free
        while e != _END:
            out.append(others[e])
            out.append(kind[e])
            others[e] = _END
            free.append(e)
            e = nexts[e]
        return out

    def pop(self, key: str) -> list[str]:
        """Drop ``key``'s own entries; the keys it had edges with (whose entries remain)."""
        rec = self._recs.get(key)
        if rec is None:
            return []
        rows = self._rows
        return [rows[r].key for r in self._take_rows(rec.row)[::2]]

    def take(self, key: str) -> list[tuple[str, Any]]:
        """Drop ``key``'s own entries; its edges ``(other key, edge)`` (as ``edges``)."""
        rec = self._recs.get(key)
        if rec is None:
            return []
        rows, kinds, held = self._rows, self._kinds, self._take_rows(rec.row)
        return [(rows[held[i]].key, kinds[held[i + 1]]) for i in range(0, len(held), 2)]

    def cut(self, key: str) -> None:
        """Drop every edge of ``key``, both ways."""
        rec = self._recs.get(key)
        if rec is None:
            return
        row = rec.row
        for to in self._take_rows(row)[::2]:
            self._drop_rows(to, row)

    def forget_kinds(self) -> None:
        """Number again only the edges still stored (after a new model re-scored them all,
        the old model's edges are no more)."""
        kinds, kind, others = self._kinds, self._kind, self._other
        self._kinds, self._kind_of = [], {}
        for e, other in enumerate(others):
            if other == _END:
                continue
            edge = kinds[kind[e]]
            k = self._kind_of.get(edge)
            if k is None:
                k = self._kind_of[edge] = len(self._kinds)
                self._kinds.append(edge)
            kind[e] = k


_NONE = array("i", [_END])
