"""A workbook of several sheets (a sheet per 区县 or 街道, a 填表说明 in front, a 汇总 behind):
every sheet with the header row is read, each by its own columns, in one child process and
within one set of limits; the others are skipped and listed; a bad cell names its sheet."""

from __future__ import annotations

import io
import subprocess
from typing import Any

import openpyxl
import pytest
from starlette.datastructures import Headers, UploadFile

from shegong.kernel.data import tabular
from shegong.kernel.data.sheets import CellError, read_headed
from shegong.kernel.data.tabular import (
    FileLimitError,
    Limits,
    TabularFileError,
    open_upload,
    read_tables,
)

pytestmark = pytest.mark.process

FIELDS = {
    "name": ("姓名", "名字"),
    "id_number": ("身份证号", "身份证号码"),
    "phone": ("手机号码", "联系电话"),
}


def workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


DISTRICTS = {
    "填表说明": [["填表说明"], ["每人一行，身份证号码按文本填写"]],
    "双清区": [["双清区社会工作者名册"], ["姓名", "身份证号码", "手机号码"], ["张三", "X1", "P1"]],
    # another order, a column the first sheet has not, one it has missing
    "大祥区": [["手机号码", "备注", "姓名"], ["P2", "新入职", "李四"], ["P3", None, "王五"]],
    "北塔区": [["姓名", "身份证号码"]],  # a district with nobody yet
    "汇总": [["区县", "人数"], ["双清区", 1], ["大祥区", 2]],
}


def by_field(sheet: Any) -> list[tuple[str | None, int, dict[str, Any]]]:
    return [
        (sheet.row_sheet, number, {f: sheet.cell(cells, f) for f in FIELDS})
        for number, cells in sheet.rows
    ]


def test_every_sheet_with_the_header_row_is_read_by_its_own_columns() -> None:
    sheet = read_headed(workbook(DISTRICTS), "r.xlsx", FIELDS, marker="name")
    assert sheet.sheets == ("双清区", "大祥区", "北塔区")
    assert sheet.skipped_sheets == ("填表说明", "汇总")
    assert by_field(sheet) == [
        ("双清区", 3, {"name": "张三", "id_number": "X1", "phone": "P1"}),
        ("大祥区", 2, {"name": "李四", "id_number": None, "phone": "P2"}),
        ("大祥区", 3, {"name": "王五", "id_number": None, "phone": "P3"}),
    ]
    assert sheet.ignored == ("备注",)
    assert sheet.sheet == "双清区"  # the first sheet read was not the workbook's first


def test_a_bad_cell_names_its_sheet_and_row_in_both_languages() -> None:
    sheet = read_headed(workbook(DISTRICTS), "r.xlsx", FIELDS, marker="name")
    found = []
    for number, cells in sheet.rows:
        if sheet.cell(cells, "name") == "王五":
            bad = CellError("is not a phone 13812345678", "不是手机号 13812345678")
            found.append(sheet.rejection(number, "phone", sheet.cell(cells, "phone"), bad))
    (rejection,) = found
    report = rejection.report()
    assert (report["sheet"], report["row"], report["field"]) == ("大祥区", 3, "phone")
    assert "13812345678" not in report["reason"] + report["reason_zh"]  # redacted as ever
    assert report["reason_zh"].startswith("手机号码：")


def test_one_sheet_read_keeps_the_report_as_it_was() -> None:
    sheet = read_headed(
        workbook({"花名册": [["姓名"], ["张三"]], "汇总": [["人数"], [1]]}),
        "r.xlsx",
        FIELDS,
        marker="name",
    )
    assert (sheet.sheets, sheet.skipped_sheets, sheet.sheet) == (("花名册",), ("汇总",), None)
    ((number, cells),) = list(sheet.rows)
    assert sheet.row_sheet is None  # one sheet read: rows are named by number alone
    err = CellError("bad", "不对")
    assert "sheet" not in sheet.rejection(number, "name", cells[0], err).report()


def test_a_csv_file_is_one_table_as_before() -> None:
    sheet = read_headed("姓名,手机号码\n张三,P1\n".encode(), "r.csv", FIELDS, marker="name")
    assert (sheet.sheets, sheet.skipped_sheets, sheet.row_sheet) == ((), (), None)
    assert [(n, list(c)) for n, c in sheet.rows] == [(2, ["张三", "P1"])]


def test_a_sheet_read_without_a_required_column_refuses_the_file_naming_the_sheet() -> None:
    data = workbook(DISTRICTS)
    with pytest.raises(TabularFileError) as err:
        read_headed(data, "r.xlsx", FIELDS, marker="name", required=("id_number",))
    assert "sheet 大祥区" in err.value.message and "工作表“大祥区”" in err.value.message_zh


def test_a_workbook_without_the_header_row_lists_its_sheets() -> None:
    data = workbook({"说明": [["填表说明"]], "汇总": [["人数"], [1]]})
    with pytest.raises(TabularFileError) as err:
        read_headed(data, "r.xlsx", FIELDS, marker="name")
    assert "说明, 汇总" in err.value.message and "说明、汇总" in err.value.message_zh


def test_columns_meaning_one_field_are_coalesced_on_every_sheet() -> None:
    data = workbook(
        {
            "甲": [["姓名", "手机号码", "联系电话"], ["张三", None, "P1"]],
            "乙": [["联系电话", "姓名"], ["P2", "李四"]],
        }
    )
    sheet = read_headed(data, "r.xlsx", FIELDS, marker="name", duplicates="coalesce")
    phones = []
    for _, cells in sheet.rows:
        row = sheet.coalesced(list(cells) + [None] * (sheet.width + 1 - len(cells)))
        phones.append((sheet.row_sheet, sheet.cell(row, "name"), sheet.cell(row, "phone")))
    assert phones == [("甲", "张三", "P1"), ("乙", "李四", "P2")]


