"""A headed table: the header row found among title lines, bilingual headers mapped to
fields, and each bad cell reported with its row, field and reason in both languages.

An importer is a field list — ``{field: (中文表头, other aliases …)}``, the first alias
being the Chinese label its messages use — plus its own rules for the values.

* **The header row** is the first of the first 10 non-blank rows that has the
  ``marker`` field's column; title lines above it (定西市社会工作人才花名册) are skipped.
  A workbook whose first sheet has no such row (a 填表说明 sheet in front) is read from
  its first sheet that has one (:attr:`HeadedSheet.sheet` names it).
* **Headers match** in Chinese as departments write them or by the English field name,
  ignoring spaces (full-width too), ``*`` (required markers), ``_``/``-``/``:``, case,
  bracket width, and a trailing bracketed note (出生日期（yyyy-mm-dd）; the note is kept
  in :attr:`HeadedSheet.notes`, e.g. a unit 万). Failing that, as a last resort: without
  a leading qualifier (所属县（市、区）, 所在社区, 现工作单位, 本人手机), and a compound header
  by its parts when they name one field and nothing else does (手机/电话, 工作单位及职务,
  镇（街道）, 村（居）委会) — unless a part names someone else (联系人/电话); and the importer's
  :class:`~.headers.Suffix` rules: a role or a kind before the field's word (网格员姓名,
  医疗机构名称, 教职工编号), never a unit not the person's own (发证机构) — :mod:`.headers`.
  A column found so never refuses the file for meaning a field another column already
  means: the exact header wins. Unknown headers are ignored and listed.
* **The file is refused** (:class:`~shegong.kernel.data.tabular.TabularFileError`, the one
  refusal type every importer raises) when it cannot be read, has no header row, lacks a
  required column, or has two columns meaning one field — unless the importer says
  ``duplicates="first"`` (the first column counts) or ``"coalesce"``: rosters often carry
  手机号码 *and* 联系电话, or 工作单位 *and* 所在单位; the column whose header comes first
  in the field's alias list is read, and where its cell is blank the next one's
  (:meth:`HeadedSheet.coalesced`).
* **Row numbers** are the spreadsheet's, blank rows counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Literal

from shegong.kernel.data.redact import redact_numbers
from shegong.kernel.data.sheets.cells import CellError, cell_text, preview
from shegong.kernel.data.sheets.headers import (
    Fields,
    HeaderLookup,
    Suffix,
    Suffixes,
    header_key,
)
from shegong.kernel.data.tabular import Cell, Table, TabularFileError, read_table

__all__ = [
    "HEADER_SCAN",
    "HeadedSheet",
    "RowRejection",
    "Suffix",
    "header_key",
    "read_headed",
    "warning",
]

HEADER_SCAN = 10  # title lines tolerated above the header
MAX_SHEETS = 10  # a workbook's sheets looked at for the header row


def header_text(cell: Cell) -> str:
    try:
        return cell_text(cell) or ""
    except CellError:
        return ""


@dataclass(frozen=True, slots=True)
class RowRejection:
    """One bad field of a row, as an import report lists it. ``value_preview`` is short
    and never a whole ID number or phone (:func:`~.cells.preview`)."""

    row_number: int
    field: str
    value_preview: str | None
    reason: str
    reason_zh: str

    def report(self) -> dict[str, Any]:
        """No whole ID number or phone, whichever column it was written in."""
        return {
            "row": self.row_number,
            "field": self.field,
            "value": redact_numbers(self.value_preview),
            "reason": redact_numbers(self.reason),
            "reason_zh": redact_numbers(self.reason_zh),
        }


def warning(field: str, label_zh: str, reason: str, reason_zh: str) -> str:
    """A kept row's note about one field: ``"field: reason / 标签：原因"``, long numbers cut."""
    text = f"{field}: {reason} / {label_zh}：{reason_zh}"
    return redact_numbers(text) or text


