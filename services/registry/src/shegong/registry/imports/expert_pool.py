"""The city expert pool list (专家库: 姓名, 身份证号, 入库日期) → rows, or row-level rejections.

Pure parsing; whether a row's person may be admitted (社会工作师 or above held on the
admission date) is the application's check against the census.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from shegong.kernel.data.identity import ResidentId
from shegong.kernel.data.sheets import (
    Cell,
    CellError,
    RowRejection,
    cell_text,
    id_number_cell,
    parse_date,
    preview,
    read_headed,
)
from shegong.kernel.data.sheets.vocabulary import ID_NUMBER_HEADERS, NAME_HEADERS, NAME_SUFFIX

EXPERT_FIELDS: dict[str, tuple[str, ...]] = {
    "name": NAME_HEADERS,  # and 专家姓名, by the name's last resort
    "id_number": ID_NUMBER_HEADERS,
    "admitted_on": (
        "入库日期",
        "入库时间",
        "入选日期",
        "入选时间",
        "聘任日期",
        "聘任时间",
        "认定日期",
        "认定时间",
        "admitted",
    ),
}
_LABEL = {name: aliases[0] for name, aliases in EXPERT_FIELDS.items()}


@dataclass(frozen=True, slots=True)
class ExpertRow:
    row_number: int
    name: str
    id_number: ResidentId = field(repr=False)
    admitted_on: datetime.date
    sheet: str | None = None  # the row's sheet, when the workbook had more than one read


@dataclass(frozen=True)
class ExpertPoolParse:
    rows: list[ExpertRow]
    rejections: list[RowRejection]
    rows_read: int
    ignored_columns: tuple[str, ...]


def parse_expert_pool(
    data: bytes, filename: str, *, today: datetime.date | None = None
) -> ExpertPoolParse:
    """Raises ``TabularFileError`` for a file that cannot be read as a whole."""
    today = today or datetime.date.today()
    sheet = read_headed(
        data,
        filename,
        EXPERT_FIELDS,
        marker="name",
        required=("name", "id_number", "admitted_on"),
        suffixes={"name": (NAME_SUFFIX,)},
    )
    rows: list[ExpertRow] = []
    rejections: list[RowRejection] = []
    rows_read = 0
    for number, cells in sheet.rows:
        rows_read += 1
        bad: list[RowRejection] = []

        def reject(
            name: str,
            reason: str,
            reason_zh: str,
            cells: Sequence[Cell] = cells,
            number: int = number,
            bad: list[RowRejection] = bad,
        ) -> None:
            shown = preview(name, sheet.cell(cells, name))
            zh = f"{_LABEL[name]}：{reason_zh}"
            bad.append(RowRejection(number, name, shown, reason, zh, sheet.row_sheet))

        try:
            name = cell_text(sheet.cell(cells, "name"))
        except CellError as err:
            name = None
            reject("name", err.reason, err.reason_zh)
        if not name and not bad:
            reject("name", "is required", "必填")
        rid, _raw, problem = id_number_cell(sheet.cell(cells, "id_number"))
        if problem is not None:
            reject("id_number", *problem)
        elif rid is None:
            reject("id_number", "is required", "必填")
        try:
            admitted = parse_date(sheet.cell(cells, "admitted_on"))
        except CellError as err:
            admitted = None
            reject("admitted_on", err.reason, err.reason_zh)
        else:
            if admitted is None:
                reject("admitted_on", "is required", "必填")
            elif admitted > today:
                reject("admitted_on", "is in the future", "晚于今天")
        if bad:
            rejections.extend(bad)
        elif name and rid is not None and admitted is not None:
            rows.append(ExpertRow(number, name, rid, admitted, sheet.row_sheet))
    return ExpertPoolParse(rows, rejections, rows_read, sheet.ignored)
