"""Reading a needs-survey file (需求调查表): CSV (UTF-8, GBK …) or an Excel workbook, through
the kernel's reader of department spreadsheets (:mod:`shegong.kernel.tabular`).

Rows come back with the row number the clerk sees; nothing in a cell is ever evaluated.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from shegong.kernel.tabular import TabularFileError, read_table


class SurveyFileError(ValueError):
    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.message_zh = message_zh


def read_rows(data: bytes, filename: str) -> Iterator[tuple[int, Sequence[Any]]]:
    try:
        table = read_table(data, filename)
    except TabularFileError as err:
        raise SurveyFileError(err.message, err.message_zh) from None
    return _rows(table.rows)


def _rows(rows: Iterator[tuple[int, Sequence[Any]]]) -> Iterator[tuple[int, Sequence[Any]]]:
    try:
        yield from rows
    except TabularFileError as err:
        raise SurveyFileError(err.message, err.message_zh) from None