def count_children(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The child processes the reader starts (each still runs)."""
    started: list[list[str]] = []
    real = subprocess.run

    def run(command: list[str], **kw: Any) -> Any:
        started.append(command)
        return real(command, **kw)

    monkeypatch.setattr(tabular.subprocess, "run", run)
    return started


def test_every_sheet_is_read_by_one_child_process(monkeypatch: pytest.MonkeyPatch) -> None:
    started = count_children(monkeypatch)
    tables = read_tables(workbook(DISTRICTS), "r.xlsx")
    assert [t.sheets[t.sheet] for t in tables] == list(DISTRICTS)
    assert [len(list(t.rows)) for t in tables] == [2, 3, 3, 1, 3]
    assert len(started) == 1


async def test_an_upload_is_read_once_for_all_its_sheets(monkeypatch: pytest.MonkeyPatch) -> None:
    started = count_children(monkeypatch)
    upload = UploadFile(io.BytesIO(workbook(DISTRICTS)), filename="r.xlsx", headers=Headers({}))
    data, filename = await open_upload(upload, "roster.xlsx")
    assert len(started) == 1
    for _ in range(2):  # an importer may read it again: from memory
        sheet = read_headed(data, filename, FIELDS, marker="name")
        assert [r[2]["name"] for r in by_field(sheet)] == ["张三", "李四", "王五"]
    assert len(started) == 1


def limited(monkeypatch: pytest.MonkeyPatch, **limits: int) -> None:
    for name, value in limits.items():
        monkeypatch.setenv(f"SHEET_{name.upper()}", str(value))
    assert all(getattr(Limits.from_env(), k) == v for k, v in limits.items())


def test_rows_and_cells_are_limited_for_the_sheets_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sixty = [["姓名"]] + [[f"人{i}"] for i in range(59)]
    limited(monkeypatch, max_rows=100)
    assert len(list(read_tables(workbook({"甲": sixty}), "one.xlsx")[0].rows)) == 60
    with pytest.raises(FileLimitError) as err:
        read_tables(workbook({"甲": sixty, "乙": sixty}), "two.xlsx")
    assert err.value.limit == "max_rows" and "101 rows together" in err.value.message
    assert "工作簿" in err.value.message_zh and "two.xlsx" in err.value.message_zh

    monkeypatch.delenv("SHEET_MAX_ROWS")
    wide = [["姓名", *range(9)]] + [[f"人{i}", *range(9)] for i in range(29)]  # 300 cells
    limited(monkeypatch, max_cells=500)
    read_tables(workbook({"甲": wide}), "one.xlsx")
    with pytest.raises(FileLimitError) as err:
        read_tables(workbook({"甲": wide, "乙": wide}), "two.xlsx")
    assert err.value.limit == "max_cells"


def test_more_sheets_than_the_limit_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Limits().max_sheets == 50
    limited(monkeypatch, max_sheets=3)
    read_tables(workbook({f"区{i}": [["姓名"], ["张三"]] for i in range(3)}), "ok.xlsx")
    with pytest.raises(FileLimitError) as err:
        read_tables(workbook({f"区{i}": [["姓名"], ["张三"]] for i in range(4)}), "many.xlsx")
    assert err.value.limit == "max_sheets"
    assert "4 sheets" in err.value.message and "4 个工作表" in err.value.message_zh


@pytest.mark.parametrize(("cell", "limit"), [("XFD1", "max_columns"), ("A1048576", "max_rows")])
def test_a_hostile_cell_on_a_later_sheet_is_refused_before_parsing(cell: str, limit: str) -> None:
    book = openpyxl.Workbook()
    book.active.append(["姓名"])  # type: ignore[union-attr]
    book.create_sheet("第二页")[cell] = "x"
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(FileLimitError) as err:
        read_tables(out.getvalue(), "hostile.xlsx")
    assert err.value.limit == limit


def test_a_ditto_cell_holds_the_value_above_it_within_its_sheet() -> None:
    """同上 / 〃 typed under a value (a run of one 街道's staff) is that value, as a cell
    merged down is; a 合计 line between does not break the run; a sheet's first row
    has nothing above it and keeps what it says."""
    data = workbook(
        {
            "港城区": [
                ["序号", "姓名", "街道", "手机号码"],
                [1, "李明", "新碶街道", "13900000001"],
                [2, "王芳", "同上", "13900000002"],
                [3, "陈刚", " 同 上。", "〃"],
            ],
            "临江区": [
                ["序号", "姓名", "街道"],
                [1, "赵丽", "同上"],
                ["小计", "1人"],
                [2, "周强", "〃"],
            ],
        }
    )
    fields = {**FIELDS, "township": ("街道",)}
    sheet = read_headed(data, "r.xlsx", fields, marker="name")
    rows = [
        (sheet.cell(c, "name"), sheet.cell(c, "township"), sheet.cell(c, "phone"))
        for _, c in sheet.rows
    ]
    assert rows == [
        ("李明", "新碶街道", "13900000001"),
        ("王芳", "新碶街道", "13900000002"),
        ("陈刚", "新碶街道", "13900000002"),
        ("赵丽", "同上", None),
        ("周强", "同上", None),
    ]
