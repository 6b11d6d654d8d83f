"""The spreadsheet layer every importer shares: headers, cells, the one date reading, names."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys

import openpyxl
import pytest

from shegong.kernel.data.names import name_key, normalize_name, to_simplified
from shegong.kernel.data.sheets import (
    CellError,
    cell_text,
    parse_date,
    parse_moment,
    read_headed,
)
from shegong.kernel.data.tabular import TabularFileError

MARCH_1 = dt.date(2024, 3, 1)
FIELDS = {
    "name": ("姓名", "名字"),
    "id_number": ("身份证号", "身份证号码"),
    "hired_on": ("入职日期",),
    "population": ("城镇常住人口",),
}


@pytest.mark.parametrize(
    "cell",
    [
        "2024-03-01",
        "2024-3-1",
        "2024/3/1",
        "2024/03/01",
        "2024.3.1",
        "2024.03.01",
        "2024年3月1日",
        "2024 年 3 月 1 日",
        "２０２４年３月１日",
        "20240301",
        "2024-03-01 00:00:00",
        "2024/3/1 9:30",
        "2024-03-01T09:30:15",
        " 2024.3.1 ",
        dt.date(2024, 3, 1),
        dt.datetime(2024, 3, 1, 9, 30),
        45352,  # an Excel serial date: a date column formatted as numbers
        45352.0,
        45352.75,
        20240301,
        20240301.0,
        "2024-03-01 2:30 PM",  # a time after the date is dropped, however it is written
        "2024年3月1日 下午2点",
    ],
)
def test_every_usual_form_of_a_date_is_a_date(cell: object) -> None:
    assert parse_date(cell) == MARCH_1  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cell", "reason", "reason_zh"),
    [
        ("下午", "is not a date", "不是有效日期"),
        ("2024年3月", "is not a date", "不是有效日期"),
        ("3/1/2024", "is not a date", "不是有效日期"),
        ("2024-02-30", "does not exist", "不存在"),
        ("2024.13.1", "does not exist", "不存在"),
        ("1899-12-31", "not plausible", "不合理"),
        ("=TODAY()", "is not a date", "不是有效日期"),
        (7, "is a number, not a date", "是数字而不是日期"),
        (-2.5, "is a number, not a date", "是数字而不是日期"),
        (float("nan"), "is a number, not a date", "是数字而不是日期"),
        (True, "is not a date", "不是有效日期"),
        (dt.time(9, 0), "is not a date", "不是有效日期"),
    ],
)
def test_anything_else_is_refused_in_both_languages(
    cell: object, reason: str, reason_zh: str
) -> None:
    with pytest.raises(CellError) as err:
        parse_date(cell)  # type: ignore[arg-type]
    assert reason in err.value.reason and reason_zh in err.value.reason_zh


@pytest.mark.parametrize("cell", [None, "", "  ", "-", "无", "——"])
def test_a_blank_date_is_none(cell: object) -> None:
    assert parse_date(cell) is None  # type: ignore[arg-type]
    assert parse_moment(cell, MARCH_1) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2024.3.1 9:02", dt.datetime(2024, 3, 1, 9, 2)),
        ("2024年3月1日 9:02", dt.datetime(2024, 3, 1, 9, 2)),
        ("2024年3月1日9:02", dt.datetime(2024, 3, 1, 9, 2)),
        ("2024/3/1 09:02:30", dt.datetime(2024, 3, 1, 9, 2, 30)),
        ("2024-03-01T09:02", dt.datetime(2024, 3, 1, 9, 2)),
        ("20240301 09:02", dt.datetime(2024, 3, 1, 9, 2)),
        ("9:02", dt.datetime(2024, 3, 1, 9, 2)),  # on the given day
        ("９:０２", dt.datetime(2024, 3, 1, 9, 2)),
        ("2024-03-02", dt.datetime(2024, 3, 2)),
        (dt.time(9, 2), dt.datetime(2024, 3, 1, 9, 2)),
        (dt.datetime(2024, 3, 1, 9, 2), dt.datetime(2024, 3, 1, 9, 2)),
        (45352.5, dt.datetime(2024, 3, 1, 12, 0)),
        # spoken and 12-hour clocks: WPS writes 上午/下午, clerks type 点/分
        ("上午8:55", dt.datetime(2024, 3, 1, 8, 55)),
        ("下午2:30", dt.datetime(2024, 3, 1, 14, 30)),
        ("2024年3月1日 下午2点30分", dt.datetime(2024, 3, 1, 14, 30)),
        ("8时5分", dt.datetime(2024, 3, 1, 8, 5)),
        ("9点", dt.datetime(2024, 3, 1, 9, 0)),
        ("晚上7点半", dt.datetime(2024, 3, 1, 19, 30)),
        ("中午12:30", dt.datetime(2024, 3, 1, 12, 30)),
        ("2024-03-01 2:30 PM", dt.datetime(2024, 3, 1, 14, 30)),
        ("12:05 am", dt.datetime(2024, 3, 1, 0, 5)),
        # the minutes after 点 with no 分, and a time written with a point (8.30)
        ("8点30", dt.datetime(2024, 3, 1, 8, 30)),
        ("2024年3月1日8点05", dt.datetime(2024, 3, 1, 8, 5)),
        ("8.30", dt.datetime(2024, 3, 1, 8, 30)),
        ("14.05", dt.datetime(2024, 3, 1, 14, 5)),
    ],
)
def test_a_date_and_time(cell: object, expected: dt.datetime) -> None:
    assert parse_moment(cell, MARCH_1) == expected  # type: ignore[arg-type]


NOT_TIMES = ["下午", "25:00", "9:61", "2024-03-01 24:00", "2024-02-30 9:00", "8点60分", "点"]
NOT_TIMES += ["8.3", "8.60", "24.00", "3.1.5"]  # a point time: two-digit minutes of an hour


@pytest.mark.parametrize("cell", NOT_TIMES)
def test_a_time_that_is_not_one_is_refused(cell: str) -> None:
    with pytest.raises(CellError) as err:
        parse_moment(cell, MARCH_1)
    assert err.value.reason and err.value.reason_zh


def test_cell_text_trims_placeholders_and_excel_numbers() -> None:
    assert cell_text(" 张三\u200b ") == "张三"
    assert cell_text("暂无") is None
    assert cell_text(13812345678.0) == "13812345678"
    with pytest.raises(CellError):
        cell_text(6.2e17)  # an ID number Excel kept as a number: its last digits are gone


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("劉麗華", "刘丽华"),
        ("張偉", "张 伟"),
        ("錢\u3000七", "钱七"),
        ("阿依古丽 • 买买提", "阿依古丽·买买提"),
        ("阿依古丽‧买买提", "阿依古丽・买买提"),
        ("ｚｈａｎｇ ｓａｎ", "Zhang San"),
        ("鄭　曉燕", "郑晓燕"),
        ("阿依古丽买买提", "阿依古丽·买买提"),  # a form without the middle dot
        ("王伟（兼）", "王伟"),  # a clerk's notes on the name cell
        ("王伟(退休返聘)", "王伟"),
        ("王伟*", "王伟"),
        ("※王伟", "王伟"),
        # a name in parts cut by a field's length where its parts meet
        ("海力其古丽.", "海力其古丽"),
        ("海力其古丽．", "海力其古丽"),
        ("吐尔逊别克·", "吐尔逊别克"),
        # the name in characters beside its Latin spelling (Hong Kong, Taiwan, passport)
        ("陳大文 CHAN TAI MAN", "陈大文"),
        ("郭美俊（KUO, Mei-Chun）", "郭美俊"),
        ("楊建華 YANG, Chien-Hua", "杨建华"),
        ("Pan Chengrong (潘诚荣)", "潘诚荣"),
        ("Kevin Tan (凯文·陈)", "凯文·陈"),
    ],
)
def test_one_person_written_two_ways_is_one_name_key(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


def test_different_names_stay_different_and_the_stored_form_keeps_its_script() -> None:
    assert name_key("刘丽华") != name_key("刘丽") != name_key("阿依古丽买买提·x")
    assert name_key("王伟2") != name_key("王伟")  # a number tells namesakes apart
    assert name_key("王伟A") != name_key("王伟")  # and so does a letter
    assert name_key("John Smith") == "johnsmith"  # a spelling alone stays the spelling
    assert name_key("(兼)") == "(兼)"  # nothing but a note: kept, not emptied
    assert name_key("Smith J.") == "smithj."  # a Latin initial keeps its dot
    assert normalize_name("劉 麗華") == "劉麗華"
    assert to_simplified("乾隆著作") == "乾隆著作"  # OpenCC knows these stay as they are
    assert to_simplified("髮型") == "发型"


def test_opencc_is_loaded_on_the_first_conversion_not_at_import() -> None:
    code = (
        "import sys, shegong.kernel.data.identity, shegong.kernel.data.sheets;"
        "assert 'opencc' not in sys.modules;"
        "from shegong.kernel.data.names import name_key;"
        "assert name_key('劉麗華') == '刘丽华';"
        "assert 'opencc' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- headed tables -----------------------------------------------------------------------


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_the_header_row_is_found_below_a_title_in_any_encoding(encoding: str) -> None:
    text = "定西市社会工作人才花名册\n\n"
    text += "* 姓 名 ,ID_Number,入职日期（yyyy-mm-dd）,备注\n张三,x,2024.3.1,\n"
    sheet = read_headed(text.encode(encoding), "r.csv", FIELDS, marker="name")
    assert sheet.header_row == 3
    assert sheet.columns == {"name": 0, "id_number": 1, "hired_on": 2}
    assert sheet.notes == {"hired_on": "(yyyymmdd)"}
    assert sheet.ignored == ("备注",)
    ((number, cells),) = list(sheet.rows)
    assert number == 4 and parse_date(sheet.cell(cells, "hired_on")) == MARCH_1


def test_a_questionnaire_export_is_headed_by_its_numbered_questions() -> None:
    """问卷星 / 腾讯问卷 exports head each column with the question: "1、您的姓名：",
    "2. 身份证号码", "Q3 手机号码"; the number and the 您的 asked are not the header."""
    text = "序号,提交答卷时间,1、您的姓名：,2. 身份证号码,Q3 入职日期,4、所在单位：\n"
    text += "1,2024/08/16 09:34:26,张三,x,2024.3.1,东关社区\n"
    sheet = read_headed(text.encode("utf-8-sig"), "r.csv", FIELDS, marker="name")
    assert sheet.columns == {"name": 2, "id_number": 3, "hired_on": 4}


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("3. 您对本次培训的满意度", "您对本次培训的满意度"),
        ("3.您的姓名", "您的姓名"),
        ("12、单位", "单位"),
        ("3.10", "3.10"),  # a course's day (month.day): no question 3
        ("3.10上午", "3.10上午"),
        ("12.5 签到", "12.5签到"),
    ],
)
def test_a_question_number_is_dropped_but_never_a_month_and_day(header: str, key: str) -> None:
    from shegong.kernel.data.sheets.headers import header_key

    assert header_key(header) == key


LOOSE_FIELDS = {
    "name": ("姓名",),
    "phone": ("手机号码", "联系电话", "电话", "手机", "mobile"),
    "organization": ("工作单位", "organisation", "work unit"),
    "county": ("区县", "县(市、区)"),
    "township": ("街道", "乡镇"),
    "community": ("社区", "村"),
}


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("手机/电话", "phone"),
        ("工作单位及职务", "organization"),
        ("所属县（市、区）", "county"),
        ("镇（街道）", "township"),
        ("乡(镇、街道)", "township"),
        ("村（居）委会", "community"),
        ("本人手机", "phone"),
        ("现工作单位", "organization"),
        # a header in two languages, each half naming the field
        ("Mobile 手机", "phone"),
        ("工作单位 Organisation", "organization"),
        ("Work Unit/工作单位", "organization"),
    ],
)
def test_a_header_is_read_by_its_field_word_as_a_last_resort(header: str, field: str) -> None:
    sheet = read_headed(f"姓名,{header}\n张三,x\n".encode(), "r.csv", LOOSE_FIELDS, marker="name")
    assert sheet.columns == {"name": 0, field: 1} and sheet.ignored == ()


@pytest.mark.parametrize(
    "header", ["联系人/电话", "姓名/工作单位", "家庭住址", "户籍所在地", "Mobile 工作单位"]
)
def test_a_header_naming_someone_else_or_two_fields_is_not_guessed(header: str) -> None:
    sheet = read_headed(f"姓名,{header}\n张三,x\n".encode(), "r.csv", LOOSE_FIELDS, marker="name")
    assert sheet.columns == {"name": 0} and sheet.ignored == (header,)


@pytest.mark.parametrize("order", [("手机/电话", "联系电话"), ("联系电话", "手机/电话")])
def test_a_last_resort_header_never_refuses_a_file_beside_the_exact_one(
    order: tuple[str, str],
) -> None:
    text = f"姓名,{order[0]},{order[1]}\n张三,x,y\n"
    sheet = read_headed(text.encode(), "r.csv", LOOSE_FIELDS, marker="name")
    assert sheet.written["phone"] == "联系电话" and sheet.ignored == ("手机/电话",)


def test_a_two_line_header_is_read_by_its_second_line_under_a_merged_heading() -> None:
    rows: list[list[object]] = [
        ["名册"],
        ["姓名", "联系方式", None, "身份证号"],
        [None, "手机", "座机", None],
        ["张三", "13812345678", "0873-1234567", "x"],
    ]
    sheet = read_headed(xlsx(rows), "r.xlsx", LOOSE_FIELDS | FIELDS, marker="name")
    assert sheet.written["phone"] == "手机" and sheet.ignored == ("座机",)
    ((number, cells),) = list(sheet.rows)  # the second header line is not a data row
    assert number == 4 and sheet.cell(cells, "phone") == "13812345678"


def test_a_two_line_header_whose_cells_are_merged_down_over_both_lines() -> None:
    """序号, 姓名, 身份证号 merged over both header lines (read as written on each), 联系方式
    over 手机 and 座机: the second line is the header's, not a row; the title above it
    is kept as the sheet's title."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (
        ["2024年名册", None, None, None, None],
        ["序号", "姓名", "身份证号", "联系方式", None],
        [None, None, None, "手机", "座机"],
        [1, "张三", "x", "13812345678", "0873-1234567"],
    ):
        sheet.append(row)
    for cells in ("A1:E1", "A2:A3", "B2:B3", "C2:C3", "D2:E2"):
        sheet.merge_cells(cells)
    out = io.BytesIO()
    book.save(out)
    read = read_headed(out.getvalue(), "r.xlsx", LOOSE_FIELDS | FIELDS, marker="name")
    assert read.written["phone"] == "手机"
    ((number, cells),) = list(read.rows)
    assert number == 4 and read.cell(cells, "name") == "张三"
    assert read.part is not None and read.part.title == ("2024年名册",)


