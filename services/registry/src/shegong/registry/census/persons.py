"""The linker's persons by row, in arrays: which person each record is in, and each
person's records.

A person is a chain of its records' rows (``_next``), in the order clustering listed
them (the order its tuple of keys had: sets filled from it iterate as they did), and
every record holds the row of its person's first record (``_head``); the person's id,
its smallest key, is worked out when asked (a person has a few records). Two int32 a
record, where a dict entry a record (its person's id) and a tuple a person cost ≈ 50
bytes. A record is named by its row in the
linker (``_Rec.row``, given by the block index), and a row by its record
(``rows[row].key``). A removed record's row is *parked* (kept, with its key) until its
person has been made again without it, then freed.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from shegong.registry.census.scoring import _Rec

__all__ = ["Persons"]

_END = -1  # the last record of its person; and a free row's person
_NONE = -2  # a record not clustered yet: a person of its own, with no record listed


class Persons:
    """Record key → its person's id (the person's smallest record key) and records."""

    __slots__ = ("_head", "_next", "_parked", "_recs", "_rows")

    def __init__(self, recs: Mapping[str, _Rec], rows: Sequence[Any]) -> None:
        self._recs, self._rows = recs, rows
        self._head = array("i")  # row → the row of its person's first record, or _NONE / _END
        self._next = array("i")  # row → the next record of its person, or _END
        self._parked: dict[str, int] = {}  # a removed record → its row, until re-made

    def enter(self, row: int) -> None:
        """A new record at ``row``: not clustered yet (its own person, of no records)."""
        pid, nexts = self._head, self._next
        if row >= len(pid):
            more = row + 1 - len(pid)
            pid.extend(_NONES * more)
            nexts.extend(_ENDS * more)
        pid[row] = _NONE
        nexts[row] = _END

    def park(self, key: str, row: int) -> None:
        """``key`` left the census; its row stays its until :meth:`unpark`."""
        self._parked[key] = row

    def unpark(self, key: str) -> int:
        """The row a removed record kept, now free (its person was made again)."""
        row = self._parked.pop(key)
        self._head[row] = _END
        self._next[row] = _END
        return row

    def _row(self, key: str) -> int:
        rec = self._recs.get(key)
        return rec.row if rec is not None else self._parked[key]

    def head(self, key: str) -> int:
        """The row that stands for ``key``'s person (its first record's; ``key`` a record
        of the census, clustered): two records are one person if their heads are one."""
        return self._head[self._recs[key].row]

    def of(self, key: str) -> str:
        """``key``'s person's id (``key`` itself while it is not clustered)."""
        return self.pid(key) or key

    def pid(self, key: str) -> str | None:
        """``key``'s person's id (its smallest record key), or None while not clustered."""
        r = self._head[self._row(key)]
        if r < 0:
            return None
        rows, nexts = self._rows, self._next
        pid = rows[r].key
        r = nexts[r]
        while r >= 0:
            if (other := rows[r].key) < pid:
                pid = other
            r = nexts[r]
        return pid

    def members(self, key: str) -> list[str]:
        """The records of ``key``'s person, in their order ([] while not clustered)."""
        out: list[str] = []
        rec = self._recs.get(key)
        row = rec.row if rec is not None else self._parked.get(key, -1)
        if row < 0:
            return out
        r = self._head[row]
        rows, nexts = self._rows, self._next
        while r >= 0:
            out.append(rows[r].key)
            r = nexts[r]
        return out

    def make(self, group: Sequence[str]) -> None:
        """One person of ``group``'s records, in that order."""
        recs, pid, nexts = self._recs, self._head, self._next
        head = recs[group[0]].row
        last = -1
        for key in group:
            r = recs[key].row
            pid[r] = head
            if last >= 0:
                nexts[last] = r
            last = r
        nexts[last] = _END

    def groups(self) -> Iterator[list[str]]:
        """Every person's records (the persons in the order of their first rows)."""
        pid, rows, nexts = self._head, self._rows, self._next
        for r, p in enumerate(pid):
            if p != r or rows[r] is None or rows[r].key in self._parked:
                continue
            keys: list[str] = []
            while p >= 0:
                keys.append(rows[p].key)
                p = nexts[p]
            yield keys


_NONES = array("i", [_NONE])
_ENDS = array("i", [_END])
