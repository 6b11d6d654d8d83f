"""A roster row's record key (which record of the department it is) and the fingerprint of
its content (a row sent again unchanged is recognised), and the warning on a row kept apart
under a key another row took."""

from __future__ import annotations

import dataclasses
import hashlib

from shegong.kernel.data.identity import ResidentId
from shegong.registry.imports.roster import RosterRow

# What a row's content is, for telling a re-sent unchanged row from a changed one.
# Where the row is (its number, its sheet) is not its content.
_FINGERPRINTED = tuple(
    f.name
    for f in dataclasses.fields(RosterRow)
    if f.name not in ("row_number", "warnings", "sheet", "unread")
)


def record_key(row: RosterRow, sheet: str | None = None) -> str:
    """The department's key of the row's record: its 记录编号, else its ID number, else
    what the row says of the person — and, in a workbook of more than one sheet read, its
    sheet, or ``sheet``, the one it repeats (roster_sheets; 双清区's 张三 is not 大祥区's)."""
    if row.record_id:
        return f"record:{row.record_id}"
    if row.id_number:
        return f"id:{row.id_number.number}"
    key = f"name:{row.name}|{row.birth_date or ''}|{row.phone or ''}|{row.organization or ''}"
    return key if row.sheet is None else f"{key}|sheet:{sheet or row.sheet}"


# What a row's record key was made of (roster_rows.record_key), for the clerk: a file
# without 记录编号 keys its rows by the ID number, or by name, birth date, phone and unit.
_KEYED_BY = {
    "record": ("record_id", "key", "记录编号"),
    "id": ("id_number", "ID number (no 记录编号 column)", "身份证号（无记录编号列）"),
    "name": ("name", "name, birth date, phone and organisation", "姓名、出生日期、电话和单位"),
}


def kept_apart(key: str, first: str, first_zh: str) -> str:
    """The warning on a row kept as its own record under a key another row took."""
    kind = key.split(":", 1)[0]
    field, what, what_zh = _KEYED_BY[kind]
    # One ID number is one person; one 记录编号 may be two (sheets numbered apart).
    once, once_zh = (
        ("the census decides whether it is the same person", "是否同一人由人员库比对")
        if kind == "record"
        else ("the census counts the person once", "人员库按一人统计")
    )
    return (
        f"{field}: same {what} as {first} with other content; kept as its own record ({once})"
        f" / {what_zh}：与{first_zh}相同但内容不同，作为单独记录保留（{once_zh}）"
    )


def content_fingerprint(row: RosterRow) -> str:
    parts = []
    for name in _FINGERPRINTED:
        value = getattr(row, name)
        if isinstance(value, ResidentId):  # its repr is masked; the number is the content
            value = value.number
        parts.append(f"{name}={value!r}")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