def test_a_two_line_header_saved_as_csv_keeps_its_second_line_out_of_the_rows() -> None:
    """A merged 成绩 over 综合能力 and 实务, saved as CSV: the heading in its first cell,
    blanks beside and below; the second line names columns no field knows."""
    text = "序号,姓名,成绩,,备注\n,,综合能力,实务,\n1,张三,72,66,\n2,李四,,,请假\n"
    sheet = read_headed(text.encode("gbk"), "r.csv", FIELDS, marker="name")
    assert [number for number, _ in sheet.rows] == [3, 4]


def test_a_first_data_row_without_a_name_is_not_taken_for_a_header_line() -> None:
    text = "姓名,手机\n,13812345678\n张三,13912345678\n"
    sheet = read_headed(text.encode(), "r.csv", LOOSE_FIELDS, marker="name")
    assert sheet.written["phone"] == "手机" and len(list(sheet.rows)) == 2


def test_a_workbook_is_read_the_same_way() -> None:
    data = xlsx([["标题"], ["名字", "入职日期"], ["张三", dt.datetime(2024, 3, 1)]])
    sheet = read_headed(data, "r.xlsx", FIELDS, marker="name")
    ((number, cells),) = list(sheet.rows)
    assert (number, sheet.header_row, parse_date(sheet.cell(cells, "hired_on"))) == (3, 2, MARCH_1)


