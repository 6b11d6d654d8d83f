"""Which worker each department's roster row became, and what the row said last time.

The fingerprint makes re-importing the same file a no-op (no events); a changed row is
diffed against the worker's state and only what changed becomes events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

metadata = MetaData()

roster_records = Table(
    "roster_records",
    metadata,
    Column("department", String(64), primary_key=True),
    Column("record_key", String(200), primary_key=True),
    Column("worker_id", String(64), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("row_number", Integer),
    Column("imported_at", DateTime(timezone=True)),
    # The row's problems at its last import (values left out, a second record of one ID
    # number …) for the census quality report; None when it had none.
    Column("problems", JSON),
)

key_column = roster_records.c.record_key


async def known_records(
    conn: AsyncConnection, department: str, keys: Sequence[str]
) -> dict[str, tuple[str, str]]:
    """record_key → (worker_id, fingerprint) for the keys already imported."""
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(keys), 500):
        rows = await _records(conn, department, key_column.in_(keys[start : start + 500]))
        found.update({r.record_key: (r.worker_id, r.fingerprint) for r in rows})
    return found


async def _records(
    conn: AsyncConnection, department: str, which: Any
) -> Sequence[Row[Any, Any, Any]]:
    """The department's records ``which`` picks: key, worker, fingerprint."""
    c = roster_records.c
    result = await conn.execute(
        select(c.record_key, c.worker_id, c.fingerprint).where((c.department == department) & which)
    )
    return result.all()


def kept_phones(before: dict[str, Any], after: dict[str, Any]) -> str | None:
    """A changed row's other phones (``other_phones_hash``). The cell holds one number
    now: the others it held go (a blank cell keeps them) — but the mobile the record held
    before and holds no more stays one of them. Phones change, and other departments'
    records may still list the old one: the department said it was this person's, so it
    stays evidence for the census rather than a link coming undone."""
    others = after["other_phones_hash"]
    if others is None and after["phone_hash"]:
        others = "" if before.get("other_phones_hash") else None
    old, new = before.get("phone_hash"), after["phone_hash"]
    if not (old and new and old != new and (before.get("phone_masked") or "").startswith("1")):
        return others
    kept = [d for d in (others or "").split(".") if d and d != f"m{old}"]
    return ".".join([*kept, f"m{old}"])


def _person_part(key: str) -> tuple[str, str, str]:
    """A ``name:`` key's name, birth date and sheet (roster_rows.record_key), whatever
    phone and unit it was made of."""
    key = key.split("#", 1)[0]  # a content-keyed namesake's own suffix
    body, _, sheet = key.partition("|sheet:")
    name, birth = [*body.split("|"), ""][:2]
    return name, birth, sheet


def _agree(key: str, other: str) -> bool:
    """Whether two ``name:`` keys give one phone or one unit: a record sent again changed
    its phone or its unit, not both — a namesake on another of the department's files (a
    district's list beside another's) gives neither."""
    mine, theirs = (
        k.split("#", 1)[0].partition("|sheet:")[0].split("|")[2:4] for k in (key, other)
    )
    return any(a and a == b for a, b in zip(mine, theirs, strict=False))


class Unlisted:
    """The department's records keyed by name (no 记录编号, no ID number) that the file
    being imported does not list, by name and sheet: read once per file, when first needed
    (one range read of the key's index, not a query per row)."""

    def __init__(self, listed: set[str]) -> None:
        self.listed = listed
        self.by_name: dict[tuple[str, str], list[tuple[str, str, str, str]]] | None = None

    async def load(
        self, conn: AsyncConnection, department: str
    ) -> dict[tuple[str, str], list[tuple[str, str, str, str]]]:
        if self.by_name is None:
            self.by_name = {}
            name_keyed = (key_column >= "name:") & (key_column < "name;")
            for r in await _records(conn, department, name_keyed):
                if r.record_key not in self.listed:
                    name, birth, sheet = _person_part(r.record_key)
                    record = (r.record_key, birth, r.worker_id, r.fingerprint)
                    self.by_name.setdefault((name, sheet), []).append(record)
        return self.by_name


async def relist_records(
    conn: AsyncConnection, department: str, new_keys: Sequence[str], unlisted: Unlisted
) -> dict[str, tuple[str, str]]:
    """new record key → (worker_id, fingerprint), the record moved to that key: a row with
    neither 记录编号 nor ID number is keyed by its name, birth date, phone and unit, so a row
    sent again a year later with a new phone or unit has a new key. Where the department has
    exactly one record of that name (and birth date, or none given) that this file no
    longer lists, and it gives the row's phone or the row's unit, the row is that record
    again — its phone or unit changed — not a second record beside a stale one. Two such
    records, or two such rows, decide nothing."""
    name_keys = [k for k in new_keys if k.startswith("name:")]
    if not name_keys:
        return {}
    by_name = await unlisted.load(conn, department)
    found: dict[str, tuple[str, str, str, str]] = {}
    claims: dict[str, list[str]] = {}
    for key in name_keys:
        name, birth, sheet = _person_part(key)
        candidates = [
            c for c in by_name.get((name, sheet), []) if not (birth and c[1] and birth != c[1])
        ]
        if len(candidates) == 1 and _agree(key, candidates[0][0]):
            found[key] = candidates[0]
            claims.setdefault(candidates[0][0], []).append(key)
    moved: dict[str, tuple[str, str]] = {}
    for key, record in found.items():
        old_key, _, worker_id, fingerprint = record
        if len(claims[old_key]) > 1:  # an old record two new rows could be: neither is it
            continue
        await conn.execute(
            update(roster_records)
            .where((roster_records.c.department == department) & (key_column == old_key))
            .values(record_key=key)
        )
        by_name[_person_part(key)[::2]].remove(record)  # listed now, under its new key
        moved[key] = (worker_id, fingerprint)
    return moved
