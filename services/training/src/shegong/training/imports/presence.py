"""Whether a sign-in sheet's row says its person came, and who an online meeting's
nickname is — as the exports a training office receives write them.

* **The day as apps write it**: 钉钉's ``25-03-01 星期六``, 企业微信's ``2025/04/10 星期四``
  — a weekday after the date, a two-digit year — are the day (:func:`app_day`).
* **A punch-in app's results** (打卡结果, 校准状态, 是否参加, one column or one per punch:
  上班1 | 下班1): someone is absent when every result says so — 请假, 旷工, 缺席, 否, × —
  or when every result says only that a punch is missing (缺卡, 下班未打卡) and the row
  shows no punch at all. 缺卡 for the morning beside 正常 for the evening is attendance.
* **A paper sheet's boxes**: a blank 签到 (and 签退) box on a sheet where others signed is
  no sign-in; a 备注 of 请假 or 缺席 beside blank boxes is an absence, one of 补签,
  线上参加 or 中途离场 an attendance (:func:`_says_came`). A name written
  in the 签到 box (the person's signature, typed) is a sign-in. A sheet whose 签到 column
  nobody filled in is a list of those who came.
* **A meeting's participant list** (腾讯会议, 钉钉会议: 用户昵称, 参会时长): who the
  nickname is, and a time in the meeting of 0 — :mod:`~.meetings`.

* **学时** (a continuing-education record): the hours the row's person completed, at
  most the session's — more is credited as the session's (:func:`row_hours`).

Each refusal is a :class:`~.sheets.RowProblem` naming the field, in English and Chinese.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable

from shegong.kernel.data.names import name_key, read_alike
from shegong.kernel.data.sheets import Cell, CellError, cell_text
from shegong.training.imports.meetings import UNIT_HINT, looks_like_name, no_time_there
from shegong.training.imports.sheets import ABSENT, RowProblem, SheetRow, present_mark
from shegong.training.imports.sheets import BRACKETED as _BRACKETED

# what an app's result says of a day someone did not come at all
ABSENCE = ABSENT | {
    "旷工",
    "外出",
    "出差",
    "休息",
    "调休",
    "年假",
    "婚假",
    "丧假",
    "产假",
    "未出勤",
    "缺席",
    "未参会",
    "未入会",
    "未完成",
    "未学习",
    # an online course still under way, or never begun: not finished, not there
    "学习中",
    "进行中",
    "未开始",
    "未学完",
    "未结业",
}
# what it says of a punch that is missing (the other punch of the day may be there)
MISSED = {"缺卡", "未打卡", "漏卡", "漏打卡", "缺勤卡", "未签退"}

_WEEKDAY = re.compile(r"[(（]?\s*(?:星期|礼拜|周)[一二三四五六日天]\s*[)）]?")
_SHORT_YEAR = re.compile(r"(\d{2})([-/.])(\d{1,2})\2(\d{1,2})(?!\d)")
_ISO_OFFSET = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})"
)
_MARK_BEFORE = re.compile(r"^(?:√|✓|✔|已签到|已签|签到)\s*(?=\d)")
_SPAN = re.compile(r"(\d{1,2}:\d{2}(?::\d{2})?)\s*[-~—至到]\s*\d{1,2}:\d{2}(?::\d{2})?")
_YEAR_LAST = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?=\s|$)")
# 3月1日, 03-01, 3/1 — never 8.30, which is as often a time as a day
_MONTH_DAY = re.compile(r"(\d{1,2})\s*(?:月\s*(\d{1,2})\s*日?|[-/]\s*(\d{1,2}))(?=\s|$)")
_COUNT = re.compile(r"\d+(?:\.\d+)?\s*(?:次|天|小时|分钟|%|h|min)?", re.IGNORECASE)
_HALF = re.compile(r"^(?:上班|下班|上午|下午|签到|签退)(?=.)")
_NONE_COUNTED = re.compile(r"0+(?:\.0+)?\s*(?:次|天|日|%)?\s*(?:/\s*\d+\s*(?:次|天|日)?)?")
_CLOCK = re.compile(r"\d{1,2}\s*[:：]\s*\d{2}")
_NOTE_AFTER = re.compile(r"(?<=\d)\s*[\u4e00-\u9fff]+$")


class MissedPunch(RowProblem):
    """A row whose result only says a punch is missing (缺卡, 下班未打卡) and shows none:
    an absence unless the person's other row of the day signs them in."""

    # what the report says of the row when another row signed its person in
    on_this_row = ("a punch missing on this row", "本行缺卡")


