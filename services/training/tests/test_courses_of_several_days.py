"""Sheets as offices keep them, round train5: a course of several days with a column a
day (or half-day) — √ / × / 请假 / 迟到 under 3月10日, times under 4月8日上午 — read as
the course's sign-in boxes: someone absent every day did not come, someone there on any
day did."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest

from .test_exports_as_received import workbook
from .test_signin_by_name import attended, sign_in

if TYPE_CHECKING:
    from conftest import Node


async def by_phone(training: Node, people: str, by: str = "phone") -> list[str]:
    """Register ``people`` ("郭燕 13909310019, 林志强 13909310020"), each with that phone
    (or ``by`` another field: id_number): their worker ids."""
    pairs = [p.split() for p in people.split(",")]
    ids = [training.feed.register(name, **{by: key}) for name, key in pairs]
    await training.sync()
    return ids


async def sheet_of(training: Node, people: str, sheet: str) -> tuple[list[str], str, dict]:
    """``people`` registered by phone (:func:`by_phone`), then ``sheet`` imported as a
    session's 签到表: (their ids, the session, the report)."""
    ids = await by_phone(training, people)
    sid, report = await sign_in(training, sheet)
    return ids, sid, report


async def test_a_column_a_day_of_marks(training: Node) -> None:
    """3月10日 | 3月11日 | 3月12日 with √, 迟到, 早退, 请假, ×: absent on every day (× or
    请假) is no attendance, naming the field; 请假 on the first day then √ is attendance."""
    came, late, away, leave = await by_phone(
        training,
        "马晓燕 621102199004121287, 陈建国 621126197501180351, 李娜 621102199208172465, "
        "王芳 621102198803051022",
        by="id_number",
    )
    sid, report = await sign_in(
        training,
        "姓名,身份证号,3月10日,3月11日,3月12日\n"
        "马晓燕,621102199004121287,√,√,√\n"
        "陈建国,621126197501180351,请假,迟到,√\n"
        "李娜,621102199208172465,×,×,×\n"
        "王芳,621102198803051022,请假,请假,请假\n",
    )
    assert await attended(training, sid) == {came, late}, report
    refused = {r["row"]: r for r in report["rejected"]}
    assert sorted(refused) == [4, 5]
    assert {r["field"] for r in refused.values()} == {"signed_at"}
    assert "请假" in refused[5]["reason_zh"] and "absent" in refused[5]["reason"]
    assert leave not in await attended(training, sid) and away not in await attended(training, sid)


async def test_half_days_with_times_and_a_row_left_blank(training: Node) -> None:
    """4月8日上午 | 4月8日下午 | 第二天上午 with times: a row blank on every day, where
    others signed, is no attendance; 请假 then a time is the time."""
    (both, second, _), sid, report = await sheet_of(
        training,
        "郭燕 13909310019, 林志强 13909310020, 黄丽 13909310021",
        "姓名,手机号,4月8日上午,4月8日下午,第二天上午\n"
        "郭燕,13909310019,08:50,14:02,08:47\n"
        "林志强,13909310020,请假,请假,08:59\n"
        "黄丽,13909310021,,,\n",
    )
    assert await attended(training, sid) == {both, second}, report
    assert [(r["row"], r["field"]) for r in report["rejected"]] == [(4, "signed_at")]
    await training.sync_own()
    detail = await training.ok("GET", f"/sessions/{sid}")
    times = {a["worker_id"]: a["signed_at"] for a in detail["attendance"]}
    assert "08:59" in times[second] or "00:59" in times[second], times


async def test_a_time_written_with_a_note_of_how_they_came(training: Node) -> None:
    """09:15（迟到）, 8:30 补签: the time, the note dropped — not a row refused as "not a
    date and time"."""
    (late, after), sid, report = await sheet_of(
        training,
        "罗刚 13909310022, 高慧 13909310023",
        "姓名,手机号,签到时间\n罗刚,13909310022,09:15（迟到）\n高慧,13909310023,8:30 补签\n",
    )
    assert (report["recorded"], report["rejected"]) == (2, []), report
    assert await attended(training, sid) == {late, after}


async def test_a_remark_that_they_came_beside_a_blank_box(training: Node) -> None:
    """备注 补签 (signed afterwards), 线上参加 (took part online), 中途离场 beside a blank box
    on a sheet where others signed: attendance; 请假 there is still none, naming 备注, and
    线上请假 (a word of coming beside one of absence) is left to a clerk."""
    (there, later, online, left, _, _), sid, report = await sheet_of(
        training,
        "宋佳 13909310025, 谢婷 13909310026, 韩磊 13909310027, 唐静 13909310028, "
        "冯雪 13909310029, 曹阳 13909310030",
        "姓名,手机号,签到,备注\n"
        "宋佳,13909310025,√,\n"
        "谢婷,13909310026,,补签\n"
        "韩磊,13909310027,,线上参加\n"
        "唐静,13909310028,,中途离场\n"
        "冯雪,13909310029,,请假\n"
        "曹阳,13909310030,,线上请假\n",
    )
    assert await attended(training, sid) == {there, later, online, left}, report
    refused = [(r["row"], r["field"]) for r in report["rejected"]]
    assert refused == [(6, "remark"), (7, "signed_at")]


