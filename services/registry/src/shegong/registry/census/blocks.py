"""The linker's block index: which records share a block key, how many records carry
each name and how shared each phone is — what decides which pairs are compared
(blocking) and how much an exact name or phone weighs (their frequency buckets). When a
name's or a phone's bucket or a block's crowding changes, the records concerned are
re-scored, so the partition does not depend on the records' order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from shegong.registry.census.scoring import _bucket, _Rec

NAME_BLOCK_MAX = 32  # a name carried by more records blocks only with other fields
# A block key more records share (an office landline written for everyone, a placeholder
# birth date) is too common to compare them all on: it is skipped, except a valid ID.
BLOCK_MAX = 100
BLOCK_KINDS = ("i", "rb", "ro", "bo", "p", "nb", "sb", "yb", "no")  # as ``_Rec.blocks``
_DIGEST = (1 << 60) - 1  # a digest under 2**60 is a 32-byte int, where a key tuple is 56-64

# A block's value in a record, by kind (for the kinds whose value is a tuple): what a
# digest is checked against, so that two values with one digest are never one block.
_VALUE: dict[str, Callable[[Any], Any]] = {
    "rb": lambda r: (r.parts[0], r.parts[1]),
    "ro": lambda r: (r.parts[0], r.parts[2], r.parts[3]),
    "bo": lambda r: (r.parts[1], r.parts[2], r.parts[3]),
    "nb": lambda r: (r.name, r.birth.year - 1900),
    "sb": lambda r: (r.name[0], r.birth),
    "yb": lambda r: (r.pinyin, r.birth),
    "no": lambda r: (r.name, r.org),
}


class BlockIndex:
    """Records by block key and by name (state lives on the linker)."""

    _recs: dict[str, _Rec]
    # Block kind → block value → its records (the kinds are ``_Rec.blocks``'s). A value
    # that is a string (an ID's or a phone's hash, the record's own object) is its own key;
    # a tuple is kept as a 60-bit digest of it (``_where``), or as itself where another
    # value in the index had the same digest (``_collided``: in practice never).
    _blocks: dict[str, dict[Any, str | tuple[str, ...]]]
    _collided: set[int]
    _by_name: dict[str, list[str]]

    def _where(self, kind: str, value: Any) -> Any:
        """The key of block ``(kind, value)`` in ``_blocks[kind]``, for a value the index
        holds or is about to hold (``_insert`` checks a digest's first holder)."""
        if type(value) is str:
            return value
        digest = hash(value) & _DIGEST
        if digest in self._collided:
            blocks = self._blocks[kind]
            if value in blocks or not self._holds(kind, digest, value):
                return value
        return digest

    def _holds(self, kind: str, digest: int, value: Any) -> bool:
        """Whether the records under ``digest`` (if any) carry ``value`` itself."""
        bucket = self._blocks[kind].get(digest)
        if bucket is None:
            return True
        first = bucket if isinstance(bucket, str) else bucket[0]
        return bool(_VALUE[kind](self._recs[first]) == value)

    def _found(self, kind: str, value: Any) -> str | tuple[str, ...] | None:
        """The records of block ``(kind, value)``, for any value (one the index may not
        hold: a digest is checked against the records found under it)."""
        key = self._where(kind, value)
        if key is value:
            return self._blocks[kind].get(key)
        if not self._holds(kind, key, value):
            return None
        return self._blocks[kind].get(key)

    def _frequency(self, name: str) -> tuple[int, bool]:
        """The name's frequency bucket, and whether it is too frequent to block on alone."""
        count = len(self._by_name.get(name, ()))
        return _bucket(count), count > NAME_BLOCK_MAX

    def _phone_bucket(self, phone: str) -> int:
        """How shared a phone is: 0 while its records carry one name (a person's own
        number), else 1 + the frequency bucket of its records under other names than the
        most frequent one (a unit's office number written for its staff)."""
        bucket = self._blocks["p"].get(phone)  # a phone is a string: its own key
        if not isinstance(bucket, tuple):
            return 0
        if len(bucket) > BLOCK_MAX:
            others = len(bucket)
        else:
            others = len(bucket) - max(Counter(self._recs[k].name for k in bucket).values())
        return _bucket(others) + 1 if others else 0

    def _bucket(self, block: tuple[str, Any]) -> str | tuple[str, ...] | None:
        return self._found(block[0], block[1])

    def _crowded(self, block: tuple[str, Any]) -> bool:
        bucket = self._bucket(block)
        return isinstance(bucket, tuple) and len(bucket) > BLOCK_MAX and block[0] != "i"

    def _commonness(
        self, names: Iterable[str], blocks: Iterable[tuple[Any, ...]]
    ) -> dict[tuple[str, Any], Any]:
        """What scoring depends on besides the records: names' frequencies, blocks' crowding."""
        out: dict[tuple[str, Any], Any] = {("n", n): self._frequency(n) for n in names}
        out.update({("b", b): self._crowded(b) for b in blocks})
        out.update({("f", b[1]): self._phone_bucket(b[1]) for b in blocks if b[0] == "p"})
        return out

    def _flipped(self, before: Mapping[tuple[str, Any], Any]) -> set[str]:
        """Records whose edges must be recomputed because a name's frequency or a block's
        crowding changed (so the partition does not depend on the records' order)."""
        dirty: set[str] = set()
        for (kind, value), was in before.items():
            if kind == "n" and self._frequency(value) != was:
                dirty.update(self._by_name.get(value, ()))
            elif (kind == "b" and self._crowded(value) != was) or (
                kind == "f" and self._phone_bucket(value) != was
            ):
                bucket = self._bucket(value if kind == "b" else ("p", value))
                if isinstance(bucket, tuple):
                    dirty.update(bucket)
                elif bucket:
                    dirty.add(bucket)
        return dirty

    def _insert(self, rec: _Rec) -> None:
        self._recs[rec.key] = rec
        for kind, value in rec.blocks:
            blocks = self._blocks[kind]
            where = self._where(kind, value)
            bucket = blocks.get(where)
            if bucket is not None and where is not value and not self._holds(kind, where, value):
                # Another value has this digest: this one is kept as itself from now on.
                self._collided.add(where)
                where = value
                bucket = blocks.get(where)
            if bucket is None:
                blocks[where] = rec.key
            elif isinstance(bucket, str):
                blocks[where] = (bucket, rec.key)
            else:
                blocks[where] = (*bucket, rec.key)
        same_name = self._by_name.get(rec.name)
        if same_name is None:
            self._by_name[rec.name] = [rec.key]
        else:
            same_name.append(rec.key)

    def _delete(self, rec: _Rec) -> None:
        for kind, value in rec.blocks:
            blocks = self._blocks[kind]
            where = self._where(kind, value)
            bucket = blocks[where]
            if isinstance(bucket, str):
                del blocks[where]
                continue
            rest = tuple(key for key in bucket if key != rec.key)
            blocks[where] = rest[0] if len(rest) == 1 else rest
        del self._recs[rec.key]  # after: a digest is checked against its records
        names = self._by_name[rec.name]
        names.remove(rec.key)
        if not names:
            del self._by_name[rec.name]
