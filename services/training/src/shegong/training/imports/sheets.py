"""Sign-in sheets (签到表) and national exam result lists (考试成绩) as rows.

Columns are found by their Chinese (or English) heading anywhere in the first rows, so a
title line above the heading does no harm. Every row comes back with the number the
clerk sees in the spreadsheet; a cell that cannot be read rejects that row only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from shegong.kernel.tabular import Cell, TabularFileError, read_table

CHINA = ZoneInfo("Asia/Shanghai")

SIGNIN_COLUMNS = {
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "证件号码", "身份证", "id_number"),
    "phone": ("手机号", "手机号码", "手机", "联系电话", "电话", "phone"),
    "signed_at": ("签到时间", "签到", "时间", "signed_at"),
}

EXAM_COLUMNS = {
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "证件号码", "身份证", "id_number"),
    "exam_year": ("考试年度", "年度", "考试年份", "exam_year", "year"),
    "level": ("级别", "考试级别", "报考级别", "level"),
    "passed": ("是否通过", "通过", "考试结果", "结果", "passed"),
    "certificate_no": ("证书编号", "证书号", "certificate_no"),
    "certified_on": ("取证日期", "发证日期", "certified_on"),
}

LEVELS = {
    "assistant": "assistant",
    "助理": "assistant",
    "初级": "assistant",
    "助理社会工作师": "assistant",
    "intermediate": "intermediate",
    "中级": "intermediate",
    "社会工作师": "intermediate",
    "senior": "senior",
    "高级": "senior",
    "高级社会工作师": "senior",
}

YES = {"是", "通过", "合格", "已通过", "yes", "y", "true", "1", "pass", "passed", "√"}
NO = {"否", "未通过", "不通过", "不合格", "no", "n", "false", "0", "fail", "failed", "×"}


class SheetFileError(TabularFileError):
    """The file as a whole cannot be used (unreadable, or a required column is missing)."""


@dataclass
class RowProblem(Exception):
    field: str
    reason: str
    reason_zh: str
    # The row named a person of this other department (refused, and recorded).
    touched: str | None = None


@dataclass
class SheetRow:
    row: int
    values: dict[str, Cell] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        return text or None


def _heading(cell: Cell) -> str:
    return re.sub(r"[\s*＊:：()（）]", "", str(cell or "")).lower()


def read_sheet(
    data: bytes,
    filename: str,
    columns: dict[str, tuple[str, ...]],
    required: Sequence[str],
    one_of: Sequence[str] = (),
) -> Iterator[SheetRow]:
    table = read_table(data, filename)
    index: dict[str, int] = {}
    for number, cells in table.rows:
        if not index:
            found = {}
            for i, cell in enumerate(cells):
                head = _heading(cell)
                for name, aliases in columns.items():
                    if name not in found and head in {a.lower() for a in aliases}:
                        found[name] = i
            if len(found) >= 2:
                names = [f"{m} ({columns[m][0]})" for m in required if m not in found]
                if one_of and not any(c in found for c in one_of):
                    names.append(" or ".join(f"{m} ({columns[m][0]})" for m in one_of))
                if names:
                    raise SheetFileError(
                        f"{filename}: row {number} is the heading but lacks column(s) "
                        f"{', '.join(names)}",
                        f"文件“{filename}”第{number}行表头缺少列：{'、'.join(names)}",
                    )
                index = found
            elif number >= 10:
                break
            continue
        yield SheetRow(
            number, {name: cells[i] if i < len(cells) else None for name, i in index.items()}
        )
    if not index:
        heads = " / ".join(aliases[0] for aliases in columns.values())
        raise SheetFileError(
            f"{filename}: no heading row found in the first 10 rows (expected {heads})",
            f"文件“{filename}”前10行中未找到表头（应包含：{heads}）",
        )


def parse_signed_at(cell: Cell, default_day: dt.date) -> dt.datetime:
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return dt.datetime.combine(default_day, dt.time(0, 0), CHINA)
    if isinstance(cell, dt.datetime):
        return cell if cell.tzinfo else cell.replace(tzinfo=CHINA)
    if isinstance(cell, dt.date):
        return dt.datetime.combine(cell, dt.time(0, 0), CHINA)
    if isinstance(cell, dt.time):
        return dt.datetime.combine(default_day, cell, CHINA)
    text = str(cell).strip().replace("/", "-").replace("T", " ")
    text = re.sub(r"(\d+)年(\d+)月(\d+)日", r"\1-\2-\3", text)
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%H:%M:%S", "%H:%M"):
        try:
            parsed = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        if fmt.startswith("%H"):
            parsed = dt.datetime.combine(default_day, parsed.time())
        return parsed.replace(tzinfo=CHINA)
    raise RowProblem(
        "signed_at",
        f"sign-in time {text!r} is not a date and time like 2025-03-01 09:00",
        f"签到时间“{text}”格式不对，应如 2025-03-01 09:00",
    )


def parse_level(text: str | None) -> str:
    level = LEVELS.get((text or "").strip().lower())
    if level is None:
        raise RowProblem(
            "level",
            f"level {text!r} is not assistant / intermediate / senior",
            f"级别“{text or ''}”应为 助理社会工作师 / 社会工作师 / 高级社会工作师",
        )
    return level


def parse_passed(text: str | None) -> bool:
    value = (text or "").strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise RowProblem(
        "passed", f"passed {text!r} is not yes/no", f"是否通过“{text or ''}”应为 是 / 否"
    )


def parse_year(text: str | None) -> int:
    match = re.fullmatch(r"(\d{4})(年|年度)?", (text or "").strip())
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        raise RowProblem(
            "exam_year", f"exam year {text!r} is not a year", f"考试年度“{text or ''}”不是年份"
        )
    return int(match.group(1))


def parse_day(cell: Cell) -> dt.date | None:
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    text = re.sub(r"(\d+)年(\d+)月(\d+)日", r"\1-\2-\3", str(cell).strip().replace("/", "-"))
    try:
        return dt.date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")))
    except ValueError:
        raise RowProblem(
            "certified_on", f"date {text!r} is not like 2025-03-01", f"日期“{text}”格式不对"
        ) from None
