"""The one reading of a date (and a date with a time) in a department's spreadsheet.

Accepted, for every importer: a workbook's date or datetime cell; text ``2024-03-01``,
``2024/3/1``, ``2024.3.1``, ``2024年3月1日`` (spaces and full-width digits allowed),
``20240301``, each optionally followed by a time ``9:02``, ``09:02:30`` (``T`` or a space
between); where a moment is asked for, a time alone (``9:02``, ``8.30``, ``8点30``,
``下午2点``); an Excel serial date (a number cell such as ``45352``, 2024-03-01, as a
workbook holds a date whose column was formatted as a number; a fraction is the time of
day) or a number cell ``20240301``; the same serial as text of five digits (``31112``: a
CSV saved from such a workbook writes the number). Years 1900–2100. Anything else raises
:class:`~.cells.CellError` saying what to write, in English and Chinese.
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from functools import lru_cache

from shegong.kernel.data.days import FIRST_DAY, LAST_DAY
from shegong.kernel.data.sheets.cells import CellError, cell_text
from shegong.kernel.data.tabular import Cell

__all__ = ["DATE_FORMS", "parse_date", "parse_moment", "short_year_date", "short_year_month"]

DATE_FORMS = "2024-03-01, 2024/3/1, 2024.3.1, 2024年3月1日, 20240301"
_TIME = r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?" rf"(?:[\sT]*{_TIME})?"
)
_DATE_COMPACT = re.compile(rf"(\d{{4}})(\d{{2}})(\d{{2}})(?:[\sT]+{_TIME})?")
_TIME_ONLY = re.compile(_TIME)
# A date with a two-digit year as old lists write a birth date (85-03-12, 85.3.12,
# 85年3月12日): year, month, day; never with "/" (a US export's 3/12/85 is month first).
_SHORT_YEAR = re.compile(r"(\d{2})\s*[-.年]\s*(\d{1,2})\s*[-.月]\s*(\d{1,2})\s*[日号]?")
# …or to the month only (85年3月, 85.03; never 03-12, which may be a day without its year)
_SHORT_YEAR_MONTH = re.compile(r"(\d{2})\s*[.年]\s*(\d{1,2})\s*月?")
# A time alone written with a point, as sign-in sheets do (8.30, 14.05): hour, two-digit
# minutes. Only where a time is asked for, on the session's day; never a date.
_TIME_POINT = re.compile(r"(\d{1,2})\.(\d{2})")
# 8点30, 8时30分: an hour word followed by the minutes is spoken, whatever ends it
_HOUR_WORD = re.compile(r"\d\s*[点时]\s*\d")
# An Excel serial written as text (a CSV saved from a workbook whose date column was
# formatted as a number): five digits, 10000 (1927-05-18) to 73415 (2100-12-31).
_SERIAL_TEXT = re.compile(r"[1-7]\d{4}(?:\.0+)?")
# A time of day as Chinese sheets write it: 上午8:55 (WPS's own format), 下午2点30分,
# 8时5分, 9点 — or 2:30 PM; rewritten as 24-hour HH:MM[:SS] before it is read.
_SPOKEN_CLOCK = re.compile(
    r"(上午|早上|早晨|中午|下午|晚上)?\s*(\d{1,2})\s*(?:[点时:])\s*(?:(\d{1,2}|半)\s*分?)?"
    r"(?:\s*[:]?\s*(\d{1,2})\s*秒?)?\s*(am|pm)?$",
    re.IGNORECASE,
)
_AFTERNOON = {"中午", "下午", "晚上", "pm", "PM"}
_EXCEL_EPOCH = datetime.datetime(1899, 12, 30)  # serial 1 is 1900-01-01 (after Feb 1900)
_FIRST_SERIAL = 61  # 1900-03-01: below it Excel's serials count a 29 February 1900
_LAST_SERIAL = (LAST_DAY - _EXCEL_EPOCH.date()).days  # 73415: 2100-12-31
# the same years as a number cell 20240301 (one bound for a sheet's day and a command's: days.py)
_FIRST_NUMBER = int(FIRST_DAY.strftime("%Y%m%d"))
_LAST_NUMBER = int(LAST_DAY.strftime("%Y%m%d"))
_NOT_A_DATE = (
    f"is not a date; write it as {DATE_FORMS}",
    "不是有效日期，请按 2024-03-01、2024/3/1、2024.3.1 或 2024年3月1日 格式填写",
)
_NOT_A_MOMENT = (
    "is not a date and time; write it as 2025-03-01 09:00 (or 09:00 on the day itself)",
    "不是有效的日期时间，请按 2025-03-01 09:00 格式填写（当天可只写 09:00）",
)


def _spoken_clock(text: str) -> str:
    """``text`` with a spoken or 12-hour time at its end as HH:MM[:SS] (24-hour)."""
    spoken = (
        any(word in text for word in ("午", "早", "晚上"))
        or text[-1:] in tuple("点时分秒半")
        or _HOUR_WORD.search(text) is not None
        or text[-2:].lower() in ("am", "pm")
    )
    if not spoken:
        return text
    found = _SPOKEN_CLOCK.search(text)
    if found is None or (found.group(1) is None and found.group(5) is None and ":" in found[0]):
        return text
    part, hour, minute, second, ampm = found.groups()
    h = int(hour)
    if (part in _AFTERNOON or (ampm or "").lower() == "pm") and h < 12:
        h += 12
    elif (part in ("上午", "早上", "早晨") or (ampm or "").lower() == "am") and h == 12:
        h = 0
    minutes = 30 if minute == "半" else int(minute or 0)
    clock = f"{h:02d}:{minutes:02d}" + (f":{int(second):02d}" if second else "")
    return f"{text[: found.start()].rstrip()} {clock}".lstrip()


def _day(year: int, month: int, day: int) -> datetime.date:
    try:
        value = datetime.date(year, month, day)
    except ValueError:
        raise CellError(
            f"{year}-{month}-{day} does not exist on the calendar",
            f"日期{year}年{month}月{day}日不存在",
        ) from None
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        raise CellError(f"year {year} is not plausible", f"年份{year}不合理")
    return value


def _clock(hour: str | None, minute: str | None, second: str | None) -> datetime.time | None:
    if hour is None or minute is None:
        return None
    try:
        return datetime.time(int(hour), int(minute), int(second or 0))
    except ValueError:
        raise CellError(
            f"{hour}:{minute} is not a time of day", f"{hour}:{minute}不是有效的时刻"
        ) from None


@lru_cache(maxsize=16384)
def _from_text(text: str, *, moment: bool) -> tuple[datetime.date, datetime.time | None]:
    # a time spoken or on a 12-hour clock after the date (下午2点, 2:30 PM) as HH:MM
    text = _spoken_clock(text if text.isascii() else unicodedata.normalize("NFKC", text))
    match = _DATE.fullmatch(text) or _DATE_COMPACT.fullmatch(text)
    if match is None:
        raise CellError(*(_NOT_A_MOMENT if moment else _NOT_A_DATE))
    year, month, day, hour, minute, second = match.groups()
    value = _day(int(year), int(month), int(day))
    return value, _clock(hour, minute, second) if moment else None


def _serial(number: float) -> datetime.datetime | None:
    """An Excel serial date (with the time as its fraction); a number ``20240301``."""
    if math.isfinite(number) and _FIRST_SERIAL <= number < _LAST_SERIAL + 1:
        moment = _EXCEL_EPOCH + datetime.timedelta(days=number)
        return moment.replace(microsecond=0)
    if float(number).is_integer() and _FIRST_NUMBER <= number <= _LAST_NUMBER:
        digits = str(int(number))
        return datetime.datetime.combine(
            _day(int(digits[:4]), int(digits[4:6]), int(digits[6:])), datetime.time()
        )
    return None


def _number(cell: int | float) -> datetime.datetime:
    found = _serial(cell)
    if found is None:
        raise CellError(
            "is a number, not a date; format the cell as a date or type 2024-03-01",
            "是数字而不是日期，请将单元格设置为日期格式或填写为2024-03-01",
        )
    return found


def parse_date(cell: Cell) -> datetime.date | None:
    """A date cell → ``date``; ``None`` for blank; raises ``CellError`` (a time of day
    written after the date is allowed and dropped)."""
    if isinstance(cell, datetime.datetime):
        return cell.date()
    if isinstance(cell, datetime.date):
        return cell
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return _number(cell).date()
    text = (cell_text(cell) or "").lstrip("'‘’")  # '1985-03-12: typed as text in Excel
    if not text:
        return None
    if len(text) >= 5 and _SERIAL_TEXT.fullmatch(text):
        return _number(float(text)).date()
    return _from_text(text, moment=False)[0]


def short_year_date(cell: Cell, latest_year: int) -> datetime.date | None:
    """A text ``85-03-12`` as 1985-03-12: of the years ending in those two digits, the last
    one not after ``latest_year`` (for a birth date, the year that makes the person old
    enough to work); ``None`` where the text is no such date (12-03-85, 85-02-30)."""
    text = cell_text(cell) if isinstance(cell, str) else None
    match = _SHORT_YEAR.fullmatch(unicodedata.normalize("NFKC", text)) if text else None
    if match is None:
        return None
    two, month, day = (int(g) for g in match.groups())
    try:
        return _day(latest_year - (latest_year - two) % 100, month, day)
    except CellError:
        return None


def short_year_month(cell: Cell, latest_year: int) -> tuple[int, int] | None:
    """A text ``85年3月`` or ``85.03`` as (1985, 3), the century as ``short_year_date``
    finds it; ``None`` where the text is no such month."""
    text = cell_text(cell) if isinstance(cell, str) else None
    match = _SHORT_YEAR_MONTH.fullmatch(unicodedata.normalize("NFKC", text)) if text else None
    if match is None or not 1 <= (month := int(match.group(2))) <= 12:
        return None
    return latest_year - (latest_year - int(match.group(1))) % 100, month


def parse_moment(cell: Cell, day: datetime.date) -> datetime.datetime | None:
    """A date-and-time cell (a sign-in time) → naive or aware ``datetime``; a time alone
    (``9:02``, a workbook time cell) is on ``day``; a date alone is its midnight;
    ``None`` for blank; raises ``CellError``."""
    if isinstance(cell, datetime.datetime):
        return cell
    if isinstance(cell, datetime.date):
        return datetime.datetime.combine(cell, datetime.time())
    if isinstance(cell, datetime.time):
        return datetime.datetime.combine(day, cell)
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return _number(cell)
    text = cell_text(cell)
    if text is None:
        return None
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = _spoken_clock(text)
    clock = _TIME_ONLY.fullmatch(text)
    if clock is not None:
        return datetime.datetime.combine(day, _clock(*clock.groups()) or datetime.time())
    if (point := _TIME_POINT.fullmatch(text)) is not None:
        hour, minute = point.groups()
        return datetime.datetime.combine(day, _clock(hour, minute, None) or datetime.time())
    value, time_of_day = _from_text(text, moment=True)
    return datetime.datetime.combine(value, time_of_day or datetime.time())
