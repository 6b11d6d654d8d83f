"""Sign-in sheets (签到表) and national exam result lists (考试成绩) as rows.

Read with the kernel's spreadsheet layer (:mod:`shegong.kernel.data.sheets`): columns are
found by their Chinese (or English) heading in the first rows, so a title line above the
heading does no harm; dates and times are read as by every importer. Every row comes
back with the number the clerk sees in the spreadsheet; a cell that cannot be read
rejects that row only. A line that is no person (合计, 制表人：…, a 第二期 heading) is
rejected as such, never passed over in silence.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from shegong.kernel.data.sheets import (
    Cell,
    CellError,
    FormLine,
    HeadedSheet,
    cell_text,
    id_number_cell,
    parse_date,
    parse_moment,
    preview,
    read_headed,
)
from shegong.kernel.data.sheets.cells import MASKED_ID, NUMBER_ID
from shegong.kernel.data.sheets.vocabulary import (
    CERTIFICATE_LEVEL_HEADERS,
    CERTIFICATE_NO_HEADERS,
    CERTIFIED_ON_HEADERS,
    ID_NUMBER_HEADERS,
    MOBILE_HEADERS,
    NAME_HEADERS,
    NAME_SUFFIX,
    NOT_A_NAME,
)

CHINA = ZoneInfo("Asia/Shanghai")

# The person's columns in the words every importer reads (学员姓名 and 考生姓名 too, by the
# name's last resort), a trainee's or candidate's own words, then each sheet's own.
_PERSON = {
    "name": (*NAME_HEADERS, "学员", "考生", "参训人员", "参训学员", "培训人员", "报名人员"),
    "id_number": ID_NUMBER_HEADERS,
    "phone": MOBILE_HEADERS,
}
SIGNIN_COLUMNS = {
    **_PERSON,
    # a day in two halves: the morning's sign-in, else the afternoon's (coalesced)
    "signed_at": (
        "签到时间",
        "签到",
        "时间",
        "到场时间",
        "上午签到",
        "上午签到时间",
        "签到(上午)",
        "下午签到",
        "下午签到时间",
        "签到(下午)",
        # a QR-code sign-in's form (问卷星, 腾讯问卷) or a punch-in app
        "提交答卷时间",
        "提交时间",
        "答题时间",
        "填写时间",
        "扫码时间",
        "打卡时间",
        "signed_at",
    ),
    # the day, when a column of its own holds it (签到日期 | 签到时间 side by side)
    "signed_on": ("签到日期", "培训日期", "日期", "上课日期", "参训日期", "signed_on"),
    # what a punch-in app says of the day (钉钉: 打卡结果 正常 / 迟到 / 缺卡), beside the time
    "status": ("打卡结果", "签到状态", "签到结果", "出勤情况", "出勤状态", "考勤结果", "status"),
    # the unit, which tells namesakes apart on a sheet without ID numbers or phones
    "organization": (
        "工作单位",
        "单位",
        "所在单位",
        "单位名称",
        "工作单位名称",
        "服务单位",
        "所在机构",
        "机构名称",
        "机构",
        "部门",
        "所在部门",
        "organization",
    ),
}

EXAM_COLUMNS = {
    **_PERSON,
    "exam_year": ("考试年度", "年度", "考试年份", "考试年", "exam_year", "year"),
    "level": (
        "级别",
        "考试级别",
        "报考级别",
        "报考等级",
        "考试等级",
        "等级",
        *CERTIFICATE_LEVEL_HEADERS,
        "level",
    ),
    "passed": (
        "是否通过",
        "通过",
        "考试结果",
        "结果",
        "是否合格",
        "合格与否",
        "是否合格(通过)",
        "合格标志",
        "考试结论",
        "成绩是否合格",
        "passed",
    ),
    "certificate_no": (*CERTIFICATE_NO_HEADERS, "certificate_no"),
    "certified_on": (*CERTIFIED_ON_HEADERS, "certified_on"),
    # a list of one row per subject (社会工作综合能力 | 社会工作实务): one exam, passed when
    # every subject of it is
    "subject": ("科目", "科目名称", "考试科目", "报考科目", "subject"),
}

_LABELS = {name: aliases[0] for name, aliases in (SIGNIN_COLUMNS | EXAM_COLUMNS).items()}


@dataclass
class RowProblem(Exception):
    field: str
    reason: str
    reason_zh: str
    # The row named a person of this other department (refused, and recorded).
    touched: str | None = None

    @classmethod
    def of(cls, field: str, cell: Cell, err: CellError) -> RowProblem:
        """A cell's problem naming the field and quoting the cell, in both languages."""
        shown = preview(field, cell)
        return cls(
            field,
            f"{field}: “{shown}” {err.reason}",
            f"{_LABELS.get(field, field)}：“{shown}”{err.reason_zh}",
        )


