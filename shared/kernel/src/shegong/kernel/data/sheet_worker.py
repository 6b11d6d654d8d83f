"""Opens one workbook in a child process, for :mod:`shegong.kernel.data.tabular`.

``python -m shegong.kernel.data.sheet_worker '<limits as JSON>'`` reads the file's bytes on
stdin and writes one pickled answer on stdout: ``("ok", each sheet's rows, the sheets'
names)``, ``("limit", name, message, message_zh)`` or ``("unreadable", reason)``. Every
sheet is read in this one process; ``max_rows`` and ``max_cells`` bound the sheets'
used areas together, and a workbook of more than ``max_sheets`` sheets is refused.
Before python-calamine sees the file:

1. the process's address space is capped (``RLIMIT_AS`` = ``memory_mb``): whatever the
   parser asks for beyond it fails here, in this process;
2. every zip member is inflated as a stream and counted — a member that is bigger than
   its directory entry says fails its CRC check, and the total is capped;
3. every sheet's XML is scanned with expat for the cells' positions (``<c r="…">``,
   ``<row r="…">``, or implied by order), and the used areas are checked against
   ``max_columns`` (a sheet's) and ``max_rows`` and ``max_cells`` (the sheets' together),
   stopping at the first cell over a limit. calamine allocates the used area densely, so
   this is what bounds its memory.

An old ``.xls`` (or ``.ods``) has no such scan: it is bounded by the ceiling, and its rows
and columns are checked after reading.
"""

from __future__ import annotations

import io
import json
import pickle
import posixpath
import re
import resource
import sys
import zipfile
from typing import Any
from xml.parsers import expat

_REF = re.compile(r"([A-Za-z]{1,3})(\d+)$")
_CHUNK = 1024 * 1024


