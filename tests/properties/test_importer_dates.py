"""One reading of dates in every importer: a roster's 入职日期, the expert pool's 入库日期, a
sign-in sheet's 签到时间 and an exam list's 取证日期 accept the same forms (2024.3.1 was a
date for a roster and not for a sign-in sheet), and refuse the same garbage naming the
row and the field in English and Chinese."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from stdnum.cn import ric

from shegong.registry.imports.expert_pool import parse_expert_pool
from shegong.registry.imports.roster import parse_roster
from shegong.training.imports.exam_rows import parse_day
from shegong.training.imports.sheets import RowProblem, parse_signed_at

MARCH_1 = dt.date(2024, 3, 1)
FORMS: list[object] = [
    "2024-03-01",
    "2024/3/1",
    "2024.3.1",
    "2024年3月1日",
    "20240301",
    dt.datetime(2024, 3, 1),
    45352,  # an Excel serial date
]
GARBAGE: list[object] = ["下午", "2024-02-30", "2024年13月", "1.3.2024", 7]


def experts_id() -> str:
    body = "62110219880312123"
    return body + ric.calc_check_digit(body + "0")


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("cell", FORMS)
def test_every_importer_reads_the_same_forms_as_a_date(cell: object) -> None:
    roster = parse_roster(xlsx([["姓名", "入职日期"], ["张三", cell]]), "r.xlsx")
    assert roster.rows[0].hired_on == MARCH_1 and not roster.rows[0].warnings
    experts = parse_expert_pool(
        xlsx([["姓名", "身份证号", "入库日期"], ["张三", experts_id(), cell]]),
        "e.xlsx",
        today=dt.date(2026, 1, 1),
    )
    assert not experts.rejections and experts.rows[0].admitted_on == MARCH_1
    assert parse_day(cell) == MARCH_1  # type: ignore[arg-type]
    signed = parse_signed_at(cell, dt.date(2025, 1, 1))  # type: ignore[arg-type]
    assert signed.date() == MARCH_1 and signed.utcoffset() == dt.timedelta(hours=8)


@pytest.mark.parametrize("cell", GARBAGE)
def test_every_importer_refuses_the_same_garbage_naming_row_and_field(cell: object) -> None:
    roster = parse_roster(xlsx([["姓名", "入职日期"], ["张三", cell]]), "r.xlsx")
    (row,) = roster.rows  # a roster keeps the person and leaves the date out
    (warning,) = row.warnings
    assert row.row_number == 2 and row.hired_on is None
    assert warning.startswith("hired_on: ") and " / 入职日期：" in warning

    experts = parse_expert_pool(
        xlsx([["专家库"], ["姓名", "身份证号", "入库日期"], ["张三", experts_id(), cell]]),
        "e.xlsx",
        today=dt.date(2026, 1, 1),
    )
    (rejected,) = experts.rejections
    assert (rejected.row_number, rejected.field) == (3, "admitted_on")
    assert rejected.reason and rejected.reason_zh.startswith("入库日期：")

    for read, field, label in (
        (parse_day, "certified_on", "取证日期"),
        (lambda c: parse_signed_at(c, MARCH_1), "signed_at", "签到时间"),
    ):
        with pytest.raises(RowProblem) as problem:
            read(cell)
        assert problem.value.field == field
        assert problem.value.reason.startswith(f"{field}: ")
        assert problem.value.reason_zh.startswith(f"{label}：")


def test_a_month_is_a_rosters_hire_date_to_the_month_and_no_day_elsewhere() -> None:
    # A personnel roster's 入职日期 (入职年月) is often written to the month, as its 取证日期
    # is: kept as the 1st, with a note. A sign-in or an exam needs its day.
    roster = parse_roster(xlsx([["姓名", "入职日期"], ["张三", "2024年3月"]]), "r.xlsx")
    (row,) = roster.rows
    assert row.hired_on == MARCH_1
    assert row.warnings == (
        "hired_on: gives the month only; kept as 2024-03-01 / "
        "入职日期：只填写到月，按2024-03-01登记",
    )
    for read in (parse_day, lambda c: parse_signed_at(c, MARCH_1)):
        with pytest.raises(RowProblem):
            read("2024年3月")
