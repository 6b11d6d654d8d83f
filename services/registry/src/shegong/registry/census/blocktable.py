"""One kind of block of the linker's index (:mod:`.blocks`), held in arrays rather than
Python objects: a block is a 31-bit digest of its value and the chain of its records'
rows (first, how many; the last only for a block of ``LONG`` records or more, where
walking the chain to add to it would cost), the records' ``next`` rows kept by the
index. The layout
is CPython's compact dict: a sparse table of entry numbers (4 bytes a slot, linear
probing) over dense arrays of entries in the order the blocks were made, so that the
blocks are walked in the order a ``dict`` would give (training reads them in that
order). A block costs ≈ 20 bytes, where a dict entry, its key and its bucket cost
≈ 100–150.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

__all__ = ["LONG", "BlockTable"]

LONG = 16  # a block of this many records or more keeps its last row (``BlockTable.long``)

_EMPTY = -1  # a slot never used
_DUMMY = -2  # a slot whose block was removed (probing goes on past it)


class BlockTable:
    """Digest → entry (its records' first row, their number, the last for a long block)."""

    __slots__ = ("counts", "digests", "filled", "heads", "live", "long", "slots")

    def __init__(self) -> None:
        self.slots = array("i", [_EMPTY]) * 8
        self.digests = array("i")  # a digest is ≥ 0 and < 2**31
        self.heads = array("i")
        self.long: dict[int, int] = {}  # entry → its last row, for blocks of ≥ LONG records
        # 0: a removed block's hole, until the table is rebuilt. Two bytes a block while
        # no block holds 65,535 records (then four: ``_count_over``).
        self.counts = array("H")
        self.live = 0  # blocks with records
        self.filled = 0  # slots not empty (live blocks and dummies)

    def __len__(self) -> int:
        return self.live

    def first(self, digest: int) -> int:
        """The first entry under ``digest`` (several only where two values share one), or -1."""
        slots, digests = self.slots, self.digests
        mask = len(slots) - 1
        i = digest & mask
        while (e := slots[i]) != _EMPTY:
            if e >= 0 and digests[e] == digest:
                return e
            i = (i + 1) & mask
        return -1

    def every(self, digest: int) -> Iterator[int]:
        """Every entry under ``digest`` (values that share a digest are kept apart)."""
        slots, digests = self.slots, self.digests
        mask = len(slots) - 1
        i = digest & mask
        while (e := slots[i]) != _EMPTY:
            if e >= 0 and digests[e] == digest:
                yield e
            i = (i + 1) & mask

    def add(self, digest: int, row: int) -> int:
        """A new block of one record (``row``); returns its entry."""
        e = len(self.digests)
        self.digests.append(digest)
        self.heads.append(row)
        self.counts.append(1)
        self._place(digest, e)
        self.live += 1
        self.filled += 1
        if self.filled * 3 >= len(self.slots) * 2:
            self._rebuild()
            return self.live - 1  # the newest block is the last entry once rebuilt
        return e

    def append(self, e: int, row: int, nexts: array[int], stride: int, k: int) -> None:
        """``row`` joins block ``e``, last (``nexts[r * stride + k]``: the row after ``r``)."""
        counts = self.counts
        count = counts[e]
        if count >= LONG:
            last = self.long[e]
        else:  # a short block: its last row is walked to
            last = self.heads[e]
            while (after := nexts[last * stride + k]) >= 0:
                last = after
        nexts[last * stride + k] = row
        count += 1
        try:
            counts[e] = count
        except OverflowError:
            self._count_over(e, count)
        if count >= LONG:
            self.long[e] = row

    def took(self, e: int, row: int, before: int) -> None:
        """``row`` left block ``e`` (the index unchained it; ``before``: the row before it)."""
        self.counts[e] = count = self.counts[e] - 1
        if count >= LONG:
            if self.long[e] == row:
                self.long[e] = before
        elif count == LONG - 1:
            del self.long[e]
        elif not count:
            self.remove(e)

    def _count_over(self, e: int, count: int) -> None:
        """A block outgrew two bytes' count: every count takes four from now on."""
        self.counts = array("i", self.counts)
        self.counts[e] = count

    def remove(self, e: int) -> None:
        """Block ``e`` has no record left: its slot becomes a dummy, its entry a hole."""
        slots = self.slots
        mask = len(slots) - 1
        i = self.digests[e] & mask
        while slots[i] != e:
            i = (i + 1) & mask
        slots[i] = _DUMMY
        self.counts[e] = 0
        self.live -= 1

    def entries(self) -> Iterator[int]:
        """The live entries, in the order their blocks were made."""
        counts = self.counts
        return (e for e in range(len(counts)) if counts[e])

    def _place(self, digest: int, e: int) -> None:
        slots = self.slots
        mask = len(slots) - 1
        i = digest & mask
        while slots[i] != _EMPTY:
            i = (i + 1) & mask
        slots[i] = e

    def _rebuild(self) -> None:
        """Drop the holes (keeping the entries' order) and size the table for three times
        the live blocks, as CPython sizes a dict: from 1/3 full to 2/3."""
        if self.live < len(self.counts):
            keep = [e for e, count in enumerate(self.counts) if count]
            self.digests = array("i", [self.digests[e] for e in keep])
            self.heads = array("i", [self.heads[e] for e in keep])
            self.counts = array(self.counts.typecode, [self.counts[e] for e in keep])
            at = {e: new for new, e in enumerate(keep)}
            self.long = {at[e]: row for e, row in self.long.items()}
        size = 8
        while size < 3 * self.live:
            size *= 2
        slots = array("i", [_EMPTY]) * size
        mask = size - 1
        for e, digest in enumerate(self.digests):
            i = digest & mask
            while slots[i] != _EMPTY:
                i = (i + 1) & mask
            slots[i] = e
        self.slots = slots
        self.filled = self.live
