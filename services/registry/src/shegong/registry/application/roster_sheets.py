"""A workbook's sheets that repeat one another (一街道一表, then a 汇总 of them all).

A row with neither 记录编号 nor ID number is keyed by what it says of the person and by
its sheet (roster_rows.record_key): two 张三 of 双清区 and 大祥区 with nothing else said
are two records. But a sheet that holds, word for word, at least half the rows of another
sheet is a copy of it — the 汇总 sheet an office adds after one sheet per street, or the
street sheets cut from it — and such a row is the other sheet's row, counted once. Which
sheet repeats which is read from the rows themselves, not from the sheet's name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from shegong.registry.application.roster_keys import content_fingerprint
from shegong.registry.imports.roster import RosterRow


def _content(row: RosterRow) -> str:
    """All the row says (the fields and what no field reads), as the import compares it."""
    return content_fingerprint(row) + row.unread


def repeated_rows(rows: Sequence[RosterRow]) -> dict[tuple[str, int], str]:
    """(sheet, row number) of each row keyed by its content whose sheet repeats another
    sheet holding the same row → that other sheet (the first in the file's order).

    Sheet S repeats sheet T when S is the larger (or, as large, the later) and at least
    half of T's rows — two at the least — are in S word for word."""
    by_sheet: dict[str, list[RosterRow]] = {}
    for row in rows:
        if row.sheet is not None:
            by_sheet.setdefault(row.sheet, []).append(row)
    if len(by_sheet) < 2:
        return {}
    contents = {sheet: Counter(map(_content, sheet_rows)) for sheet, sheet_rows in by_sheet.items()}
    order = {sheet: i for i, sheet in enumerate(by_sheet)}
    size = {sheet: (len(sheet_rows), order[sheet]) for sheet, sheet_rows in by_sheet.items()}
    repeated: dict[tuple[str, int], str] = {}
    for big in by_sheet:
        first: dict[str, str] = {}  # a content → the first smaller sheet it repeats it from
        for small in by_sheet:
            if size[small] >= size[big]:
                continue
            held = contents[big]
            shared = sum(min(n, held[c]) for c, n in contents[small].items() if c in held)
            if shared >= 2 and 2 * shared >= len(by_sheet[small]):
                for c in contents[small]:
                    first.setdefault(c, small)
        if not first:
            continue
        for row in by_sheet[big]:
            other = first.get(_content(row))
            if other is not None and not row.record_id and not row.id_number:
                repeated[(big, row.row_number)] = other
    return repeated
