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

**Hostile files** (a sent file is untrusted): every file is checked against declared
:class:`Limits` — bytes, the uncompressed size and number of a workbook's zip members,
rows, columns and cells — and a file over a limit is refused with a
:class:`FileLimitError` naming the limit, in English and Chinese. A workbook is opened in
a child process (``sheet_worker``) that first reads the zip members as they really are
(declared sizes and CRCs checked, decompression capped) and scans every sheet's cell
references with a streaming XML parser *before* python-calamine sees the file —
calamine allocates a dense grid for the used range, so one cell at XFD1048576 would ask
for half a terabyte — under a memory ceiling (``RLIMIT_AS``) and a time limit: a file
that still overwhelms the parser kills the child, never the service. Services open an
upload with :func:`open_upload`, which reads it bounded and parses it off the event loop.

A workbook's sheets are all read at once, in that one child process
(:func:`read_tables`): ``max_rows`` and ``max_cells`` bound them together, and a workbook
of more than ``max_sheets`` sheets is refused.
"""

from __future__ import annotations

import asyncio
import csv
import datetime
import io
import json
import os
import pickle
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, Literal

from shegong.kernel.data.controls import HIDDEN
from shegong.kernel.data.upload_guard import bounded_lines, sheet_name, upload_name

if TYPE_CHECKING:
    from starlette.datastructures import UploadFile

__all__ = [
    "Cell",
    "FileLimitError",
    "Limits",
    "LoadedFile",
    "Table",
    "TabularFileError",
    "open_upload",
    "read_table",
    "read_tables",
]

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
_SNIFF_CHARS = 1024  # of the line the delimiter is told from (_sniff_delimiter)


class TabularFileError(ValueError):
    """The file is refused as a whole — unreadable, over a limit, or (from
    :mod:`shegong.kernel.data.sheets`) without the columns an importer needs: the one
    refusal type of every import. ``message_zh`` is for the clerk."""

    status = 422

    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh


class FileLimitError(TabularFileError):
    """The file is over one of the declared :class:`Limits` (``limit`` names which)."""

    def __init__(self, limit: str, message: str, message_zh: str) -> None:
        super().__init__(f"{message} (limit {limit})", f"{message_zh}（限制 {limit}）")
        self.limit = limit
        if limit == "max_bytes":
            self.status = 413


@dataclass(frozen=True)
class Limits:
    """What a department's spreadsheet may be; each is an environment variable
    ``SHEET_<NAME>`` (e.g. ``SHEET_MAX_ROWS=200000``)."""

    max_bytes: int = 32 * 1024 * 1024  # the file as sent
    max_uncompressed: int = 160 * 1024 * 1024  # a workbook's zip members, together
    max_members: int = 2000  # a workbook's zip members
    max_rows: int = 100_000  # the last row a sheet uses, the sheets' together
    max_columns: int = 256  # the last column a sheet uses (IV)
    max_cells: int = 4_000_000  # rows × columns of the area a sheet uses, the sheets' together
    max_sheets: int = 50  # a workbook's sheets
    max_cell_chars: int = 32_767  # a workbook cell's text (Excel's own limit per cell)
    memory_mb: int = 1024  # the ceiling of the process that opens a workbook
    timeout_s: float = 120.0  # and how long it may take

    @classmethod
    def from_env(cls) -> Limits:
        given: dict[str, Any] = {}
        for f in fields(cls):
            raw = os.environ.get(f"SHEET_{f.name.upper()}")
            if raw:
                given[f.name] = float(raw) if f.name == "timeout_s" else int(raw)
        return cls(**given)


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MiB" if n >= 1024 * 1024 else f"{n} bytes"


@dataclass(frozen=True)
class Table:
    """A sheet: ``rows`` yields ``(row_number, cells)`` for every non-blank row, once."""

    kind: Literal["csv", "workbook"]
    encoding: str | None
    delimiter: str | None
    rows: Iterator[tuple[int, Sequence[Cell]]]
    sheets: tuple[str, ...] = ()  # a workbook's sheet names, in order
    sheet: int = 0  # the one read


class LoadedFile(bytes):
    """An upload's bytes with its sheets already read off the event loop
    (:func:`open_upload`): :func:`read_tables` gives the rows it holds instead of parsing
    again, so an importer that takes ``bytes`` needs no change."""

    # each sheet: the table (its rows already taken) and its rows
    _tables: list[tuple[Table, list[tuple[int, Sequence[Cell]]]]] | None = None

    @property
    def table(self) -> Table | None:
        """The first sheet as read (None before :func:`open_upload` read it)."""
        return _tables_of(self)[0] if self._tables else None


async def open_upload(
    file: UploadFile, default_name: str, limits: Limits | None = None
) -> tuple[LoadedFile, str]:
    """Read an uploaded spreadsheet within ``limits.max_bytes`` and parse it in a worker
    thread (a workbook in a child process): ``(data, filename)`` for the importer.
    Raises :class:`TabularFileError` (a :class:`FileLimitError` names the limit)."""
    limits = limits or Limits.from_env()
    filename = upload_name(file.filename, default_name)
    chunks: list[bytes] = []
    size = 0
    while chunk := await file.read(1024 * 1024):
        size += len(chunk)
        if size > limits.max_bytes:
            raise FileLimitError(
                "max_bytes",
                f"{filename} is larger than {_mib(limits.max_bytes)}",
                f"文件“{filename}”超过 {_mib(limits.max_bytes)}",
            )
        chunks.append(chunk)
    loaded = LoadedFile(b"".join(chunks))
    tables = await asyncio.to_thread(read_tables, loaded, filename, limits)
    loaded._tables = [(table, list(table.rows)) for table in tables]
    return loaded, filename


def _tables_of(loaded: LoadedFile) -> list[Table]:
    return [
        Table(t.kind, t.encoding, t.delimiter, iter(rows), t.sheets, t.sheet)
        for t, rows in loaded._tables or ()
    ]


def read_table(
    data: bytes, filename: str, limits: Limits | None = None, *, sheet: int = 0
) -> Table:
    """Open ``data`` (the file's bytes; ``filename`` only for messages and hints); of a
    workbook, sheet number ``sheet`` (0: the first; :attr:`Table.sheets` names them all;
    a number past the last gives no rows). Every sheet is read: :func:`read_tables`."""
    tables = read_tables(data, filename, limits)
    if sheet < len(tables):
        return tables[sheet]
    first = tables[0]
    return Table(first.kind, first.encoding, first.delimiter, iter(()), first.sheets, sheet)


def read_tables(data: bytes, filename: str, limits: Limits | None = None) -> list[Table]:
    """Open ``data`` (the file's bytes; ``filename`` only for messages and hints): a
    workbook's sheets, one :class:`Table` each in the workbook's order (a chart sheet has
    no rows); a CSV file's one table.

    Checks ``limits`` (default: :meth:`Limits.from_env`) before and while parsing; the
    rows are read completely before this returns, so a file over a limit is refused
    before any row is used. Blocking: in a service, use :func:`open_upload`."""
    if isinstance(data, LoadedFile) and data._tables:
        return _tables_of(data)
    limits = limits or Limits.from_env()
    if len(data) > limits.max_bytes:
        raise FileLimitError(
            "max_bytes",
            f"{filename} is larger than {_mib(limits.max_bytes)}",
            f"文件“{filename}”超过 {_mib(limits.max_bytes)}",
        )
    if not data.strip():
        raise TabularFileError(f"{filename} is empty", f"文件“{filename}”是空的")
    if data.startswith((_ZIP, _OLE)):
        if data.startswith(_ZIP):
            _check_zip(data, filename, limits)
        each, sheets = _workbook_rows(data, filename, limits)
        return [
            Table("workbook", None, None, iter(rows), sheets, index)
            for index, rows in enumerate(each)
        ] or [Table("workbook", None, None, iter(()), sheets, 0)]
    head = data[:512].lstrip().lower()
    if head.startswith((b"<html", b"<!doctype", b"<table", b"<?xml")):
        raise TabularFileError(
            f"{filename} is a web page or XML file saved with a spreadsheet name; "
            "open it in Excel and save it as .xlsx (Excel workbook)",
            f"文件“{filename}”实为网页或XML格式，请用Excel打开后另存为.xlsx（Excel工作簿）",
        )
    text, encoding = _decode(data, filename)
    delimiter = _sniff_delimiter(text)
    rows = list(_csv_rows(text, delimiter, filename, limits))
    return [Table("csv", encoding, delimiter, iter(rows))]


def _unreadable(filename: str, why: str) -> TabularFileError:
    return TabularFileError(
        f"{filename} cannot be opened as an Excel workbook ({why}); "
        "is it password-protected or damaged? Save it again as .xlsx without a password",
        f"文件“{filename}”无法作为Excel工作簿打开：可能已加密或损坏，请取消密码后另存为.xlsx",
    )


def _check_zip(data: bytes, filename: str, limits: Limits) -> None:
    """The zip's central directory against the limits, before anything is inflated (the
    child checks that each member really is what the directory declares)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise _unreadable(filename, type(exc).__name__) from None
    if len(members) > limits.max_members:
        raise FileLimitError(
            "max_members",
            f"{filename} holds {len(members)} parts, more than {limits.max_members}",
            f"文件“{filename}”包含 {len(members)} 个部件，超过 {limits.max_members} 个",
        )
    names = [m.filename for m in members]
    if len(set(names)) != len(names):
        raise _unreadable(filename, "duplicate zip members")
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed:
        raise FileLimitError(
            "max_uncompressed",
            f"{filename} expands to {_mib(total)}, more than {_mib(limits.max_uncompressed)}",
            f"文件“{filename}”解压后为 {_mib(total)}，超过 {_mib(limits.max_uncompressed)}",
        )


def _workbook_rows(
    data: bytes, filename: str, limits: Limits
) -> tuple[list[list[tuple[int, Sequence[Cell]]]], tuple[str, ...]]:
    """Each sheet's non-blank rows and the sheets' names, read by ``sheet_worker`` in one
    child process."""
    command = [sys.executable, "-m", "shegong.kernel.data.sheet_worker", json.dumps(asdict(limits))]
    try:
        done = subprocess.run(
            command, input=data, capture_output=True, timeout=limits.timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        raise FileLimitError(
            "timeout_s",
            f"{filename} takes longer than {limits.timeout_s:.0f} s to read",
            f"文件“{filename}”读取超过 {limits.timeout_s:.0f} 秒",
        ) from None
    if done.returncode != 0 or not done.stdout:
        raise FileLimitError(
            "memory_mb",
            f"{filename} needs more than {limits.memory_mb} MiB of memory to read",
            f"文件“{filename}”读取所需内存超过 {limits.memory_mb} MiB",
        )
    answer = _SafeUnpickler(io.BytesIO(done.stdout)).load()
    if answer[0] == "limit":
        _, limit, message, message_zh = answer
        raise FileLimitError(limit, f"{filename}: {message}", f"文件“{filename}”：{message_zh}")
    if answer[0] == "unreadable":
        raise _unreadable(filename, answer[1])
    sheets: list[list[tuple[int, Sequence[Cell]]]] = [
        [(n, _clean(cells)) for n, cells in rows] for rows in answer[1]
    ]
    return sheets, tuple(sheet_name(str(n), i) for i, n in enumerate(answer[2]))


class _SafeUnpickler(pickle.Unpickler):
    """Only the cell types come back from the child: nothing else is constructed."""

    _ALLOWED = frozenset({("datetime", n) for n in ("date", "datetime", "time", "timedelta")})

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a cell type")


def _clean(cells: Sequence[Cell]) -> Sequence[Cell]:
    """Every cell without control characters (a workbook writes NUL as ``_x0000_``) nor
    characters that show nothing (a unit, a header with U+200B: controls.HIDDEN)."""
    if not any(isinstance(c, str) and HIDDEN.search(c) for c in cells):
        return cells
    return [HIDDEN.sub("", c) if isinstance(c, str) else c for c in cells]


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
    """The delimiter of the first line that has one (a title line may have none), told
    from its first ``_SNIFF_CHARS`` characters: ``csv.Sniffer``'s regular expressions
    are quadratic in the line and hold the GIL (64 KiB of ``,'`` took 54 s, every
    service of the process stalled), and a header's delimiter shows in its start."""
    for whole in text[:65536].splitlines()[:10]:
        line = whole[:_SNIFF_CHARS]
        if any(d in line for d in _DELIMITERS):
            try:
                return csv.Sniffer().sniff(line, delimiters=_DELIMITERS).delimiter
            except csv.Error:
                return ","
    return ","


def _csv_rows(
    text: str, delimiter: str, filename: str, limits: Limits
) -> Iterator[tuple[int, Sequence[Cell]]]:
    # Row numbers count records, as Excel shows them, not physical lines (a quoted cell
    # may hold a line break).
    reader = csv.reader(bounded_lines(text, delimiter, filename, limits), delimiter=delimiter)
    number = 0
    try:
        for number, row in enumerate(reader, start=1):
            if any(row) and any(cell.strip() for cell in row):
                if number > limits.max_rows:
                    raise FileLimitError(
                        "max_rows",
                        f"{filename} has more than {limits.max_rows} rows",
                        f"文件“{filename}”超过 {limits.max_rows} 行",
                    )
                if len(row) > limits.max_columns:
                    raise FileLimitError(
                        "max_columns",
                        f"{filename}: row {number} has {len(row)} columns, more than "
                        f"{limits.max_columns}",
                        f"文件“{filename}”第{number}行有 {len(row)} 列，"
                        f"超过 {limits.max_columns} 列",
                    )
                yield number, _clean(row)
    except csv.Error as exc:
        raise TabularFileError(
            f"{filename}: row {number + 1} cannot be read as CSV ({exc})",
            f"文件“{filename}”第{number + 1}行不是有效的CSV格式",
        ) from None