@dataclass
class HeadedSheet:
    """A sheet whose header row is known: ``rows`` yields the data rows once."""

    filename: str
    encoding: str | None
    label: dict[str, str]  # field → its Chinese label
    columns: dict[str, int]  # field → column index
    written: dict[str, str]  # field → the header as written in the file
    notes: dict[str, str]  # field → the bracketed note its header ended with
    ignored: tuple[str, ...]
    header_row: int
    width: int
    _rows: Iterator[tuple[int, Sequence[Cell]]]
    # field → further columns meaning it, best first (``duplicates="coalesce"`` only)
    alternates: dict[str, tuple[int, ...]] = field(default_factory=dict)
    sheet: str | None = None  # the workbook's sheet read, when it was not the first

    @property
    def rows(self) -> Iterator[tuple[int, Sequence[Cell]]]:
        """The data rows; a file failing while read is refused (``TabularFileError``)."""
        return self._rows

    def coalesced(self, row: list[Cell]) -> list[Cell]:
        """``row`` (padded to the width) with each field's blank cell filled from the
        next column meaning the same field, if that one has a value."""
        for name, others in self.alternates.items():
            at = self.columns[name]
            if _blank(row[at]):
                for other in others:
                    if other < len(row) and not _blank(row[other]):
                        row[at] = row[other]
                        break
        return row

    def cell(self, cells: Sequence[Cell], name: str) -> Cell:
        index = self.columns.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    def rejection(self, number: int, name: str, cell: Cell, err: CellError) -> RowRejection:
        """``err`` about field ``name`` of row ``number``: "field: reason" / "标签：原因"."""
        return RowRejection(
            number,
            name,
            preview(name, cell),
            f"{name}: {err.reason}",
            f"{self.label[name]}：{err.reason_zh}",
        )

    def warning(self, name: str, reason: str, reason_zh: str) -> str:
        return warning(name, self.label[name], reason, reason_zh)


def read_headed(
    data: bytes,
    filename: str,
    fields: Fields,
    *,
    marker: str,
    required: Sequence[str] = (),
    one_of: Sequence[str] = (),
    duplicates: Literal["refuse", "first", "coalesce"] = "refuse",
    suffixes: Suffixes | None = None,
) -> HeadedSheet:
    """Open ``data`` and find its header row (the first with ``marker``'s column).

    ``required`` columns must all be there, and one of ``one_of`` if given.
    ``suffixes`` lets a field also match any header ending with a word (``{"name":
    "姓名"}``: 网格员姓名), unless the header names someone else (联系人姓名, 监护人姓名);
    a :class:`Suffix` also constrains the head before the word.
    Raises :class:`TabularFileError` for a file refused as a whole."""
    lookup = HeaderLookup(fields, suffixes)
    label = lookup.label
    table = read_table(data, filename)

    def is_header(cells: Sequence[Cell]) -> bool:
        return any(isinstance(c, str) and lookup.field(c)[0] == marker for c in cells)

    head, header_at = _find_header(table, is_header)
    first_head = head
    sheet_read: str | None = None
    for index in range(1, min(len(table.sheets), MAX_SHEETS)) if header_at is None else ():
        other = read_table(data, filename, sheet=index)
        head, header_at = _find_header(other, is_header)
        if header_at is not None:
            table, sheet_read = other, table.sheets[index]
            break
    if header_at is None:
        found = [h for h in (header_text(c) for c in first_head[0][1]) if h] if first_head else []
        sheets = f" (sheets: {', '.join(table.sheets)})" if len(table.sheets) > 1 else ""
        sheets_zh = f"（工作表：{'、'.join(table.sheets)}）" if len(table.sheets) > 1 else ""
        raise TabularFileError(
            f"{filename}: no {label[marker]} ({marker}) column{sheets}; headers found: "
            f"{', '.join(found) or 'none'}",
            f"文件“{filename}”缺少必填列“{label[marker]}”{sheets_zh}；"
            f"找到的列：{'、'.join(found) or '无'}",
        )
    header_row, header = head[header_at]
    rows: Iterator[tuple[int, Sequence[Cell]]] = chain(head[header_at + 1 :], table.rows)
    below = next(rows, None)
    if below is not None and _sub_header(below[1], header, lookup, marker):
        header = _with_sub_header(header, below[1])
    elif below is not None:
        rows = chain([below], rows)
    columns: dict[str, int] = {}
    written: dict[str, str] = {}
    notes: dict[str, str] = {}
    ignored: list[str] = []
    ranked: dict[str, list[tuple[int, int, str, str | None]]] = {}
    for position, cell in enumerate(header):
        text = header_text(cell)
        if not text:
            continue
        name, rank, note = lookup.ranked(text)
        if name is None:
            ignored.append(text)
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
                f"{filename}: columns “{written[name]}” and “{text}” both mean {name}; keep one",
                f"文件“{filename}”中“{written[name]}”与“{text}”是同一列（{label[name]}），"
                "请只保留一列",
            )
        else:
            columns[name], written[name] = position, text
            if note:
                notes[name] = note
    alternates: dict[str, tuple[int, ...]] = {}
    if duplicates == "coalesce":
        for name, candidates in ranked.items():
            if len(candidates) > 1:
                candidates.sort()
                _, columns[name], written[name], best_note = candidates[0]
                notes.pop(name, None)
                if best_note:
                    notes[name] = best_note
                alternates[name] = tuple(at for _, at, _, _ in candidates[1:])
    missing = [f"{m} ({label[m]})" for m in required if m not in columns]
    missing_zh = [f"“{label[m]}”" for m in required if m not in columns]
    if one_of and not any(m in columns for m in one_of):
        missing.append(" or ".join(f"{m} ({label[m]})" for m in one_of))
        missing_zh.append("或".join(f"“{label[m]}”" for m in one_of))
    if missing:
        raise TabularFileError(
            f"{filename}: missing column(s) {', '.join(missing)}",
            f"文件“{filename}”缺少必填列{'、'.join(missing_zh)}",
        )
    return HeadedSheet(
        filename=filename,
        encoding=table.encoding,
        label=label,
        columns=columns,
        written=written,
        notes=notes,
        ignored=tuple(ignored),
        header_row=header_row,
        width=len(header),
        _rows=rows,
        alternates=alternates,
        sheet=sheet_read,
    )


