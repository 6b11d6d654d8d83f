"""A headed sheet: find the header row among title lines, map headers to fields.

For the small department files with a fixed set of columns (the expert pool list …):
headers are matched as for rosters (spaces, ``*``, ``_``/``-``, case, bracket width and a
trailing bracketed note ignored), title lines above the header are skipped, a missing
required column or two columns meaning one field refuse the file as a whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shegong.kernel.tabular import Cell, TabularFileError, read_table
from shegong.registry.imports.roster import (
    _BRACKET_NOTE,
    _HEADER_SCAN,
    RosterFileError,
    _header_key,
    _text_or_empty,
)


@dataclass(frozen=True)
class Sheet:
    columns: dict[str, int]  # field -> column index
    written: dict[str, str]  # field -> the header as written
    ignored: tuple[str, ...]
    header_row: int
    rows: list[tuple[int, Sequence[Cell]]]

    def cell(self, cells: Sequence[Cell], name: str) -> Cell:
        index = self.columns.get(name)
        return cells[index] if index is not None and index < len(cells) else None


def read_sheet(
    data: bytes,
    filename: str,
    fields: Mapping[str, Sequence[str]],
    required: Sequence[str],
) -> Sheet:
    """``fields``: field -> accepted headers, the first being the Chinese label."""
    lookup = {
        _header_key(alias): name for name, aliases in fields.items() for alias in (name, *aliases)
    }
    label = {name: aliases[0] for name, aliases in fields.items()}

    def field_of(text: str) -> str | None:
        key = _header_key(text)
        return lookup.get(key) or lookup.get(_BRACKET_NOTE.sub("", key))

    try:
        table = read_table(data, filename)
        rows = list(table.rows)
    except TabularFileError as exc:
        raise RosterFileError(exc.message, exc.message_zh) from None
    header_at = next(
        (
            i
            for i, (_, cells) in enumerate(rows[:_HEADER_SCAN])
            if any(field_of(_text_or_empty(c)) == required[0] for c in cells)
        ),
        None,
    )
    if header_at is None:
        found = [t for t in (_text_or_empty(c) for c in rows[0][1]) if t] if rows else []
        raise RosterFileError(
            f"{filename}: no {label[required[0]]} ({required[0]}) column; headers found: "
            f"{', '.join(found) or 'none'}",
            f"文件“{filename}”缺少必填列“{label[required[0]]}”；"
            f"找到的列：{'、'.join(found) or '无'}",
        )
    header_row, header = rows[header_at]
    columns: dict[str, int] = {}
    written: dict[str, str] = {}
    ignored: list[str] = []
    for position, cell in enumerate(header):
        text = _text_or_empty(cell)
        if not text:
            continue
        name = field_of(text)
        if name is None:
            ignored.append(text)
        elif name in columns:
            raise RosterFileError(
                f"{filename}: columns “{written[name]}” and “{text}” both mean {name}; keep one",
                f"文件“{filename}”中“{written[name]}”与“{text}”是同一列（{label[name]}），请只保留一列",
            )
        else:
            columns[name], written[name] = position, text
    missing = [name for name in required if name not in columns]
    if missing:
        raise RosterFileError(
            f"{filename}: missing column(s) {', '.join(missing)}",
            f"文件“{filename}”缺少必填列“{'”“'.join(label[m] for m in missing)}”",
        )
    return Sheet(columns, written, tuple(ignored), header_row, rows[header_at + 1 :])
