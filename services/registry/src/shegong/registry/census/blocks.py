"""The linker's block index: which records share a block key, how many records carry
each name and how shared each phone is — what decides which pairs are compared
(blocking) and how much an exact name or phone weighs (their frequency buckets). When a
name's or a phone's bucket or a block's crowding changes, the records concerned are
re-scored, so the partition does not depend on the records' order.

The index holds no Python object per block: each kind is a :class:`.blocktable.BlockTable`
(arrays) keyed by a 31-bit digest of the block's value, whose records are rows of
``_rows`` chained through ``_next`` (one int32 per record and kind). A digest is checked
against the value of the first record under it whenever a record is inserted and
whenever a value the index may not hold is looked up; two values that share a digest
are never one block (the later one gets an entry of its own and the digest is noted in
``_collided``, after which every look-up of it compares values).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Mapping
from operator import attrgetter
from typing import Any

from shegong.registry.census.blocktable import BlockTable
from shegong.registry.census.blockviews import KindView, NameView
from shegong.registry.census.certificates import certificate_block
from shegong.registry.census.features import second_mobile
from shegong.registry.census.names import community_key, sound_key, surname
from shegong.registry.census.scoring import _bucket, _Rec

NAME_BLOCK_MAX = 32  # a name carried by more records blocks only with other fields
# A block key more records share (an office landline written for everyone, a placeholder
# birth date) is too common to compare them all on: it is skipped, except a valid ID.
BLOCK_MAX = 100
BLOCK_KINDS = (
    "i",
    "d",
    "rb",
    "ro",
    "bo",
    "so",
    "p",
    "q",
    "nb",
    "sb",
    "yb",
    "no",
    "nc",
    "nt",
    "nk",
    "nm",
)
_KINDS = (*BLOCK_KINDS, "n")  # and the records by name
_K = {kind: k for k, kind in enumerate(_KINDS)}
_NK = len(_KINDS)
_NAMES = _K["n"]
_DIGEST = (1 << 31) - 1  # a digest is an int32 (``BlockTable.digests``)

# A block's value in a record, by kind: what a digest is checked against.
_VALUE: dict[str, Callable[[Any], Any]] = {
    "i": attrgetter("id_hash"),
    "d": lambda r: r.record.document,
    "rb": lambda r: (r.parts[0], r.parts[1]),
    "ro": lambda r: (r.parts[0], r.parts[2], r.parts[3]),
    "bo": lambda r: (r.parts[1], r.parts[2], r.parts[3]),
    "so": lambda r: (surname(r.name), r.parts[2], r.parts[3]),
    "p": attrgetter("phone"),
    "q": lambda r: second_mobile(r.record),
    "nb": lambda r: (r.name, r.birth.year - 1900),
    "sb": lambda r: (surname(r.name), r.birth),
    "yb": lambda r: (sound_key(r.name), r.birth),
    "no": attrgetter("name", "org"),
    # A name in a community: a street office's roster gives the 社区 where another list
    # gives the committee as the unit (和平社区居委会), and nothing else the two share.
    "nc": lambda r: (r.name, community_key(r.community)),
    # A name in a township: a township government's row (腾鳌镇人民政府) and a list giving
    # the township in its 街道 column.
    "nt": attrgetter("name", "township"),
    "nk": lambda r: (r.name, certificate_block(r.record.certificates)),
    "nm": lambda r: (r.name, r.record.phone_shown),
    "n": attrgetter("name"),
}


class BlockIndex:
    """Records by block key and by name (state lives on the linker)."""

    _recs: dict[str, _Rec]

    def _init_blocks(self) -> None:
        self._tables = [BlockTable() for _ in _KINDS]
        self._rows: list[Any] = []  # row → its record (None: a free row)
        self._free: list[int] = []
        self._next = array("i")  # row * _NK + kind → the next row in that block, or -1
        self._collided: set[int] = set()  # digests two block values share
        # A name, its count and frequency (``_frequency``), until the next change.
        self._last_name: tuple[str, int, tuple[int, bool]] | None = None
        self._pinned: tuple[_Rec, list[tuple[str, Any]]] | None = None  # ``_pin``

    # ---------------------------------------------------------------- look-ups

    def _pin(self, rec: _Rec) -> list[tuple[str, Any]]:
        """Work out the keys of the record an operation is about, once: the crowding, the
        index and the candidates each ask for them (they are not kept on it: memory)."""
        self._pinned = (rec, rec.blocks)
        return self._pinned[1]

    def _blocks_of(self, rec: _Rec) -> list[tuple[str, Any]]:
        pinned = self._pinned
        return pinned[1] if pinned is not None and pinned[0] is rec else rec.blocks

    def _entry(self, k: int, value: Any, sure: bool = False) -> int:
        """The entry of the block of kind ``_KINDS[k]`` and ``value``, or -1. ``sure``: the
        index holds the value (its digest needs no check unless it collided)."""
        digest = hash(value) & _DIGEST
        table = self._tables[k]
        if digest not in self._collided:
            e = table.first(digest)
            if e < 0 or sure or _VALUE[_KINDS[k]](self._rows[table.heads[e]]) == value:
                return e
            return -1
        of = _VALUE[_KINDS[k]]
        for e in table.every(digest):
            if of(self._rows[table.heads[e]]) == value:
                return e
        return -1

    def _keys(self, k: int, e: int) -> list[str]:
        """The keys of block ``e``'s records, in the order they came."""
        rows, nexts = self._rows, self._next
        out: list[str] = []
        r = self._tables[k].heads[e]
        while r >= 0:
            out.append(rows[r].key)
            r = nexts[r * _NK + k]
        return out

    def _unit_holders(self, name: str, org: str) -> list[str]:
        """The keys of the records that carry ``name`` at the unit ``org`` (its key)."""
        e = self._entry(k := _K["no"], (name, org))
        return self._keys(k, e) if e >= 0 else []

    def _community_holders(self, name: str, community: str) -> list[str]:
        """The keys of the records that carry ``name`` in ``community`` (or one of its
        forms: 东关社区, 东关村, a bare 东关)."""
        e = self._entry(k := _K["nc"], (name, community_key(community)))
        return self._keys(k, e) if e >= 0 else []

    def _township_holders(self, name: str, township: str) -> list[str]:
        """The keys of the records that carry ``name`` in ``township`` (its key)."""
        e = self._entry(k := _K["nt"], (name, township))
        return self._keys(k, e) if e >= 0 else []

    def _count(self, kind: str, value: Any) -> int:
        """How many records are in block ``(kind, value)`` (0: none)."""
        k = _K[kind]
        digest = hash(value) & _DIGEST
        table = self._tables[k]
        if digest in self._collided:
            e = self._entry(k, value)
            return table.counts[e] if e >= 0 else 0
        # ``table.first``, inlined: the census counts a block or a name ~25 times a record.
        slots, digests = table.slots, table.digests
        mask = len(slots) - 1
        i = digest & mask
        while (e := slots[i]) != -1:
            if e >= 0 and digests[e] == digest:
                if _VALUE[kind](self._rows[table.heads[e]]) != value:
                    return 0
                return table.counts[e]
            i = (i + 1) & mask
        return 0

    def _named(self, name: str) -> list[str]:
        """The records that carry ``name``."""
        k = _K["n"]
        e = self._entry(k, name)
        return self._keys(k, e) if e >= 0 else []

    def _found(self, kind: str, value: Any) -> str | tuple[str, ...] | None:
        """The records of block ``(kind, value)``: a key alone, a tuple of several, None."""
        k = _K[kind]
        e = self._entry(k, value)
        if e < 0:
            return None
        keys = self._keys(k, e)
        return keys[0] if len(keys) == 1 else tuple(keys)

    def _candidates(self, rec: _Rec) -> set[str]:
        """The records sharing a block with ``rec`` (a block too crowded is skipped, but a
        valid ID's), and its namesakes while few records carry its name."""
        tables, rows, nexts, collided = self._tables, self._rows, self._next, self._collided
        kinds, bits = _K, _DIGEST
        candidates: set[str] = set()
        add = candidates.add
        blocks = self._blocks_of(rec)
        for kind, value in (*blocks, ("n", rec.name)):
            k = kinds[kind]
            table = tables[k]
            digest = hash(value) & bits
            if digest in collided:
                e = self._entry(k, value, True)
            else:  # ``table.first``, inlined (the record is in the block: no -1)
                slots, digests = table.slots, table.digests
                mask = len(slots) - 1
                i = digest & mask
                while (e := slots[i]) < 0 or digests[e] != digest:
                    if e == -1:
                        raise KeyError((kind, value))
                    i = (i + 1) & mask
            count = table.counts[e]
            if count == 1:  # the record alone (added all the same: the set's order)
                add(rec.key)
                continue
            r = table.heads[e]
            if count <= (NAME_BLOCK_MAX if k == _NAMES else BLOCK_MAX) or kind == "i":
                # A name few records carry is a block of its own: a record with little
                # else (a name and a community) still meets its namesakes.
                while r >= 0:
                    add(rows[r].key)
                    r = nexts[r * _NK + k]
        for kind, value in blocks:
            if kind in _CROSS:  # a phone is another record's second mobile, and back
                k = kinds[_CROSS[kind]]
                e = self._entry(k, value)
                if e >= 0 and tables[k].counts[e] <= BLOCK_MAX:
                    candidates.update(self._keys(k, e))
        candidates.discard(rec.key)
        return candidates

    def _frequency(self, name: str) -> tuple[int, bool]:
        """The name's frequency bucket, and whether it is too frequent to block on alone."""
        last = self._last_name  # a record's re-scoring asks for its name once a namesake
        if last is None or last[0] != name:
            last = self._remember_name(name)
        return last[2]

    def _name_count(self, name: str) -> int:
        """How many records carry ``name``."""
        last = self._last_name
        if last is None or last[0] != name:
            last = self._remember_name(name)
        return last[1]

    def _remember_name(self, name: str) -> tuple[str, int, tuple[int, bool]]:
        count = self._count("n", name)
        self._last_name = last = (name, count, (_bucket(count), count > NAME_BLOCK_MAX))
        return last

    def _phone_bucket(self, phone: int | str) -> int:
        """How shared a phone is: 0 while its records carry one name (a person's own
        number), else 1 + the frequency bucket of its records under other names than the
        most frequent one (a unit's office number written for its staff)."""
        k = _K["p"]
        e = self._entry(k, phone)
        count = self._tables[k].counts[e] if e >= 0 else 0
        if count < 2:
            return 0
        if count > BLOCK_MAX:
            others = count
        else:
            names = [self._recs[key].name for key in self._keys(k, e)]
            others = count - max(map(names.count, set(names)))
        return _bucket(others) + 1 if others else 0

    def _bucket(self, block: tuple[str, Any]) -> str | tuple[str, ...] | None:
        return self._found(block[0], block[1])

    def _crowded(self, block: tuple[str, Any]) -> bool:
        return block[0] != "i" and self._count(block[0], block[1]) > BLOCK_MAX

    def _commonness(
        self, names: Iterable[str], blocks: Iterable[tuple[Any, ...]]
    ) -> dict[tuple[str, Any], Any]:
        """What scoring depends on besides the records: names' frequencies, blocks' crowding."""
        out: dict[tuple[str, Any], Any] = {("n", n): self._frequency(n) for n in names}
        # A block's count, for the crowding: an operation moves it by one at most.
        out.update({("b", b): self._count(*b) for b in blocks if b[0] != "i"})
        out.update({("f", b[1]): self._phone_bucket(b[1]) for b in blocks if b[0] == "p"})
        return out

    def _flipped(self, before: Mapping[tuple[str, Any], Any]) -> set[str]:
        """Records whose edges must be recomputed because a name's frequency or a block's
        crowding changed (so the partition does not depend on the records' order)."""
        dirty: set[str] = set()
        for (kind, value), was in before.items():
            if kind == "n" and self._frequency(value) != was:
                dirty.update(self._named(value))
            elif (
                kind == "b"
                and BLOCK_MAX <= was <= BLOCK_MAX + 1  # where one record more or less tips it
                and self._crowded(value) != (was > BLOCK_MAX)
            ) or (kind == "f" and self._phone_bucket(value) != was):
                bucket = self._bucket(value if kind == "b" else ("p", value))
                if isinstance(bucket, tuple):
                    dirty.update(bucket)
                elif bucket:
                    dirty.add(bucket)
        return dirty

    # ---------------------------------------------------------------- changes

    def _insert(self, rec: _Rec) -> None:
        self._recs[rec.key] = rec
        self._last_name = None
        rows, nexts, tables, collided = self._rows, self._next, self._tables, self._collided
        if self._free:
            row = self._free.pop()
            rows[row] = rec
        else:
            row = len(rows)
            rows.append(rec)
            nexts.extend(_NO_NEXT)
        rec.row = row  # the record's row, by which the linker's edges name it (``edgestore``)
        kinds, bits, at = _K, _DIGEST, row * _NK
        for kind, value in (*self._blocks_of(rec), ("n", rec.name)):
            k = kinds[kind]
            table = tables[k]
            digest = hash(value) & bits
            if digest in collided:
                e = self._entry(k, value)
            else:
                e = table.first(digest)
                if e >= 0 and _VALUE[kind](rows[table.heads[e]]) != value:
                    collided.add(digest)  # another value has this digest: kept apart now
                    e = self._entry(k, value)
            nexts[at + k] = -1
            if e < 0:
                table.add(digest, row)
            else:
                table.append(e, row, nexts, _NK, k)

    def _delete(self, rec: _Rec, park: bool = False) -> None:
        """Take ``rec`` out of the index; its row is freed unless ``park`` (then
        :meth:`_free_row` frees it)."""
        self._last_name = None
        rows, nexts, tables = self._rows, self._next, self._tables
        row = -1
        for kind, value in (*self._blocks_of(rec), ("n", rec.name)):
            k = _K[kind]
            table = tables[k]
            e = self._entry(k, value, sure=True)
            before, r = -1, table.heads[e]
            while rows[r] is not rec:
                before, r = r, nexts[r * _NK + k]
            after = nexts[r * _NK + k]
            if before < 0:
                table.heads[e] = after
            else:
                nexts[before * _NK + k] = after
            table.took(e, r, before)
            row = r
        del self._recs[rec.key]
        if not park:
            self._free_row(row)

    def _free_row(self, row: int) -> None:
        self._rows[row] = None  # after: a digest is checked against its records
        self._free.append(row)

    # ---------------------------------------------------------------- views

    def _block_view(self) -> dict[str, KindView]:
        """Block kind → its blocks (key → a record's key, or a tuple of several), in the
        order they were made: what training walks, as a ``dict`` of dicts would give it."""
        return {kind: KindView(self, _K[kind], _VALUE[kind]) for kind in BLOCK_KINDS}

    @property
    def _by_name(self) -> Mapping[str, list[str]]:
        """Name → the keys of the records that carry it, read-only."""
        return NameView(self, _NAMES, _VALUE["n"])


_NO_NEXT = array("i", [-1]) * _NK
_CROSS = {"p": "q", "q": "p"}  # block kinds of one value that meet each other