class NoTimeThere(MissedPunch):
    """A meeting's row of 0 minutes (参会时长 0): joined and gone, or never there — an
    absence unless the person's other row (a rejoin) shows time in the meeting."""

    on_this_row = ("no time in the meeting on this row", "本行参会时长为0")


def app_day(cell: Cell, on: dt.date | None = None) -> Cell:
    """A date (and time) as apps and clerks write it, as the kernel reads dates: the
    weekday dropped (``2025/04/10 星期四``), a two-digit year read as this century's
    (``25-03-01`` is 2025-03-01), a month and day without the year in ``on``'s year
    (``3月1日 8:30``, ``03-01 08:30``), a note after the time (``09:15（迟到）``,
    ``8:30 补签``) dropped, the year last (``10/09/2025 02:01 PM``: the
    session's day ``on`` if one reading is it, else month first, as such exports write
    it), a mark before the time (``√ 8:30``), a shift's span as its start (``8:30-17:00``),
    ISO 8601 with its offset. Anything else is returned as it was."""
    if not isinstance(cell, str):
        return cell
    text = _WEEKDAY.sub(" ", unicodedata.normalize("NFKC", cell)).strip()
    text = " ".join(text.split())
    if _ISO_OFFSET.fullmatch(text):
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    text = _MARK_BEFORE.sub("", text)
    if _CLOCK.search(text):  # 09:15（迟到）, 8:30 补签: the time, and a note of how they came
        text = _NOTE_AFTER.sub("", _BRACKETED.sub(" ", text)).strip()
    if span := _SPAN.fullmatch(text):
        text = span.group(1)
    match = _SHORT_YEAR.match(text)
    if match and (len(text) == match.end() or text[match.end()] == " "):
        short, _, month, day = match.groups()
        text = f"20{short}-{month}-{day}{text[match.end() :]}"
    elif match := _YEAR_LAST.match(text):
        first, second, year = (int(g) for g in match.groups())
        month, day = (second, first) if on == _day(year, second, first) else (first, second)
        text = f"{year}-{month}-{day}{text[match.end() :]}"
    elif on is not None and (match := _MONTH_DAY.match(text)):
        day = match.group(2) or match.group(3)
        text = f"{on.year}-{match.group(1)}-{day}{text[match.end() :]}"
    return text if text else cell