def workbook(sheets: dict[str, list[list[object]]]) -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    book.remove(book.worksheets[0])
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    return book


def saved(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_sheet_of_instructions_in_front_is_passed_over_for_the_roster() -> None:
    book = workbook(
        {
            "填表说明": [["填表说明：身份证号请设置为文本格式"], ["联系人：办公室"]],
            "花名册": [["某区花名册"], ["姓名", "入职日期"], ["张三", dt.datetime(2024, 3, 1)]],
            "汇总": [["姓名", "合计"]],
        }
    )
    sheet = read_headed(saved(book), "r.xlsx", FIELDS, marker="name")
    assert (sheet.sheet, sheet.header_row) == ("花名册", 2)
    ((number, cells),) = list(sheet.rows)
    assert (number, parse_date(sheet.cell(cells, "hired_on"))) == (3, MARCH_1)
    # The roster in front: read as before, no sheet named.
    assert read_headed(xlsx([["姓名"], ["张三"]]), "r.xlsx", FIELDS, marker="name").sheet is None
    # No sheet has the column: refused, naming the sheets looked at.
    del book["花名册"], book["汇总"]
    book.create_sheet("统计").append(["电话"])
    with pytest.raises(TabularFileError) as none:
        read_headed(saved(book), "r.xlsx", FIELDS, marker="name")
    assert "no 姓名 (name) column (sheets: 填表说明, 统计)" in none.value.message
    assert "（工作表：填表说明、统计）" in none.value.message_zh


def test_a_later_sheet_is_held_to_the_limits_as_the_first_is() -> None:
    from shegong.kernel.data.tabular import FileLimitError

    book = workbook({"说明": [["填表说明"]], "花名册": [["姓名"], ["张三"]]})
    book["花名册"]["XFD1048576"] = "x"  # a dense reader would ask for 512 GiB
    with pytest.raises(FileLimitError) as over:
        read_headed(saved(book), "r.xlsx", FIELDS, marker="name")
    assert over.value.limit in ("max_columns", "max_rows", "max_cells")


def test_files_refused_whole_say_why_in_both_languages() -> None:
    with pytest.raises(TabularFileError) as none:
        read_headed("电话,地址\n1,2\n".encode(), "r.csv", FIELDS, marker="name")
    assert "no 姓名 (name) column" in none.value.message and "电话" in none.value.message
    assert "缺少必填列“姓名”" in none.value.message_zh
    # Under a title line, the headers quoted are the header row's, not the title's.
    titled = "2025年培训签到表\n编号,电话,地址\n1,2,3\n".encode()
    with pytest.raises(TabularFileError) as untitled:
        read_headed(titled, "r.csv", FIELDS, marker="name")
    assert "headers found: 编号, 电话, 地址" in untitled.value.message
    with pytest.raises(TabularFileError) as missing:
        read_headed(
            "姓名\n张三\n".encode(),
            "r.csv",
            FIELDS,
            marker="name",
            required=("name", "hired_on"),
            one_of=("id_number", "population"),
        )
    assert "hired_on (入职日期)" in missing.value.message
    assert "id_number (身份证号) or population" in missing.value.message
    assert "“入职日期”" in missing.value.message_zh and "“身份证号”或" in missing.value.message_zh
    twice = "姓名,身份证号,身份证号码\n张三,1,2\n".encode()
    with pytest.raises(TabularFileError) as duplicate:
        read_headed(twice, "r.csv", FIELDS, marker="name")
    assert "both mean id_number" in duplicate.value.message
    assert "同一列" in duplicate.value.message_zh
    first = read_headed(twice, "r.csv", FIELDS, marker="name", duplicates="first")
    assert first.columns["id_number"] == 1
    with pytest.raises(TabularFileError):
        read_headed(b"", "empty.csv", FIELDS, marker="name")


@pytest.mark.parametrize("cell", ["530102********0021", "530102XXXXXXXX0021", "5301**********21"])
def test_a_masked_id_number_is_kept_and_said_to_be_masked(cell: str) -> None:
    from shegong.kernel.data.sheets.cells import MASKED_ID, id_number_cell

    assert id_number_cell(cell) == (None, cell, MASKED_ID)


def test_a_suffix_without_a_word_matches_the_whole_header() -> None:
    """Suffix("", head=…): a header the pattern matches whole, as compared (a date cell,
    2025-03-10, is 20250310) — never one it matches only in part."""
    from shegong.kernel.data.sheets import Suffix
    from shegong.kernel.data.sheets.headers import HeaderLookup, header_key

    day = Suffix("", head=r"\d{1,2}月\d{1,2}日|(?:19|20)\d{6}")
    lookup = HeaderLookup({"name": ("姓名",), "day": ("签到",)}, {"day": (day,)})
    assert lookup.field("3月10日") == ("day", None)
    assert lookup.field(header_key("2025-03-10")) == ("day", None)
    assert lookup.field("培训日期3月10日") == (None, None)
    assert lookup.field("姓名") == ("name", None)
    assert not Suffix("").matches("3月10日")


def test_a_suffix_rule_for_a_field_the_sheet_does_not_read_names_nothing() -> None:
    """One service's suffix rules serve several column sets (a sign-in sheet's day columns
    beside an exam list's): a rule whose field is not among the sheet's fields names no
    column — an exam list's 取证日期 2025-06-30 cell is not a sign-in day (it had raised
    KeyError, an import's HTTP 500)."""
    from shegong.kernel.data.sheets import Suffix
    from shegong.kernel.data.sheets.headers import HeaderLookup, header_key

    day = Suffix("", head=r"(?:19|20)\d{6}")
    lookup = HeaderLookup({"name": ("姓名",)}, {"signed_at": (day,), "name": "名字"})
    assert lookup.field(header_key("2025-06-30")) == (None, None)
    assert lookup.field("学员名字") == ("name", None)
