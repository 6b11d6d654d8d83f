"""Reading a spreadsheet a department sends: CSV (any encoding Excel writes) or a workbook.

Shared by every service that imports department files (rosters, sign-in sheets, exam
results, needs surveys).

The output is rows of cells with the row number the clerk sees in the spreadsheet
(1-based, blank rows counted but not returned). Cells are ``str`` for CSV; for a workbook
they are what python-calamine gives: ``str``, ``float``, ``int``, ``bool``, ``date``,
``datetime``, ``time``, ``timedelta`` — nothing is ever evaluated (a formula cell yields
the value Excel cached when it saved the file, a text cell ``=1+1`` stays that text).

Encodings: UTF-8 (with or without BOM), GBK/GB18030 (Excel's "CSV" on a Chinese Windows),
UTF-16 with BOM (Excel's "Unicode text"). The format is decided by content, not by the
file name: a workbook renamed to ``.csv`` is still read as a workbook.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = ["Cell", "Table", "TabularFileError", "read_table"]

Cell = (
    str
    | float
    | int
    | bool
    | datetime.date
    | datetime.datetime
    | datetime.time
    | datetime.timedelta
    | None
)

_ZIP = b"PK\x03\x04"  # xlsx, xlsm, ods
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # xls, or an encrypted xlsx
_DELIMITERS = ",\t;"


class TabularFileError(ValueError):
    """The file as a whole cannot be read; ``message_zh`` is for the clerk."""

    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh


@dataclass(frozen=True)
class Table:
    """A sheet: ``rows`` yields ``(row_number, cells)`` for every non-blank row, once."""

    kind: Literal["csv", "workbook"]
    encoding: str | None
    delimiter: str | None
    rows: Iterator[tuple[int, Sequence[Cell]]]


def read_table(data: bytes, filename: str) -> Table:
    """Open ``data`` (the file's bytes; ``filename`` only for messages and hints)."""
    if not data.strip():
        raise TabularFileError(f"{filename} is empty", f"文件“{filename}”是空的")
    if data.startswith((_ZIP, _OLE)):
        return Table("workbook", None, None, _workbook_rows(data, filename))
    head = data[:512].lstrip().lower()
    if head.startswith((b"<html", b"<!doctype", b"<table", b"<?xml")):
        raise TabularFileError(
            f"{filename} is a web page or XML file saved with a spreadsheet name; "
            "open it in Excel and save it as .xlsx (Excel workbook)",
            f"文件“{filename}”实为网页或XML格式，请用Excel打开后另存为.xlsx（Excel工作簿）",
        )
    text, encoding = _decode(data, filename)
    delimiter = _sniff_delimiter(text)
    return Table("csv", encoding, delimiter, _csv_rows(text, delimiter, filename))


def _decode(data: bytes, filename: str) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                continue
    raise TabularFileError(
        f"{filename} is neither an Excel workbook nor a CSV text file in UTF-8 or GBK; "
        "save it from Excel as .xlsx or as CSV (UTF-8)",
        f"文件“{filename}”既不是Excel工作簿，也不是UTF-8或GBK编码的CSV文本；"
        "请用Excel另存为.xlsx或“CSV UTF-8（逗号分隔）”",
    )


def _sniff_delimiter(text: str) -> str:
    """The delimiter of the first line that has one (a title line may have none)."""
    for line in text[:65536].splitlines()[:10]:
        if any(d in line for d in _DELIMITERS):
            try:
                return csv.Sniffer().sniff(line, delimiters=_DELIMITERS).delimiter
            except csv.Error:
                return ","
    return ","


def _csv_rows(text: str, delimiter: str, filename: str) -> Iterator[tuple[int, Sequence[Cell]]]:
    # Row numbers count records, as Excel shows them, not physical lines (a quoted cell
    # may hold a line break).
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, row in enumerate(reader, start=1):
            if any(row) and any(cell.strip() for cell in row):
                yield number, row
    except csv.Error as exc:
        raise TabularFileError(
            f"{filename}: row {number + 1} cannot be read as CSV ({exc})",
            f"文件“{filename}”第{number + 1}行不是有效的CSV格式",
        ) from None


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _workbook_rows(data: bytes, filename: str) -> Iterator[tuple[int, Sequence[Cell]]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        # skip_empty_area=False: rows start at A1, so the index is the clerk's row number.
        sheet = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for every failure
        raise TabularFileError(
            f"{filename} cannot be opened as an Excel workbook ({type(exc).__name__}); "
            "is it password-protected or damaged? Save it again as .xlsx without a password",
            f"文件“{filename}”无法作为Excel工作簿打开：可能已加密或损坏，请取消密码后另存为.xlsx",
        ) from None
    return (
        (number, row)
        for number, row in enumerate(sheet, start=1)
        if not all(_blank(cell) for cell in row)
    )