def _day(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _text(cell: Cell) -> str | None:
    try:
        return cell_text(cell)
    except CellError:
        return None


def _parts(text: str) -> list[str]:
    """A result's words: ``上班缺卡,下班正常`` → 缺卡, 正常; ``迟到1次`` → 迟到."""
    text = _COUNT.sub("", _BRACKETED.sub("", unicodedata.normalize("NFKC", text)))
    words = (w.strip().casefold() for w in re.split(r"[,，;；、/|\s]+", text))
    return [_HALF.sub("", w) for w in words if w]


def _kind(word: str) -> str:
    if word in ABSENCE:
        return "absent"
    if word in MISSED:
        return "missed"
    return "present"


def _says_absent(text: str) -> bool:
    """Whether a note (备注, a name's bracketed remark) says its person was not there."""
    inner = re.sub(r"^[(（\[【]|[)）\]】]$", "", text.strip())
    return any(_kind(w) == "absent" for w in _parts(inner))


# a note that its person came, though the box is blank: signed afterwards (补签), took part
# online (线上参加), came late or left early (迟到, 中途离场)
_CAME = re.compile(r"^(?:补签|补到|线上|网上|在线|视频|远程|现场|迟到|早退|中途|提前离)")


def _says_came(text: str | None) -> bool:
    """Whether a 备注 says its person was there (补签, 线上参加, 中途离场) — and nothing of
    an absence in the same words (线上请假, 补签未到: a clerk's to decide)."""
    words = _parts(text or "")
    gone = any(a in w for w in words for a in ABSENCE if len(a) > 1) or "假" in (text or "")
    return not gone and any(_CAME.match(w) for w in words)


def _marks(row: SheetRow) -> list[Cell]:
    """The row's sign-in and sign-out cells that say something (not blank, no absence)."""
    cells = [*row.every("signed_at"), *row.every("signed_out")]
    return [c for c in cells if _text(c) is not None and not _absence_mark(c)]


def _absence_mark(cell: Cell) -> bool:
    text = _text(cell)
    return text is not None and text.strip().casefold() in ABSENT | MISSED


def sign_in_cell(row: SheetRow) -> Cell:
    """The 签到 cell the row's sign-in is read from: of a course's day columns (3月10日
    请假 | 3月11日 √), the first that says the person came, else the row's own."""
    marks = [c for c in row.every("signed_at") if _text(c) is not None and not _absence_mark(c)]
    return marks[0] if marks else row.values.get("signed_at")


def signed(row: SheetRow) -> bool:
    """Whether the row's 签到 or 签退 box holds anything but blank or an absence."""
    return bool(_marks(row))


def _punched(row: SheetRow) -> bool:
    """Whether a time of day is among the row's sign-in or sign-out cells."""
    for cell in (*row.every("signed_at"), *row.every("signed_out")):
        if isinstance(cell, dt.time):
            return True
        if isinstance(cell, dt.datetime) and cell.time() != dt.time():
            return True
        text = _text(cell)
        if text is not None and _CLOCK.search(unicodedata.normalize("NFKC", text)):
            return True
    return False


def check_presence(row: SheetRow, others_signed: bool) -> None:
    """Refuse a row that says its person did not come (:class:`RowProblem`, naming the
    field that says so); ``others_signed``: whether others signed on the row's sheet.
    A line that is no person (合计, 制表人：) is left to say so itself."""
    if row.not_a_person():
        return
    results = [t for t in (_text(c) for c in row.every("status")) if t]
    kinds = {_kind(w) for t in results for w in _parts(t)}
    if any(_NONE_COUNTED.fullmatch(unicodedata.normalize("NFKC", t).strip()) for t in results):
        kinds.add("absent")  # 出勤天数 0, 0/3, 0%: no day counted
    if kinds and "present" not in kinds and ("absent" in kinds or not _punched(row)):
        said = "、".join(results)
        raise (RowProblem if "absent" in kinds else MissedPunch)(
            "status",
            f"status: marked absent ({said}); no attendance recorded",
            f"签到状态：标为未出席（{said}），不记出勤",
        )
    if stayed := no_time_there(row):
        raise NoTimeThere(
            "duration",
            f"duration: {stayed} — no time in the meeting (or course); no attendance recorded",
            f"参会时长：{stayed}，未实际参会（或学习），不记出勤",
        )
    if signed(row):
        _check_signed_remark(row.text("remark"))
        return
    name = row.text("name") or ""
    if notes := [n for n in _BRACKETED.findall(name) if _says_absent(n)]:
        raise RowProblem(
            "name",
            f"name: marked absent ({notes[0]}) and not signed in; no attendance recorded",
            f"姓名：标注为未出席{notes[0]}且未签到，不记出勤",
        )
    boxes = [*row.every("signed_at"), *row.every("signed_out")]
    if marks := [t for t in (_text(c) for c in boxes) if t and _absence_mark(t)]:
        raise RowProblem(
            "signed_at",
            f"signed_at: marked absent ({marks[0]}); no attendance recorded",
            f"签到时间：标为未出席（{marks[0]}），不记出勤",
        )
    remark = row.text("remark")
    if remark and _says_absent(remark):
        raise RowProblem(
            "remark",
            f"remark: marked absent ({remark}) and not signed in; no attendance recorded",
            f"备注：标为未出席（{remark}）且未签到，不记出勤",
        )
    if others_signed and "present" not in kinds and not _says_came(remark):
        raise RowProblem(
            "signed_at",
            "signed_at: blank, while others on this sheet signed in: no attendance "
            "recorded (write √ or the time if they came)",
            "签到：空白（本表其他人员已签到），不记出勤；如已到场，请填写“√”或签到时间",
        )


# a 备注 that the box was signed by another (代签, 由李娜代签, 替签): the mark is not theirs
_SIGNED_BY_ANOTHER = re.compile(r"代签|代为签|替签|代其签|代他签|代她签")


def _check_signed_remark(remark: str | None) -> None:
    """Refuse a signed row whose 备注 takes the mark back: 代签 (someone signed for them),
    or an absence alone (请假, 缺席) — the box and the note disagree, a clerk decides."""
    said = unicodedata.normalize("NFKC", remark or "").strip().strip("。.")
    if _SIGNED_BY_ANOTHER.search(said):
        raise RowProblem(
            "remark",
            f"remark: {said} — signed for them by another (代签): no attendance recorded",
            f"备注：{said}（他人代签），不记出勤",
        )
    if said.casefold() in ABSENCE - {"否", "无", "n", "no"}:
        raise RowProblem(
            "remark",
            f"remark: {said}, though the box is signed — a clerk decides; no attendance recorded",
            f"备注：{said}，与签到栏不符，请人工核定，暂不记出勤",
        )


def sheets_signed(rows: Iterable[SheetRow]) -> set[str | None]:
    """The sheets (by name; ``None`` for a one-sheet file) where someone signed in."""
    return {row.sheet for row in rows if not row.not_a_person() and signed(row)}


def signature(cell: Cell, name: str | None) -> bool:
    """Whether a 签到 box holds the row's own name (a signature, typed) or a mark of
    presence (√, 已签到)."""
    text = _text(cell)
    if text is None:
        return False
    if present_mark(text):
        return True
    return bool(name) and _own_signature(name_key(text), name_key(name or ""))


def _own_signature(signed: str, own: str) -> bool:
    """The row's own name — or, a photographed sheet's signature typed up, that name with
    one character typed for one read alike (孙月 for 孙悦); someone else's name, or the
    name with 代 after it (李娜代: signed for them), is not."""
    return signed == own or (read_alike(signed, own) and looks_like_name(signed))


_FOR_ANOTHER = re.compile(r"(?:代签到|代签|代)$")
# a part of the day written in the box: a time not read, never a name
_DAY_PART = re.compile(r"(?:上午|下午|中午|晚上|早上|早晨|凌晨|傍晚|全天|半天|当天|今天)")


def signed_for(cell: Cell, name: str | None) -> None:
    """Refuse a 签到 box that holds a person's name but not the row's own (李娜, 李娜代):
    someone signed for them (代签) — no attendance, and the report says so rather than
    "not a time"."""
    text = (_text(cell) or "").strip()
    if not text or signature(cell, name):
        return
    who = _FOR_ANOTHER.sub("", text)
    if looks_like_name(who) and not _DAY_PART.search(who):
        raise RowProblem(
            "signed_at",
            f"signed_at: “{text}” is neither a time nor this person's signature (another's "
            "name — signed for them, 代签?): no attendance recorded",
            f"签到：“{text}”既不是时间也不是本人签名（他人姓名，代签？），不记出勤",
        )


def unit_in_name(name: str | None) -> str | None:
    """The unit a paper sheet wrote in brackets after a name (张伟（东关社区）, 李娜(红叶社工)),
    which tells namesakes apart as a 工作单位 column does; ``None`` for a clerk's note
    (王伟(兼), 请假) or no brackets."""
    for note in _BRACKETED.findall(unicodedata.normalize("NFKC", name or "")):
        inner = note[1:-1].strip()
        if inner and UNIT_HINT.search(inner) and not _says_absent(note):
            return inner
    return None


_HOURS = re.compile(r"(\d+(?:\.\d+)?)\s*(?:个)?\s*(?:学时|小时|课时|h|hours?)?", re.IGNORECASE)


def row_hours(row: SheetRow, session_hours: float) -> float | None:
    """The 学时 a row credits (``None``: no such column, a blank or 0 — attendance only),
    at most the session's: a record of more (a year's hours, a course longer than the
    session) still says the person came and completed it, and is credited the session's
    hours. A cell that is no number of hours refuses the row."""
    cell = row.values.get("hours")
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        hours = float(cell)
    else:
        text = _text(cell)
        if text is None:
            return None
        match = _HOURS.fullmatch(unicodedata.normalize("NFKC", text).strip())
        if match is None:
            raise RowProblem(
                "hours",
                f"hours: “{text[:40]}” is not a number of hours (write 3 or 2.5)",
                f"学时：“{text[:40]}”不是学时数（请填写如 3 或 2.5）",
            )
        hours = float(match.group(1))
    return min(hours, session_hours) if hours > 0 else None
