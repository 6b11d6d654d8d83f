"""One sheet's header row → its columns (for :mod:`.headed`): where the header row is, which
column means which field (an exact header beats a last-resort reading, two columns meaning
one field refuse the file or are coalesced), and the required columns checked."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from shegong.kernel.data.sheets.cells import CellError, cell_text
from shegong.kernel.data.sheets.headers import HeaderLookup, header_key
from shegong.kernel.data.tabular import Cell, Table, TabularFileError

HEADER_SCAN = 10  # title lines tolerated above the header

Duplicates = Literal["refuse", "first", "coalesce"]
Rows = list[tuple[int, Sequence[Cell]]]


def header_text(cell: Cell) -> str:
    try:
        return cell_text(cell) or ""
    except CellError:
        return ""


# A column that numbers the printed lines: it changes with every export, and says nothing.
LINE_NUMBER_HEADERS = frozenset({"序号", "序", "行号", "顺序号", "no", "no."})


@dataclass
class SheetLayout:
    """One sheet's header: field → column, as written, its note; headers not known."""

    name: str | None  # the sheet's name (None: a CSV file)
    header_row: int
    width: int
    # the text of the lines above the header (2024年度…合格人员名单, 填报单位：…)
    title: tuple[str, ...] = ()
    columns: dict[str, int] = field(default_factory=dict)
    written: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    # field → further columns meaning it, best first (``duplicates="coalesce"`` only)
    alternates: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # the columns no field reads (年度, 备注), but the one numbering the lines (序号)
    unread: list[int] = field(default_factory=list)


def find_header(
    table: Table, is_header: Callable[[Sequence[Cell]], bool]
) -> tuple[Rows, int | None]:
    """The rows read up to the header row (at most :data:`HEADER_SCAN`), and its index."""
    head: Rows = []
    for item in table.rows:
        head.append(item)
        if len(head) >= HEADER_SCAN or is_header(item[1]):
            break
    return head, next((i for i, (_, cells) in enumerate(head) if is_header(cells)), None)


def sub_header(
    cells: Sequence[Cell], header: Sequence[Cell], lookup: HeaderLookup, marker: str
) -> bool:
    """Whether the row under the header is the second line of a two-line header (联系方式
    over 手机 and 座机): nothing under the marker's column, only short words without
    digits, and at least one of them a field's header. A cell merged down over both lines
    (序号, 姓名 written on each line) holds the header's own word: that is no value, and
    the marker's header merged down says the line is the header's (成绩 over 综合能力, 实务)."""
    texts = [header_text(c) if isinstance(c, str) else None for c in cells]
    if any(c is not None and not isinstance(c, str) for c in cells):
        return False
    above = [header_text(c) for c in header]
    at = next((i for i, c in enumerate(header) if lookup.field(header_text(c))[0] == marker), None)
    merged_down = at is not None and at < len(texts) and texts[at] == above[at]
    texts = [t if not t or i >= len(above) or t != above[i] else None for i, t in enumerate(texts)]
    if at is None or (at < len(texts) and texts[at]):
        return False
    words = [t for t in texts if t]
    if not words or any(len(t) > 16 or any(ch.isdigit() for ch in t) for t in words):
        return False
    if merged_down or any(lookup.field(t)[0] is not None for t in words):
        return True
    # saved as CSV, a heading merged across (成绩 over 综合能力, 实务) keeps its first cell
    # only: each word sits under a heading no field knows, or beside it under a blank
    spans = [
        i < len(above) and (not above[i] or lookup.field(above[i])[0] is None)
        for i, t in enumerate(texts)
        if t
    ]
    under_blank = any(t and (i >= len(above) or not above[i]) for i, t in enumerate(texts))
    return all(spans) and under_blank


def with_sub_header(header: Sequence[Cell], below: Sequence[Cell]) -> list[Cell]:
    """The header with the second line's words where they name a column: under a merged
    heading (联系方式 over 手机, 座机) each column goes by its own word."""
    width = max(len(header), len(below))
    merged: list[Cell] = list(header) + [None] * (width - len(header))
    for i, cell in enumerate(below):
        if header_text(cell):
            merged[i] = cell
    return merged


def lay_out(
    header: Sequence[Cell],
    layout: SheetLayout,
    lookup: HeaderLookup,
    *,
    filename: str,
    where: tuple[str, str],
    required: Sequence[str],
    one_of: Sequence[str],
    duplicates: Duplicates,
) -> SheetLayout:
    """``layout`` filled from ``header``; refused (``TabularFileError``) for two columns
    meaning one field (``duplicates="refuse"``) or a required column missing. ``where``:
    the sheet as messages name it (English, Chinese; empty for a file of one sheet)."""
    label = lookup.label
    columns, written, notes, ignored = layout.columns, layout.written, layout.notes, []
    ranked: dict[str, list[tuple[int, int, str, str | None]]] = {}
    for position, cell in enumerate(header):
        text = header_text(cell)
        if not text:
            continue
        name, rank, note = lookup.ranked(text)
        if name is None:
            ignored.append(text)
            if header_key(text) not in LINE_NUMBER_HEADERS:
                layout.unread.append(position)
            continue
        if name in columns and duplicates == "refuse":
            loose = lookup.last_rank[name]
            (kept_rank, _, kept_text, _), *_ = ranked[name]
            if rank >= loose:  # a last-resort reading never refuses the file
                ignored.append(text)
                continue
            if kept_rank >= loose:  # the exact header wins over a last-resort one
                ignored.append(kept_text)
                ranked[name] = []
                del columns[name], written[name]
                notes.pop(name, None)
        ranked.setdefault(name, []).append((rank, position, text, note))
        if name in columns:
            if duplicates != "refuse":
                continue
            raise TabularFileError(
                f"{filename}{where[0]}: columns “{written[name]}” and “{text}” both mean "
                f"{name}; keep one",
                f"文件“{filename}”{where[1]}中“{written[name]}”与“{text}”是同一列"
                f"（{label[name]}），请只保留一列",
            )
        columns[name], written[name] = position, text
        if note:
            notes[name] = note
    if duplicates == "coalesce":
        for name, candidates in ranked.items():
            if len(candidates) > 1:
                candidates.sort()
                _, columns[name], written[name], best_note = candidates[0]
                notes.pop(name, None)
                if best_note:
                    notes[name] = best_note
                layout.alternates[name] = tuple(at for _, at, _, _ in candidates[1:])
    missing = [f"{m} ({label[m]})" for m in required if m not in columns]
    missing_zh = [f"“{label[m]}”" for m in required if m not in columns]
    if one_of and not any(m in columns for m in one_of):
        missing.append(" or ".join(f"{m} ({label[m]})" for m in one_of))
        missing_zh.append("或".join(f"“{label[m]}”" for m in one_of))
    if missing:
        raise TabularFileError(
            f"{filename}{where[0]}: missing column(s) {', '.join(missing)}",
            f"文件“{filename}”{where[1]}缺少必填列{'、'.join(missing_zh)}",
        )
    layout.ignored = ignored
    return layout