def _sub_header(
    cells: Sequence[Cell], header: Sequence[Cell], lookup: HeaderLookup, marker: str
) -> bool:
    """Whether the row under the header is the second line of a two-line header (联系方式
    over 手机 and 座机): nothing under the marker's column, only short words without
    digits, and at least one of them a field's header."""
    texts = [header_text(c) if isinstance(c, str) else None for c in cells]
    if any(c is not None and not isinstance(c, str) for c in cells):
        return False
    at = next((i for i, c in enumerate(header) if lookup.field(header_text(c))[0] == marker), None)
    if at is None or (at < len(texts) and texts[at]):
        return False
    words = [t for t in texts if t]
    if not words or any(len(t) > 16 or any(ch.isdigit() for ch in t) for t in words):
        return False
    return any(lookup.field(t)[0] is not None for t in words)


def _with_sub_header(header: Sequence[Cell], below: Sequence[Cell]) -> list[Cell]:
    """The header with the second line's words where they name a column: under a merged
    heading (联系方式 over 手机, 座机) each column goes by its own word."""
    width = max(len(header), len(below))
    merged: list[Cell] = list(header) + [None] * (width - len(header))
    for i, cell in enumerate(below):
        if header_text(cell):
            merged[i] = cell
    return merged


def _find_header(
    table: Table, is_header: Callable[[Sequence[Cell]], bool]
) -> tuple[list[tuple[int, Sequence[Cell]]], int | None]:
    """The rows read up to the header row (at most :data:`HEADER_SCAN`), and its index."""
    head: list[tuple[int, Sequence[Cell]]] = []
    for item in table.rows:
        head.append(item)
        if len(head) >= HEADER_SCAN or is_header(item[1]):
            break
    return head, next((i for i, (_, cells) in enumerate(head) if is_header(cells)), None)


def _blank(cell: Cell) -> bool:
    """Blank as every importer reads a cell: empty, or a placeholder (无, -, /)."""
    try:
        return cell_text(cell) is None
    except CellError:
        return False
