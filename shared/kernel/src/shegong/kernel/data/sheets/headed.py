"""A headed table: the header row found among title lines, bilingual headers mapped to
fields, and each bad cell reported with its row, field and reason in both languages.

An importer is a field list — ``{field: (中文表头, other aliases …)}``, the first alias
being the Chinese label its messages use — plus its own rules for the values.

* **The header row** is the first of the first 10 non-blank rows that has the
  ``marker`` field's column; title lines above it (定西市社会工作人才花名册) are skipped.
* **Every sheet of a workbook that has such a row is read** (a sheet per 区县 or 街道),
  each with its own columns (their order, and the columns there, may differ), the rows
  in the sheets' order: :attr:`HeadedSheet.sheets`. The sheets without one (a 填表说明
  in front, a 汇总 of counts behind, a chart) are skipped and listed
  (:attr:`HeadedSheet.skipped_sheets`). When more than one sheet is read, a row's
  sheet is :attr:`HeadedSheet.row_sheet` and every :class:`RowRejection` names it.
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
  refusal type every importer raises) when it cannot be read, has no header row, or a
  sheet read lacks a required column or has two columns meaning one field — unless the importer says
  ``duplicates="first"`` (the first column counts) or ``"coalesce"``: rosters often carry
  手机号码 *and* 联系电话, or 工作单位 *and* 所在单位; the column whose header comes first
  in the field's alias list is read, and where its cell is blank the next one's
  (:meth:`HeadedSheet.coalesced`).
* **Lines of the form are not rows** (:mod:`.form_lines`): a total under a sheet's rows
  (合计 / 小计 52人 in the 序号 column), who filled the form in (填表人：), the seal, and the
  header again at the top of a printed page; :attr:`HeadedSheet.form_lines` lists them.
  A 同上 cell is the value above it (:func:`~.form_lines.ditto_rows`).
* **Row numbers** are the spreadsheet's, blank rows counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from shegong.kernel.data.redact import redact_numbers
from shegong.kernel.data.sheets.cells import CellError, cell_text, preview
from shegong.kernel.data.sheets.form_lines import FormLine, ditto_rows, form_rows
from shegong.kernel.data.sheets.headers import (
    Fields,
    HeaderLookup,
    Suffix,
    Suffixes,
    header_key,
)
from shegong.kernel.data.sheets.layout import (
    HEADER_SCAN,
    Duplicates,
    Rows,
    SheetLayout,
    find_header,
    header_text,
    lay_out,
    sub_header,
    with_sub_header,
)
from shegong.kernel.data.tabular import Cell, TabularFileError, read_tables

__all__ = [
    "HEADER_SCAN",
    "HeadedSheet",
    "RowRejection",
    "SheetLayout",
    "Suffix",
    "header_key",
    "read_headed",
    "warning",
]


@dataclass(frozen=True, slots=True)
class RowRejection:
    """One bad field of a row, as an import report lists it. ``value_preview`` is short
    and never a whole ID number or phone (:func:`~.cells.preview`). ``sheet`` names the
    row's sheet when a workbook had more than one sheet read."""

    row_number: int
    field: str
    value_preview: str | None
    reason: str
    reason_zh: str
    sheet: str | None = None
    # a line of the form (a total, 填表人：, the header again) rather than a person's row:
    # an import reports it as a line skipped, not a row refused
    form_line: bool = False

    def report(self) -> dict[str, Any]:
        """No whole ID number or phone, whichever column it was written in."""
        return {
            **({"sheet": self.sheet} if self.sheet is not None else {}),
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
    """The sheets whose header row is known: ``rows`` yields the data rows once, every
    sheet's in the columns of ``columns`` (one layout for all the sheets read)."""

    filename: str
    encoding: str | None
    label: dict[str, str]  # field → its Chinese label
    columns: dict[str, int]  # field → column index
    written: dict[str, str]  # field → the header as written in the file (its first sheet)
    notes: dict[str, str]  # field → the bracketed note its header ended with (first sheet)
    ignored: tuple[str, ...]
    header_row: int  # of the first sheet read
    width: int
    _rows: Iterator[tuple[int, Sequence[Cell]]]
    # field → further columns meaning it, best first (``duplicates="coalesce"`` only)
    alternates: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # whether a cell holds a value its field can read (``coalesced``): the reader's to set
    readable: Callable[[str, Cell], bool] = lambda _field, _cell: True
    # fields of several values (a person's numbers: 手机号码 beside 联系电话) whose further
    # columns add theirs to the first's (``coalesced``): the reader's to set
    joined: frozenset[str] = frozenset()
    sheet: str | None = None  # the first sheet read, when it was not the workbook's first
    sheets: tuple[str, ...] = ()  # the workbook's sheets read, in order
    skipped_sheets: tuple[str, ...] = ()  # the workbook's sheets without a header row
    # the sheet of the row ``rows`` yielded last (its own headers, notes, header row)
    part: SheetLayout | None = None
    # the lines of the form left out of ``rows`` so far (totals, 填表人, the header again)
    form_lines: list[FormLine] = field(default_factory=list)

    @property
    def rows(self) -> Iterator[tuple[int, Sequence[Cell]]]:
        """The data rows; a file failing while read is refused (``TabularFileError``)."""
        return self._rows

    def lines(self) -> Iterator[tuple[int, Sequence[Cell]] | FormLine]:
        """The data rows, and in their place the form's own lines left out of them (a
        total, 填表人, the header again), for an importer that reports them."""
        told = 0
        for row in self._rows:
            if len(self.form_lines) > told:
                yield from self.form_lines[told:]
                told = len(self.form_lines)
            yield row
        yield from self.form_lines[told:]

    @property
    def row_sheet(self) -> str | None:
        """The sheet of the row last yielded, when more than one sheet is read."""
        return self.part.name if self.part is not None and len(self.sheets) > 1 else None

    def unread_text(self, cells: Sequence[Cell]) -> str:
        """What the row says in the columns no field reads (年度, 备注; not 序号), for an
        importer telling a row written twice from two that differ only there; "" when none
        (or the sheets were read into one layout)."""
        if self.part is None or len(self.sheets) > 1 or not self.part.unread:
            return ""
        said = [cells[i] if i < len(cells) else None for i in self.part.unread]
        texts = ["" if cell is None else str(cell).strip() for cell in said]
        return "\x1f".join(texts) if any(texts) else ""

    def coalesced(self, row: list[Cell]) -> list[Cell]:
        """``row`` (padded to the width) with each field's blank cell filled from the
        next column meaning the same field (a field of several values, ``joined``: its
        columns' values joined), if that one has a value — and a cell its field
        cannot read (``readable``) from the next that it can: 人社's certificate list heads
        社会工作者职业水平证书 证书名称 beside the level, 级别, on every row."""
        readable = self.readable
        for name, others in self.alternates.items():
            at = self.columns[name]
            if name in self.joined and not _blank(row[at]):
                # 手机号码 13900000001, 联系电话 13500000002: both the person's numbers
                more = [_text(row[o]) for o in others if o < len(row) and not _blank(row[o])]
                if more:
                    row[at] = "、".join(dict.fromkeys((_text(row[at]), *more)))
                continue
            if _blank(row[at]) or not readable(name, row[at]):
                for other in others:
                    cell = row[other] if other < len(row) else None
                    if not _blank(cell) and (_blank(row[at]) or readable(name, cell)):
                        row[at] = cell
                        break
        return row

    def cell(self, cells: Sequence[Cell], name: str) -> Cell:
        index = self.columns.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    def rejection(self, number: int, name: str, cell: Cell, err: CellError) -> RowRejection:
        """``err`` about field ``name`` of row ``number`` (of :attr:`row_sheet`):
        "field: reason" / "标签：原因"."""
        return RowRejection(
            number,
            name,
            preview(name, cell),
            f"{name}: {err.reason}",
            f"{self.label[name]}：{err.reason_zh}",
            self.row_sheet,
        )

    def warning(self, name: str, reason: str, reason_zh: str) -> str:
        return warning(name, self.label[name], reason, reason_zh)

    def form_rejection(self, name: str, line: FormLine) -> RowRejection:
        """A line of the form (:meth:`lines`) refused as no value of field ``name``."""
        reason, reason_zh = line.reason
        return RowRejection(
            line.row_number,
            name,
            line.text,
            f"{name}: {reason}",
            f"{self.label[name]}：{reason_zh}",
            line.sheet,
            form_line=True,
        )


def read_headed(
    data: bytes,
    filename: str,
    fields: Fields,
    *,
    marker: str,
    required: Sequence[str] = (),
    one_of: Sequence[str] = (),
    duplicates: Duplicates = "refuse",
    suffixes: Suffixes | None = None,
) -> HeadedSheet:
    """Open ``data`` and find each sheet's header row (the first with ``marker``'s column).

    ``required`` columns must all be there, and one of ``one_of`` if given.
    ``suffixes`` lets a field also match any header ending with a word (``{"name":
    "姓名"}``: 网格员姓名), unless the header names someone else (联系人姓名, 监护人姓名);
    a :class:`Suffix` also constrains the head before the word.
    Raises :class:`TabularFileError` for a file refused as a whole."""
    lookup = HeaderLookup(fields, suffixes)
    label = lookup.label
    tables = read_tables(data, filename)
    names = tables[0].sheets

    def is_header(cells: Sequence[Cell]) -> bool:
        return any(isinstance(c, str) and lookup.field(c)[0] == marker for c in cells)

    parts: list[tuple[SheetLayout, Iterator[tuple[int, Sequence[Cell]]]]] = []
    skipped: list[str] = []
    form_lines: list[FormLine] = []
    first_head: Rows = []
    for table in tables:
        name = names[table.sheet] if table.sheet < len(names) else None
        head, header_at = find_header(table, is_header)
        if header_at is None:
            first_head = first_head or head
            if name is not None:
                skipped.append(name)
            continue
        header_row, header = head[header_at]
        rows: Iterator[tuple[int, Sequence[Cell]]] = chain(head[header_at + 1 :], table.rows)
        below = next(rows, None)
        if below is not None and sub_header(below[1], header, lookup, marker):
            header = with_sub_header(header, below[1])
        elif below is not None:
            rows = chain([below], rows)
        where = (f" (sheet {name})", f"工作表“{name}”") if len(names) > 1 else ("", "")
        layout = lay_out(
            header,
            SheetLayout(name, header_row, len(header), _title(head[:header_at])),
            lookup,
            filename=filename,
            where=where,
            required=required,
            one_of=one_of,
            duplicates=duplicates,
        )
        sheet = name if len(names) > 1 else None
        rows = ditto_rows(form_rows(rows, header, layout.columns[marker], sheet, form_lines))
        parts.append((layout, rows))
    if not parts:
        # quoted as a report quotes a cell: a "header" may be a row of data (no header row)
        # the widest of the first lines: the header row a clerk meant, not a title above it
        widest = max(first_head, key=lambda r: sum(1 for c in r[1] if header_text(c)), default=None)
        heads = (header_text(c) for c in widest[1]) if widest else iter(())
        found = [q for q in (preview("header", h) for h in heads if h) if q]
        sheets = f" (sheets: {', '.join(names)})" if len(names) > 1 else ""
        sheets_zh = f"（工作表：{'、'.join(names)}）" if len(names) > 1 else ""
        raise TabularFileError(
            f"{filename}: no {label[marker]} ({marker}) column{sheets}; headers found: "
            f"{', '.join(found) or 'none'}",
            f"文件“{filename}”缺少必填列“{label[marker]}”{sheets_zh}；"
            f"找到的列：{'、'.join(found) or '无'}",
        )
    first = parts[0][0]
    # headers are quoted as cells are: short, never a whole ID number or phone
    every = chain.from_iterable(layout.ignored for layout, _ in parts)
    ignored = dict.fromkeys(q for q in (preview("header", h) for h in every) if q)
    written: dict[str, str] = {}
    for layout, _ in parts:
        written |= {k: v for k, v in layout.written.items() if k not in written}
    headed = HeadedSheet(
        filename=filename,
        encoding=tables[0].encoding,
        label=label,
        columns=first.columns,
        written=written,
        notes=first.notes,
        ignored=tuple(ignored),
        header_row=first.header_row,
        width=first.width,
        _rows=parts[0][1],
        alternates=first.alternates,
        sheet=first.name if first.name is not None and first.name != names[0] else None,
        sheets=tuple(layout.name for layout, _ in parts if layout.name is not None),
        skipped_sheets=tuple(skipped),
        part=first,
        form_lines=form_lines,
    )
    if len(parts) > 1:
        headed.columns, headed.alternates, headed.width, takes = _one_layout(
            [layout for layout, _ in parts]
        )
        headed._rows = _every_sheet(headed, parts, takes)
    return headed


def _one_layout(
    layouts: list[SheetLayout],
) -> tuple[dict[str, int], dict[str, tuple[int, ...]], int, list[list[int]]]:
    """One layout for the sheets' rows: a column per field any sheet has (and per further
    column meaning it), and for each sheet where each of them is in its own rows (-1:
    not there)."""
    columns: dict[str, int] = {}
    for layout in layouts:
        for name in layout.columns:
            columns.setdefault(name, len(columns))
    width = len(columns)
    alternates: dict[str, list[int]] = {}
    for layout in layouts:
        for name, others in layout.alternates.items():
            slots = alternates.setdefault(name, [])
            while len(slots) < len(others):
                slots.append(width)
                width += 1
    takes = []
    for layout in layouts:
        take = [-1] * width
        for name, at in layout.columns.items():
            take[columns[name]] = at
        for name, others in layout.alternates.items():
            for slot, at in zip(alternates[name], others, strict=False):
                take[slot] = at
        takes.append(take)
    return columns, {name: tuple(slots) for name, slots in alternates.items()}, width, takes


def _every_sheet(
    headed: HeadedSheet,
    parts: list[tuple[SheetLayout, Iterator[tuple[int, Sequence[Cell]]]]],
    takes: list[list[int]],
) -> Iterator[tuple[int, Sequence[Cell]]]:
    """Each sheet's rows in the one layout, :attr:`HeadedSheet.part` naming the sheet."""
    for (layout, rows), take in zip(parts, takes, strict=True):
        headed.part = layout
        for number, cells in rows:
            n = len(cells)
            yield number, [cells[j] if 0 <= j < n else None for j in take]


def _title(lines: Rows) -> tuple[str, ...]:
    """The lines above a header row as text, each line's words joined by a space."""
    texts = (" ".join(t for t in (header_text(c) for c in cells) if t) for _, cells in lines)
    return tuple(t for t in texts if t)


def _text(cell: Cell) -> str:
    """A cell as text; a whole number Excel keeps as a float (13500000002.0) without ".0"."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _blank(cell: Cell) -> bool:
    """Blank as every importer reads a cell: empty, or a placeholder (无, -, /)."""
    try:
        return cell_text(cell) is None
    except CellError:
        return False