class _Over(Exception):
    def __init__(self, limit: str, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.answer = ("limit", limit, message, message_zh)


class _Unreadable(Exception):
    pass


def _column(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def _attr(attrs: dict[str, str], name: str) -> str | None:
    for key, value in attrs.items():
        if _local(key) == name:
            return value
    return None


def _sheet_members(archive: zipfile.ZipFile) -> set[str]:
    """The members holding the workbook's sheets (as its relations name them) and every
    member under ``xl/worksheets/``: each one is scanned, wherever it is."""
    names = set(archive.namelist())
    found = {n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")}
    try:
        rids: set[str] = set()

        def on_workbook(name: str, attrs: dict[str, str]) -> None:
            if _local(name) == "sheet":
                rids.update(v for k, v in attrs.items() if k.endswith(":id"))

        parser = expat.ParserCreate()
        parser.StartElementHandler = on_workbook
        parser.Parse(archive.read("xl/workbook.xml"), True)

        def on_rels(name: str, attrs: dict[str, str]) -> None:
            if _local(name) == "Relationship" and attrs.get("Id") in rids:
                target = attrs.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else "xl/" + target
                found.add(posixpath.normpath(path))

        parser = expat.ParserCreate()
        parser.StartElementHandler = on_rels
        parser.Parse(archive.read("xl/_rels/workbook.xml.rels"), True)
    except Exception:  # a workbook without the usual parts: its worksheets are scanned
        pass
    return found & names


class _Budget:
    """What the workbook's sheets use together: the rows and cells of the used areas of
    the sheets done (``max_rows`` and ``max_cells`` bound the whole workbook)."""

    def __init__(self) -> None:
        self.rows = 0
        self.cells = 0


class _Extent:
    """The used area of a sheet, from its cells' positions, checked as it grows (with the
    sheets before it, ``budget``)."""

    def __init__(self, limits: dict[str, Any], budget: _Budget | None = None) -> None:
        self.limits = limits
        self.budget = budget or _Budget()
        self.row = 0
        self.col = 0
        self.max_row = 0
        self.max_col = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "row":
            r = _attr(attrs, "r")
            self.row = int(r) if r and r.isdigit() else self.row + 1
            self.col = 0
        elif tag == "c":
            ref = _attr(attrs, "r")
            m = _REF.match(ref) if ref else None
            if m:
                self.col, self.row = _column(m.group(1)), int(m.group(2))
            else:
                self.col += 1
            self._grow(max(self.row, 1), self.col)

    def done(self) -> None:
        """The sheet is scanned: its area counts against the workbook's."""
        self.budget.rows += self.max_row
        self.budget.cells += self.max_row * self.max_col

    def _grow(self, row: int, col: int) -> None:
        lim, before = self.limits, self.budget
        if row > lim["max_rows"]:
            raise _Over(
                "max_rows",
                f"the sheet uses row {row}, more than {lim['max_rows']} rows",
                f"工作表用到第 {row} 行，超过 {lim['max_rows']} 行",
            )
        if col > lim["max_columns"]:
            raise _Over(
                "max_columns",
                f"the sheet uses column {col}, more than {lim['max_columns']} columns",
                f"工作表用到第 {col} 列，超过 {lim['max_columns']} 列",
            )
        self.max_row, self.max_col = max(self.max_row, row), max(self.max_col, col)
        if self.max_row * self.max_col > lim["max_cells"]:
            raise _Over(
                "max_cells",
                f"the sheet's used area ({self.max_row} rows × {self.max_col} columns) is "
                f"more than {lim['max_cells']} cells",
                f"工作表使用区域（{self.max_row} 行 × {self.max_col} 列）超过 "
                f"{lim['max_cells']} 个单元格",
            )
        if before.rows + self.max_row > lim["max_rows"]:
            raise _Over(
                "max_rows",
                f"the workbook's sheets use {before.rows + self.max_row} rows together, "
                f"more than {lim['max_rows']}",
                f"工作簿各工作表共用到 {before.rows + self.max_row} 行，超过 {lim['max_rows']} 行",
            )
        if before.cells + self.max_row * self.max_col > lim["max_cells"]:
            total = before.cells + self.max_row * self.max_col
            raise _Over(
                "max_cells",
                f"the workbook's sheets use {total} cells together, more than {lim['max_cells']}",
                f"工作簿各工作表使用区域共 {total} 个单元格，超过 {lim['max_cells']} 个",
            )


def _scan_zip(data: bytes, limits: dict[str, Any]) -> None:
    """Inflate every member as a stream (real sizes, CRCs), scanning every sheet."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise _Unreadable(type(exc).__name__) from None
    with archive:
        sheets = _sheet_members(archive)
        budget = _Budget()
        total = 0
        for info in archive.infolist():
            parser = extent = None
            if info.filename in sheets:
                extent = _Extent(limits, budget)
                parser = expat.ParserCreate()
                parser.StartElementHandler = extent.start
            try:
                with archive.open(info) as member:
                    while chunk := member.read(_CHUNK):
                        total += len(chunk)
                        if total > limits["max_uncompressed"]:
                            mib = limits["max_uncompressed"] // (1024 * 1024)
                            raise _Over(
                                "max_uncompressed",
                                f"the workbook expands to more than {mib} MiB",
                                f"工作簿解压后超过 {mib} MiB",
                            )
                        if parser is not None:
                            parser.Parse(chunk, False)
                    if parser is not None:
                        parser.Parse(b"", True)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError) as exc:
                raise _Unreadable(f"{type(exc).__name__}: {info.filename}") from None
            except expat.ExpatError:
                raise _Unreadable(f"bad XML in {info.filename}") from None
            if extent is not None:
                extent.done()


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _fill_down(sheet: list[list[Any]], merged: list[Any]) -> None:
    """A cell merged down several rows (a person's 姓名 and 身份证号 over the rows of their
    certificates, a unit's name over its staff) holds its value on every row it covers,
    as the clerk sees it. Only merges down one column: a title, a group header or a note
    merged across columns stays in its first cell. Only cells of the grid calamine read."""
    for (top, left), (bottom, right) in merged:
        if bottom <= top or right != left or top >= len(sheet) or left >= len(sheet[top]):
            continue
        value = sheet[top][left]
        if _blank(value):
            continue
        for row in sheet[top + 1 : bottom + 1]:
            if left < len(row) and _blank(row[left]):
                row[left] = value


def _no_long_cell(number: int, row: list[Any], longest: int) -> None:
    """A cell longer than Excel lets one be (32,767 characters) is no clerk's: a 99 KB
    workbook whose one cell held 100 million characters went on to the service, whose
    thread then cleaned and checked it holding the GIL — ``/health`` waited 13.6 s."""
    for column, cell in enumerate(row, start=1):
        if type(cell) is str and len(cell) > longest:
            raise _Over(
                "max_cell_chars",
                f"row {number}, column {column}: a cell holds {len(cell)} characters, "
                f"more than {longest}",
                f"第 {number} 行第 {column} 列的单元格有 {len(cell)} 个字符，超过 {longest} 个",
            )


def _read(data: bytes, limits: dict[str, Any]) -> tuple[Any, ...]:
    """``("ok", [each sheet's non-blank rows], [the sheets' names])``: a chart sheet (or
    any sheet that is not a worksheet) has no rows."""
    if data.startswith(b"PK\x03\x04"):
        _scan_zip(data, limits)
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(workbook.sheet_names)
        kinds = [m.typ for m in workbook.sheets_metadata]
    except Exception as exc:  # calamine raises its own error types for every failure
        raise _Unreadable(type(exc).__name__) from None
    most = limits.get("max_sheets", 50)
    if len(names) > most:
        raise _Over(
            "max_sheets",
            f"the workbook has {len(names)} sheets, more than {most}",
            f"工作簿有 {len(names)} 个工作表，超过 {most} 个",
        )
    budget = _Budget()
    sheets: list[list[tuple[int, list[Any]]]] = []
    for index, kind in enumerate(kinds):
        if kind != SheetTypeEnum.WorkSheet:
            sheets.append([])
            continue
        try:
            # skip_empty_area=False: rows start at A1, so the index is the clerk's row number.
            found = workbook.get_sheet_by_index(index)
            sheet = found.to_python(skip_empty_area=False)
            merged = found.merged_cell_ranges or []
        except Exception as exc:
            raise _Unreadable(type(exc).__name__) from None
        _fill_down(sheet, merged)
        extent = _Extent(limits, budget)
        rows = []
        longest = limits.get("max_cell_chars", 32_767)
        for number, row in enumerate(sheet, start=1):
            if all(_blank(cell) for cell in row):
                continue
            _no_long_cell(number, row, longest)
            last = max(i for i, cell in enumerate(row, start=1) if not _blank(cell))
            extent._grow(number, last)
            rows.append((number, row))
        extent.done()
        del sheet
        sheets.append(rows)
    return ("ok", sheets, names)


def main() -> None:
    limits = json.loads(sys.argv[1])
    ceiling = int(limits["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    data = sys.stdin.buffer.read()
    try:
        answer = _read(data, limits)
    except _Over as over:
        answer = over.answer
    except _Unreadable as err:
        answer = ("unreadable", str(err))
    sys.stdout.buffer.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