@dataclass
class SheetRow:
    row: int
    values: dict[str, Cell] = field(default_factory=dict)
    sheet: str | None = None  # the row's sheet, when the workbook had more than one read
    title: tuple[str, ...] = ()  # the lines above its sheet's header

    @property
    def at(self) -> dict[str, str | int]:
        """Where a report's entry about the row is: its sheet (if named) and number."""
        return {"row": self.row} if self.sheet is None else {"sheet": self.sheet, "row": self.row}

    @property
    def place(self) -> str:
        """The row as a message names it: "row 3", or "row 3 of sheet 大祥区"."""
        return f"row {self.row}" + (f" of sheet {self.sheet}" if self.sheet else "")

    def identity(self) -> tuple[str | None, str | None]:
        """(ID number, phone) to find the person by. An ID number Excel kept as a number
        (its last digits lost) or masked says nothing: the phone does, else the row is
        refused saying so; a line without either that is no person says that."""
        id_number, phone = None, self.text("phone")
        cell = self.values.get("id_number")
        parsed, raw, problem = id_number_cell(cell)
        if self.not_a_person() and not (_number_like(raw) or _number_like(phone) or parsed):
            raise RowProblem(
                "name",
                "not a person's row (a total, a heading or a note line?)",
                "不是人员行（是合计、小标题或备注行吗？）",
            )
        if parsed is not None:
            id_number = parsed.number
        elif problem in (NUMBER_ID, MASKED_ID):
            if not phone:
                raise RowProblem.of("id_number", cell, CellError(*problem))
        else:
            id_number = raw  # refused by the lookup, saying why
        return id_number, phone

    def not_a_person(self) -> bool:
        name = self.text("name")
        return name is None or NOT_A_NAME.fullmatch(re.sub(r"\s+", "", name)) is not None

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        try:
            text = cell_text(value)
        except CellError:  # a number too long for Excel: its digits, refused downstream
            return str(int(value)) if isinstance(value, float) else None
        if text and name in ("id_number", "phone"):  # Excel's "this is text" prefix
            text = text.lstrip("'‘’") or None
        return text


def _number_like(text: str | None) -> bool:
    """Whether a cell could be an ID number or a phone: at least 7 digits."""
    return sum(ch.isdigit() for ch in text or "") >= 7


def read_sheet(
    data: bytes,
    filename: str,
    columns: dict[str, tuple[str, ...]],
    required: Sequence[str],
    one_of: Sequence[str] = (),
) -> Iterator[SheetRow]:
    """The sheets' data rows; a sheet's header row is the first with ``required[0]``'s
    column (every sheet of a workbook that has one is read, :mod:`~shegong.kernel.data.sheets`).
    A file without the required columns (or ``one_of`` them) is refused as a whole
    (``TabularFileError``) before any row is read. Each row carries its sheet's title."""
    sheet = read_headed(
        data,
        filename,
        columns,
        marker=required[0],
        required=required,
        one_of=one_of,
        duplicates="coalesce",
        suffixes={"name": (NAME_SUFFIX,)},
    )
    return _rows(sheet)


