"""Reading a needs-survey file (需求调查表): CSV (UTF-8 or GBK) or an Excel workbook.

Rows come back with the row number the clerk sees; nothing in a cell is ever evaluated.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from typing import Any

ZIP, OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class SurveyFileError(ValueError):
    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.message_zh = message_zh


def read_rows(data: bytes, filename: str) -> Iterator[tuple[int, Sequence[Any]]]:
    if not data.strip():
        raise SurveyFileError(f"{filename} is empty", f"文件“{filename}”是空的")
    if data.startswith((ZIP, OLE)):
        return _workbook(data, filename)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SurveyFileError(
            f"{filename} is neither a workbook nor CSV in UTF-8 or GBK",
            f"文件“{filename}”不是Excel工作簿，也不是UTF-8或GBK编码的CSV",
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    return ((n, row) for n, row in enumerate(reader, start=1) if any(c.strip() for c in row))


def _workbook(data: bytes, filename: str) -> Iterator[tuple[int, Sequence[Any]]]:
    from python_calamine import CalamineWorkbook

    try:
        sheet = (
            CalamineWorkbook.from_filelike(io.BytesIO(data))
            .get_sheet_by_index(0)
            .to_python(skip_empty_area=False)
        )
    except Exception as err:
        raise SurveyFileError(
            f"{filename} cannot be opened as a workbook ({type(err).__name__})",
            f"文件“{filename}”无法作为Excel工作簿打开",
        ) from None
    return (
        (n, row)
        for n, row in enumerate(sheet, start=1)
        if any(str(c).strip() for c in row if c is not None)
    )
