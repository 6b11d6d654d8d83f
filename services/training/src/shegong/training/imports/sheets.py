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
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from shegong.kernel.data.sheets import (
    Cell,
    CellError,
    FormLine,
    HeadedSheet,
    Suffix,
    cell_text,
    id_number_cell,
    parse_date,
    parse_moment,
    preview,
    read_headed,
)
from shegong.kernel.data.sheets.cells import CUT_ID, MASKED_ID, NUMBER_ID
from shegong.kernel.data.sheets.vocabulary import NAME_SUFFIX, NOT_A_NAME
from shegong.training.imports.columns import EXAM_COLUMNS, SIGNIN_COLUMNS

__all__ = [
    "ABSENT",
    "CHINA",
    "EXAM_COLUMNS",
    "PRESENT",
    "SIGNIN_COLUMNS",
    "RowProblem",
    "SheetRow",
    "parse_signed_at",
    "present_mark",
    "read_sheet",
    "sign_in_day",
]

CHINA = ZoneInfo("Asia/Shanghai")

_LABELS = {name: aliases[0] for name, aliases in (SIGNIN_COLUMNS | EXAM_COLUMNS).items()}


@dataclass
class RowProblem(Exception):
    field: str
    reason: str
    reason_zh: str
    # The row named a person of this other department (refused, and recorded).
    touched: str | None = None
    # A line of the form (合计, 制表人：, the header again): reported as skipped, not refused.
    form_line: bool = False

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
    # field → the further columns' cells meaning it (上班1 | 下班1 打卡结果), one person a line
    more: dict[str, list[Cell]] = field(default_factory=dict)
    # its sheet's headers' bracketed notes (学分（1学分=3学时）), or a form line's text
    notes: tuple[str, ...] = ()

    def every(self, name: str) -> list[Cell]:
        """The cells of every column meaning field ``name`` (its own first)."""
        return [self.values.get(name), *self.more.get(name, ())]

    @property
    def at(self) -> dict[str, str | int]:
        """Where a report's entry about the row is: its sheet (if named) and number."""
        return {"row": self.row} if self.sheet is None else {"sheet": self.sheet, "row": self.row}

    @property
    def place(self) -> str:
        """The row as a message names it: "row 3", or "row 3 of sheet 大祥区"."""
        return f"row {self.row}" + (f" of sheet {self.sheet}" if self.sheet else "")

    def identity(self, by_name: bool = False) -> tuple[str | None, str | None]:
        """(ID number, phone) to find the person by. An ID number Excel kept as a number
        (its last digits lost) or masked says nothing, nor does a masked phone (139****1001,
        as meeting apps show it): the phone does, else — ``by_name``, a sign-in sheet —
        the name and the unit written beside it do, else the row is refused saying so; a
        line without either that is no person says that."""
        id_number, phone = None, self.text("phone")
        if phone and _MASKED_PHONE.search(phone):
            phone = None
        cell = self.values.get("id_number")
        parsed, raw, problem = id_number_cell(cell)
        if self.not_a_person() and not (_number_like(raw) or _number_like(phone) or parsed):
            raise RowProblem(
                "name",
                "not a person's row (a total, a heading or a note line?)",
                "不是人员行（是合计、小标题或备注行吗？）",
                form_line=True,
            )
        if parsed is not None:
            id_number = parsed.number
        elif problem in (NUMBER_ID, CUT_ID, MASKED_ID):
            # the name and the unit beside it still say who (a paper sheet's way)
            if not phone and not (by_name and self.text("organization")):
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


_MASKED_PHONE = re.compile(r"\d[*＊●xX]{3,}\d")


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
        suffixes=_SUFFIXES,
    )
    return _rows(sheet)


# A header's last resorts: a role and 姓名 (学员姓名); a punch's name before a punch-in
# app's words (上班1打卡时间 | 上班1打卡结果 | 下班1打卡时间, a day report's two-line header
# written on one line); a signature's box (学员签名, 本人签字) — never a reviewer's.
_PUNCH_IN = r"^(?:上班|上午|签到|第[1一]次)\d*$"
_PUNCH_OUT = r"^(?:下班|下午|签退|第[2二]次)\d*$"
_NOT_TRAINEE = r"审核|负责|领导|填表|制表|经办|主管|讲师|老师|教师|督导|监考"
# a course of several days, a column a day (or half-day), the header as compared (no
# spaces or dashes): 3月10日, 2025-03-10, 3.10, 3月10日(周一), 第一天, Day 1; then 上午 | 签到
_DAY = (
    r"(?:(?:19|20)\d\d(?:年|[./])?)?\d{1,2}(?:月|[./])\d{1,2}日?"
    r"(?:\((?:周|星期)[一二三四五六日天]\))?"
    r"|(?:19|20)\d{6}|第[一二三四五六七八九十\d]{1,3}天|day\d{1,2}|\d{1,2}日"
)
_ON_A_DAY = Suffix("", head=rf"(?:{_DAY})(?:上午|下午|晚上|签到)?")
_SUFFIXES: dict[str, tuple[Suffix, ...]] = {
    "name": (NAME_SUFFIX,),
    "status": (Suffix("打卡结果", head=rf"{_PUNCH_IN}|{_PUNCH_OUT}"),),
    "signed_at": (
        Suffix("打卡时间", head=_PUNCH_IN),
        Suffix("签名", not_head=_NOT_TRAINEE),
        Suffix("签字", not_head=_NOT_TRAINEE),
        _ON_A_DAY,
    ),
    "signed_out": (Suffix("打卡时间", head=_PUNCH_OUT), Suffix("", head=rf"(?:{_DAY})签退")),
    # a subject's score by its level's name: 高级社会工作实务, 初级社会工作综合能力
    "score": (Suffix("实务"), Suffix("综合能力"), Suffix("法规与政策")),
}