def _rows(sheet: HeadedSheet) -> Iterator[SheetRow]:
    blocks = _blocks(sheet)
    for line in sheet.lines():
        if isinstance(line, FormLine):  # 合计, 制表人：, the header again: no person's row
            yield SheetRow(line.row_number, {"name": None}, line.sheet)
            continue
        number, cells = line
        row = [*cells, *[None] * (sheet.width - len(cells))]
        if len(blocks) == 1:
            row = sheet.coalesced(row)
        part = sheet.part
        first = None
        for at, block in enumerate(blocks):
            values = {name: row[i] for name, i in block.items()}
            if len(blocks) > 1 and all(_empty(v) for v in values.values()):
                continue  # an empty half of a line
            if at and first is not None and _same(values, first):
                continue  # the same person written twice (姓名 and 学员姓名)
            first = values if at == 0 else first
            yield SheetRow(
                number,
                values,
                sheet.row_sheet,
                # the lines above the header, and the sheet's name (a list per level: 初级)
                (*part.title, *([part.name] if part.name else [])) if part is not None else (),
            )


def _blocks(sheet: HeadedSheet) -> list[dict[str, int]]:
    """The people a line holds, as columns: one, or — a printed sheet of two (or three)
    people a line, 姓名 身份证号 签到 | 姓名 身份证号 签到 — one per further name column,
    with the fields that repeat as often. A second name column is never dropped."""
    more = len(sheet.alternates.get("name", ()))
    return [dict(sheet.columns)] + [
        {f: others[b] for f, others in sheet.alternates.items() if len(others) == more}
        for b in range(more)
    ]


def _same(values: dict[str, Cell], first: dict[str, Cell]) -> bool:
    name = values.get("name")
    return isinstance(name, str) and name.strip() == str(first.get("name") or "").strip()


def _empty(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def sign_in_day(row: SheetRow, held_on: dt.date) -> dt.date:
    """The day of a sign-in: its own 签到日期 column's, else the session's."""
    cell = row.values.get("signed_on")
    try:
        return parse_date(cell) or held_on
    except CellError as err:
        raise RowProblem.of("signed_on", cell, err) from None


# A 签到 column often holds a mark, not a time: present (√, 已签到) is the day's start, as
# a blank is; absent (缺席, 请假) is no attendance, said as such.
PRESENT = {"√", "✓", "✔", "☑", "已签到", "签到", "已到", "到", "出席", "是", "有", "v", "y", "yes"}
PRESENT |= {"已签", "签", "到场", "已到场", "出勤", "参加", "已参加", "在"}
ABSENT = {"×", "✗", "✘", "缺席", "缺勤", "未到", "未签到", "请假", "否", "无", "x", "n", "no"}
ABSENT |= {"未签", "缺", "缺课", "旷课", "未参加", "病假", "事假", "公假", "假"}


# what a punch-in app's result column says of someone who was not there
ABSENT_STATUS = ABSENT | {"缺卡", "未打卡", "旷工", "外出", "休息", "未出勤"}


def check_status(cell: Cell) -> None:
    """A 打卡结果 / 签到状态 of absence (缺卡, 请假, 缺勤) refuses the row as no attendance,
    whatever the time column holds; 正常, 迟到, 早退 and the like are attendance."""
    written = cell.strip() if isinstance(cell, str) else ""
    if written.casefold() in ABSENT_STATUS:
        raise RowProblem(
            "status",
            f"status: marked absent ({written}); no attendance recorded",
            f"签到状态：标为未出席（{written}），不记出勤",
        )


def parse_signed_at(cell: Cell, default_day: dt.date) -> dt.datetime:
    """A sign-in time (the kernel's one reading of dates): a time alone is on the
    session's day, a blank one or a mark of presence (√, 已签到) is the day's start; a
    mark of absence (缺席, 请假) refuses the row as no attendance. China time unless the
    cell says."""
    written = cell.strip() if isinstance(cell, str) else ""
    if written.casefold() in PRESENT:
        return dt.datetime.combine(default_day, dt.time(0, 0), CHINA)
    if written.casefold() in ABSENT:
        raise RowProblem(
            "signed_at",
            f"signed_at: marked absent ({written}); no attendance recorded",
            f"签到时间：标为未出席（{written}），不记出勤",
        )
    try:
        moment = parse_moment(cell, default_day)
    except CellError as err:
        raise RowProblem.of("signed_at", cell, err) from None
    if moment is None:
        return dt.datetime.combine(default_day, dt.time(0, 0), CHINA)
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)
