"""Sheets as offices keep them, round train6: a course's day headed 3.10 (month.day, not
question 3), a meeting export's 参会时长 of 0 (joined, never there), and the marks some
offices use for leave (○, 〇) and lateness (△)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .test_courses_of_several_days import by_phone, sheet_of
from .test_exports_as_received import session, sign_in, workbook
from .test_signin_by_name import attended

if TYPE_CHECKING:
    from conftest import Node


async def test_a_day_headed_month_dot_day_is_a_day(training: Node) -> None:
    """3.10 | 3.11上午 | 3.11下午: the course's days — "3." is no question number there, so
    × on every day is no attendance and a time on any day is the sign-in."""
    (came, _, half), sid, report = await sheet_of(
        training,
        "程亮 13909310041, 邓红 13909310042, 付强 13909310043",
        "姓名,手机号,3.10,3.11上午,3.11 下午\n"
        "程亮,13909310041,√,√,√\n"
        "邓红,13909310042,×,×,×\n"
        "付强,13909310043,×,08:55,\n",
    )
    assert await attended(training, sid) == {came, half}, report
    assert [(r["row"], r["field"]) for r in report["rejected"]] == [(3, "signed_at")]


async def test_a_questionnaires_numbered_questions_are_still_its_fields(training: Node) -> None:
    """问卷星: "1. 您的姓名", "2.手机号码", "3. 您对本次培训的满意度" — the number in front
    is dropped as before (the name and phone are read; the satisfaction is no field)."""
    (one, two), sid, report = await sheet_of(
        training,
        "胡静 13909310044, 姜涛 13909310045",
        "序号,提交答卷时间,1. 您的姓名,2.手机号码,3. 您对本次培训的满意度\n"
        "1,2025/03/01 09:34:26,胡静,13909310044,非常满意\n"
        "2,2025/03/01 09:40:02,姜涛,13909310045,一般\n",
    )
    assert (report["recorded"], report["rejected"]) == (2, []), report
    assert await attended(training, sid) == {one, two}


async def test_leave_and_lateness_marks(training: Node) -> None:
    """○ or 〇 (请假 / 缺勤 on offices' attendance sheets) is an absence, named as such —
    and a later day's √ is still attendance; △ (迟到) came; a symbol the sheet's words do
    not explain (●) is a clerk's question, never credited."""
    (late, _, _, then, _), sid, report = await sheet_of(
        training,
        "苏敏 13909310046, 蒋伟 13909310047, 范丽 13909310048, 潘刚 13909310049, 杜娟 13909310050",
        "姓名,手机号,3月10日,3月11日\n"
        "苏敏,13909310046,△,√\n"
        "蒋伟,13909310047,○,○\n"
        "范丽,13909310048,〇,\n"
        "潘刚,13909310049,○,△\n"
        "杜娟,13909310050,●,\n",
    )
    assert await attended(training, sid) == {late, then}, report
    refused = {r["row"]: r for r in report["rejected"]}
    assert sorted(refused) == [3, 4, 6], report
    assert "○" in refused[3]["reason_zh"] and "absent" in refused[3]["reason"]
    assert "〇" in refused[4]["reason_zh"] and "absent" in refused[4]["reason"]
    assert "无法识别的符号" in refused[6]["reason_zh"] and "does not read" in refused[6]["reason"]


async def test_a_meeting_row_of_no_time_is_no_attendance(training: Node) -> None:
    """腾讯会议 / 钉钉: 参会时长 0, 0分钟, 00:00:00 beside a join time is no attendance,
    naming the field (duration); a rejoin with time in the meeting still counts, once."""
    (stayed, _, _, _, back), sid, report = await sheet_of(
        training,
        "叶青 13909310051, 吕斌 13909310052, 魏芳 13909310053, 薛军 13909310054, 阎梅 13909310055",
        "姓名,手机号,入会时间,退会时间,参会时长\n"
        "叶青,13909310051,2025-03-01 14:02,2025-03-01 16:00,01:58:00\n"
        "吕斌,13909310052,2025-03-01 14:05,2025-03-01 14:05,00:00:00\n"
        "魏芳,13909310053,2025-03-01 14:06,,0分钟\n"
        "薛军,13909310054,2025-03-01 14:07,2025-03-01 14:07,0\n"
        "阎梅,13909310055,2025-03-01 14:08,2025-03-01 14:08,0\n"
        "阎梅,13909310055,2025-03-01 14:10,2025-03-01 16:00,110\n",
    )
    assert await attended(training, sid) == {stayed, back}, report
    refused = {r["row"]: r for r in report["rejected"]}
    assert sorted(refused) == [3, 4, 5], report
    assert {r["field"] for r in refused.values()} == {"duration"}
    assert "00:00:00" in refused[3]["reason"] and "参会时长" in refused[3]["reason_zh"]
    assert "0分钟" in refused[4]["reason_zh"]
    assert [r["row"] for r in report["repeated"]] == [6], report


async def test_a_meeting_time_of_zero_in_a_workbook(training: Node) -> None:
    """An XLSX export: 入会时长 as a time cell (0:00:00) or the number 0 is no time in the
    meeting; 0:45:00 is."""
    stayed, _, _ = await by_phone(training, "戴敏 13909310056, 夏雨 13909310057, 钟磊 13909310058")
    sid = await session(training)
    rows: list[list[object]] = [
        ["姓名", "手机号", "入会时间", "入会时长"],
        ["戴敏", "13909310056", "2025-03-01 14:02", dt.time(0, 45)],
        ["夏雨", "13909310057", "2025-03-01 14:03", dt.time(0, 0)],
        ["钟磊", "13909310058", "2025-03-01 14:04", 0],
    ]
    report = await sign_in(training, sid, "参会明细.xlsx", workbook(rows))
    assert await attended(training, sid) == {stayed}, report
    refused = [(r["row"], r["field"]) for r in report["rejected"]]
    assert refused == [(3, "duration"), (4, "duration")]


async def test_a_dash_is_still_a_blank_on_a_list_of_who_came(training: Node) -> None:
    """-, / in the 签到 column of a sheet nobody signed: blanks, as before — the list of
    those who came — not unread marks."""
    ids, sid, report = await sheet_of(
        training,
        "龙飞 13909310059, 石兰 13909310060",
        "姓名,手机号,签到\n龙飞,13909310059,-\n石兰,13909310060,/\n",
    )
    assert (report["recorded"], report["rejected"]) == (2, []), report
    assert await attended(training, sid) == set(ids)