def _rows(sheet: HeadedSheet) -> Iterator[SheetRow]:
    blocks = _blocks(sheet)
    for line in sheet.lines():
        if isinstance(line, FormLine):  # 合计, 制表人：, the header again: no person's row
            yield SheetRow(line.row_number, {"name": None}, line.sheet, notes=(line.text,))
            continue
        number, cells = line
        row = [*cells, *[None] * (sheet.width - len(cells))]
        more: dict[str, list[Cell]] = {}
        if len(blocks) == 1:
            more = {f: [row[i] for i in at] for f, at in sheet.alternates.items()}
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
                more,
                tuple(part.notes.values()) if part is not None else (),
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


def number_or_text(cell: Cell) -> float | str | None:
    """A cell as a number where the sheet kept one, else its text (NFKC, stripped);
    ``None`` for a blank or a cell that cannot be read (学时, 学分, 完成进度, 身份证后六位)."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return float(cell)
    try:
        text = cell_text(cell)
    except CellError:
        return None
    return unicodedata.normalize("NFKC", text).strip() if text else None


def written_number(
    row: SheetRow, field: str, pattern: re.Pattern[str], problem: tuple[str, str]
) -> tuple[float, str] | None:
    """A row's ``field`` as (its number, as written): a number cell as it is, a text one
    by ``pattern``'s first group (3 学分, 85%); ``None`` for a blank; text that is no such
    number refuses the row, ``problem`` (en, zh) said of it with ``{}`` for the text."""
    value = number_or_text(row.values.get(field))
    if value is None:
        return None
    if isinstance(value, float):
        return value, f"{value:g}"
    match = pattern.fullmatch(value)
    if match is None:
        en, zh = problem
        raise RowProblem(field, en.format(value[:40]), zh.format(value[:40]))
    return float(match.group(1)), value


# a note in brackets (未结业（缺考）, 学习中(60%), 张伟（东关社区）)
BRACKETED = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]")


def word_of(said: str) -> str:
    """A cell's word without the note in brackets after it — the whole if that is all."""
    return BRACKETED.sub("", said).strip() or said


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
# there, and noted how: late, left early, signed afterwards, online or in the room
PRESENT |= {"迟到", "早退", "补签", "正常", "线上", "线下", "现场", "在线"}
# an attendance sheet's legend (考勤符号): △ is 迟到 — late, and there
PRESENT |= {"△"}
# late or gone early by so much, written in the box by hand (迟到30分钟, 早退半小时): there
_LATE_BY = re.compile(
    r"(?:迟到|晚到|早退|提前离开|提前离场)\s*约?\s*(?:\d+(?:\.\d+)?|[半一二两三四五六七八九十]+)"
    r"\s*个?\s*(?:分钟|分|小时|min|mins|minutes?|h)?"
)


def present_mark(written: str) -> bool:
    """Whether a 签到 box's words are a mark of presence: √, 已签到, 迟到 — or 迟到30分钟."""
    text = unicodedata.normalize("NFKC", written).strip().casefold()
    return text in PRESENT or _LATE_BY.fullmatch(text) is not None


ABSENT = {"×", "✗", "✘", "缺席", "缺勤", "未到", "未签到", "请假", "否", "无", "x", "n", "no"}
ABSENT |= {"未签", "缺", "缺课", "旷课", "未参加", "病假", "事假", "公假", "假"}
# ○ (typed 〇 or ◯) is 事假 / 缺勤 in the legends offices print — leave, not there
ABSENT |= {"○", "〇", "◯"}


def parse_signed_at(cell: Cell, default_day: dt.date) -> dt.datetime:
    """A sign-in time (the kernel's one reading of dates): a time alone is on the
    session's day, a blank one or a mark of presence (√, 已签到) is the day's start; a
    mark of absence (缺席, 请假) refuses the row as no attendance. China time unless the
    cell says."""
    written = cell.strip() if isinstance(cell, str) else ""
    if present_mark(written):
        return dt.datetime.combine(default_day, dt.time(0, 0), CHINA)
    if written.casefold() in ABSENT:
        raise RowProblem(
            "signed_at",
            f"signed_at: marked absent ({written}); no attendance recorded",
            f"签到时间：标为未出席（{written}），不记出勤",
        )
    if _unread_mark(written):
        # ●, ◎, ▲: a legend's mark read differently by each office — a clerk asks
        raise RowProblem(
            "signed_at",
            f"signed_at: “{written}” is a mark this import does not read (√, △ or a time: "
            "came; ×, ○ or 请假: not): no attendance recorded",
            f"签到：“{written}”是无法识别的符号（到场请填“√”“△”或时间，未到请填“×”“○”或"
            "“请假”），不记出勤",
        )
    try:
        moment = parse_moment(cell, default_day)
    except CellError as err:
        raise RowProblem.of("signed_at", cell, err) from None
    if moment is None:
        return dt.datetime.combine(default_day, dt.time(0, 0), CHINA)
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


def _unread_mark(written: str) -> bool:
    """One symbol (●, ◎, ▲) that is neither a mark read above nor a blank (-, /)."""
    return (
        len(written) == 1
        and unicodedata.category(written)[0] in "SP"
        and cell_text(written) is not None
    )
