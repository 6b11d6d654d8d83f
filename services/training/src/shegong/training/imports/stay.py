"""How much of a session a row's person was there for, where the sheet says it: an online
course's 完成进度 (85% is not finished — no attendance), and a sign-in beside a sign-out
(签到 09:00 | 签退 09:05 of a three-hour session is no attendance a clerk would credit).

Never a guess either way: a stay shorter than half the session, or a progress that cannot
be read, refuses the row naming the field, for a clerk to decide; a row with its own 学时
says its hours itself, and a meeting's line its 参会时长: neither is measured here.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from shegong.kernel.data.sheets import Cell, CellError, parse_moment
from shegong.training.imports.sheets import (
    RowProblem,
    SheetRow,
    number_or_text,
    word_of,
    written_number,
)

# a stay shorter than this share of the session's hours is not attendance by itself
SHORTEST_SHARE = 0.5

_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%?")


# a platform's progress in words (已完成, 学习中) or in lessons done of all (12/12, 8/12)
FINISHED = {"已完成", "完成", "已学完", "学完", "已结业", "已通过"}
UNFINISHED = ("未完成", "学习中", "进行中", "未开始", "未学完", "未学习", "未学", "未结业")
_LESSONS = re.compile(r"(\d+)\s*/\s*(\d+)\s*(?:节|课|讲|课时|学时)?")


def _progress_in_words(row: SheetRow) -> float | None:
    """A 学习进度 written as a word or as lessons done of all, as a share (100 finished);
    ``None`` for a number, a percentage or a blank, which :func:`check_progress` reads."""
    value = number_or_text(row.values.get("progress"))
    if not isinstance(value, str):
        return None
    said = unicodedata.normalize("NFKC", value).strip()
    word = word_of(said)  # 已完成(100%), 学习中(60%)
    if word in FINISHED:
        return 100.0
    if word.startswith(UNFINISHED):
        return 0.0
    if (lessons := _LESSONS.fullmatch(said)) and int(lessons.group(2)) > 0:
        return 100 * int(lessons.group(1)) / int(lessons.group(2))
    return None


def check_progress(row: SheetRow) -> None:
    """Refuse a row whose 完成进度 (学习进度) is under 100% — 85%, 学习中, 8/12 lessons: the
    course not finished, no attendance recorded — and one that is no share at all, for a
    clerk."""
    share, written = _share(row)
    if share is not None and share < 100:
        raise RowProblem(
            "progress",
            f"progress: {written} — the course is not finished; no attendance recorded",
            f"完成进度：{written}，课程未学完，不记出勤",
        )


def _share(row: SheetRow) -> tuple[float | None, str]:
    """The row's progress as a share of 100 (``None``: blank), and as written."""
    if (share := _progress_in_words(row)) is not None:
        return share, row.text("progress") or ""
    read = written_number(
        row,
        "progress",
        _PERCENT,
        (
            "progress: “{}” is not a share of the course (write 100%)",
            "完成进度：“{}”不是完成比例（请填写如 100%），不记出勤",
        ),
    )
    if read is None:
        return None, ""
    number, written = read  # 0.85 or 85 or 85%: a share of one where it is no percent
    return (number * 100 if "%" not in written and number <= 1 else number), written


def _moments(cells: list[Cell], day: dt.date) -> list[dt.datetime]:
    found = []
    for cell in cells:
        if isinstance(cell, str) and not re.search(r"\d{1,2}\s*[:：]\s*\d{2}", cell):
            continue  # √, 请假: a mark, no time
        try:
            moment = parse_moment(cell, day)
        except CellError:
            continue
        if moment is not None and moment.time() != dt.time():
            found.append(moment.replace(tzinfo=None))
    return found


def check_stay(row: SheetRow, session_hours: float, day: dt.date) -> None:
    """Refuse a row whose earliest sign-in and latest sign-out (on one day) are less than
    half the session's hours apart: signed in and gone (签到 09:00, 签退 09:05) — a clerk
    decides, nothing is credited. A row without both times, or with its own 学时, is not
    measured, nor a meeting's line of one join among several (its 参会时长 says the time).
    """
    if row.values.get("hours") not in (None, "") or "duration" in row.values:
        return
    if session_hours <= 0:
        return
    ins = _moments(row.every("signed_at"), day)
    outs = _moments(row.every("signed_out"), day)
    if not ins or not outs:
        return
    start, end = min(ins), max(outs)
    if start.date() != end.date() or end < start:
        return
    minutes = (end - start).total_seconds() / 60
    if minutes < session_hours * 60 * SHORTEST_SHARE:
        shown = f"{start:%H:%M}–{end:%H:%M}"
        raise RowProblem(
            "signed_out",
            f"signed_out: there {shown} ({minutes:.0f} min) of a {session_hours:g}-hour "
            "session: no attendance recorded; a clerk decides what to credit",
            f"签退时间：{shown}（{minutes:.0f}分钟），本次培训{session_hours:g}学时，"
            "在场不足一半，不记出勤，请人工核定",
        )
