"""Property tests for the department-file importers of every service: whatever a clerk's
spreadsheet holds — any bytes, any encoding, missing headers, formulas, dates in every form —
the importer answers with a file-level refusal or row-level results, never a crash (which an
HTTP caller would see as a 500). Pure parsers, so hypothesis can try thousands of files."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shegong.kernel.data.tabular import TabularFileError, read_table
from shegong.matching.application.needs import SurveyReport, _parse_row, read_survey
from shegong.registry.imports.expert_pool import parse_expert_pool
from shegong.training.imports.exam_rows import parse_day, parse_level, parse_passed, parse_year
from shegong.training.imports.sheets import RowProblem, parse_signed_at, read_sheet

pytestmark = pytest.mark.slow

CELL = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "=1+1",
            "+SUM(A1:A9)",
            "@cmd",
            "-2",
            "2024年3月1日",
            "2024/3/1",
            "2024-02-30",
            "20240301",
            "9999-99-99",
            "13:61",
            "是",
            "否",
            "社会工作师",
            "62010219880506123x",
            "6.2e17",
            "",
            " ",
            "——",
        ]
    ),
)
SIGNIN = ("姓名", "身份证号", "手机号", "签到时间")
EXAMS = ("姓名", "身份证号", "考试年度", "级别", "是否通过")
SURVEY = ("区县", "街道", "社区", "户号", "服务对象", "服务需求")
EXPERTS = ("姓名", "身份证号", "入库日期")


def sheet(header: tuple[str, ...]) -> st.SearchStrategy[bytes]:
    """A CSV in UTF-8, UTF-8 with BOM or GBK; the header may lose or shuffle columns."""

    def build(cols: list[str], rows: list[list[str]], enc: str) -> bytes:
        lines = [",".join(cols)] + [",".join(c.replace(",", "，") for c in r) for r in rows]
        return "\n".join(lines).encode(enc, errors="replace")

    return st.builds(
        build,
        st.lists(st.sampled_from(header), min_size=0, max_size=len(header), unique=True),
        st.lists(st.lists(CELL, max_size=len(header) + 1), max_size=8),
        st.sampled_from(["utf-8", "utf-8-sig", "gbk"]),
    )


ANY_FILE = st.one_of(st.binary(max_size=400), sheet(SIGNIN), sheet(EXAMS), sheet(SURVEY))
FAST = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


@FAST
@given(ANY_FILE)
def test_any_bytes_are_a_table_or_a_clear_file_error(data: bytes) -> None:
    try:
        table = read_table(data, "upload.csv")
        rows = list(table.rows)
    except TabularFileError as err:
        assert err.message and err.message_zh
        return
    assert all(isinstance(n, int) and n >= 1 for n, _ in rows)


@FAST
@given(st.one_of(sheet(SIGNIN), sheet(EXAMS), st.binary(max_size=300)))
def test_training_sheets_and_cells_refuse_or_reject_never_crash(data: bytes) -> None:
    columns = {
        "name": ("姓名",),
        "id_number": ("身份证号",),
        "phone": ("手机号",),
        "signed_at": ("签到时间",),
        "exam_year": ("考试年度",),
        "level": ("级别",),
        "passed": ("是否通过",),
    }
    try:
        rows = list(read_sheet(data, "sheet.csv", columns, ["name"], one_of=["id_number"]))
    except TabularFileError as err:
        assert err.message and err.message_zh
        return
    for row in rows:
        for parse, key in (
            (lambda c: parse_signed_at(c, dt.date(2025, 3, 1)), "signed_at"),
            (parse_day, "signed_at"),
            (lambda c: parse_year(None if c is None else str(c)), "exam_year"),
            (lambda c: parse_level(None if c is None else str(c)), "level"),
            (lambda c: parse_passed(None if c is None else str(c)), "passed"),
        ):
            try:
                parse(row.values.get(key))
            except RowProblem as problem:
                assert problem.args  # names the field and why, in both languages


@FAST
@given(st.one_of(sheet(SURVEY), st.binary(max_size=300)))
def test_needs_survey_rows_are_recorded_or_rejected_with_a_field(data: bytes) -> None:
    try:
        sheet = read_survey(data, "survey.csv")
    except TabularFileError as err:
        assert err.message and err.message_zh
        return
    report = SurveyReport()
    for number, cells in sheet.rows:
        recorded: list[tuple[int, dict[str, Any]]] = _parse_row(
            number, cells, sheet.columns, report
        )
        assert all(n == number for n, _ in recorded)
    assert all({"row", "field", "reason", "reason_zh"} <= set(r) for r in report.rejected)


@FAST
@given(st.one_of(sheet(EXPERTS), st.binary(max_size=300)))
def test_expert_pool_rows_are_admitted_or_rejected_with_a_field(data: bytes) -> None:
    try:
        parsed = parse_expert_pool(data, "experts.csv", today=dt.date(2026, 11, 29))
    except TabularFileError as err:
        assert err.message and err.message_zh
        return
    rejected = {r.row_number for r in parsed.rejections}
    assert not rejected & {r.row_number for r in parsed.rows}
    assert all(r.field in ("name", "id_number", "admitted_on") for r in parsed.rejections)
    assert all(r.admitted_on <= dt.date(2026, 11, 29) for r in parsed.rows)