async def test_an_online_courses_export_of_who_finished(training: Node) -> None:
    """An online course's export: 是否完成 否 (学习时长 0) or 完成情况 未完成 is no
    attendance, naming the field (status) — it was credited as one; 是 is attendance."""
    (done, _), sid, report = await sheet_of(
        training,
        "彭丽 13909310033, 曾敏 13909310034",
        "姓名,手机号,参训方式,学习时长（分钟）,是否完成\n"
        "彭丽,13909310033,线上,350,是\n"
        "曾敏,13909310034,线上,0,否\n",
    )
    assert await attended(training, sid) == {done}, report
    assert [(r["row"], r["field"]) for r in report["rejected"]] == [(3, "status")]
    assert "否" in report["rejected"][0]["reason_zh"]


@pytest.mark.parametrize(
    "days",
    [
        [dt.datetime(2025, 3, 10), dt.datetime(2025, 3, 11)],  # Excel's date cells
        ["2025-03-10", "2025-03-11"],
        ["3月10日（周一）", "3月11日（周二）"],
        ["3/10", "3/11"],
        ["Day 1", "Day 2"],
    ],
)
async def test_days_headed_as_dates_are_read(training: Node, days: list[object]) -> None:
    """A day's column headed by a date cell, an ISO date, a weekday after it, 3/10 or
    Day 1: read as the day's boxes — × on both days is no attendance."""
    came, _ = await by_phone(
        training, "马晓燕 621102199004121287, 李娜 621102199208172465", by="id_number"
    )
    body = {"kind": "骨干培养", "title": "两天", "held_on": "2025-03-10", "hours": 12}
    sid = (await training.ok("POST", "/sessions", json=body))["session"]["session_id"]
    sheet = workbook(
        [
            ["姓名", "身份证号", *days],
            ["马晓燕", "621102199004121287", "√", "√"],
            ["李娜", "621102199208172465", "×", "×"],
        ]
    )
    resp = await training.client.post(
        f"/sessions/{sid}/signin-sheet", files={"file": ("考勤.xlsx", sheet)}
    )
    report = resp.json()
    assert await attended(training, sid) == {came}, report
    assert [(r["row"], r["field"]) for r in report["rejected"]] == [(3, "signed_at")]


@pytest.mark.parametrize("header", ["是否签到", "是否出勤", "出勤", "考勤", "出缺勤", "到课情况"])
async def test_an_attendance_column_as_offices_head_it(training: Node, header: str) -> None:
    """是否签到 | 是否出勤 | 出勤 | 考勤 | 出缺勤 | 到课情况 with 是 / 否 (缺勤): the column was
    unread and the sheet taken as a list of those who came — 否 credited as attendance."""
    (came, _, _), sid, report = await sheet_of(
        training,
        "许文 13909310031, 邓超 13909310032, 曾敏 13909310034",
        f"姓名,手机号,{header}\n许文,13909310031,是\n邓超,13909310032,否\n曾敏,13909310034,缺勤\n",
    )
    assert await attended(training, sid) == {came}, report
    assert [(r["row"], r["field"]) for r in report["rejected"]] == [(3, "status"), (4, "status")]


@pytest.mark.parametrize("header", ["出勤天数", "实到天数", "出勤次数", "出勤率"])
async def test_a_count_of_days_attended(training: Node, header: str) -> None:
    """出勤天数 3 / 3/3 / 1天 is attendance; 0, 0/3 or 0% counted no day: no attendance,
    naming the field (status) — the column was unread and everyone credited."""
    (came, twice, once, _, _, _), sid, report = await sheet_of(
        training,
        "许文 13909310031, 邓超 13909310032, 彭丽 13909310033, "
        "曾敏 13909310034, 蒋涛 13909310035, 沈红 13909310036",
        f"姓名,手机号,{header}\n许文,13909310031,3\n邓超,13909310032,2/3\n彭丽,13909310033,1天\n"
        "曾敏,13909310034,0\n蒋涛,13909310035,0/3\n沈红,13909310036,0%\n",
    )
    assert await attended(training, sid) == {came, twice, once}, report
    refused = [(r["row"], r["field"]) for r in report["rejected"]]
    assert refused == [(5, "status"), (6, "status"), (7, "status")]
