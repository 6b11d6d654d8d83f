"""Headers as offices write them beyond the usual words: a paper sheet's 签名 box, a 签到
heading over 上午 | 下午, a punch-in app's day report whose two-line header was written on
one line (上班1打卡结果), a continuing-education record's 继续教育学时, and a sheet or an
exam list kept in English (Name, ID No., Mobile, Sign-in Time; Exam Year, Level, Passed).

Each column is read for what it says: a blank signature box where others signed is no
sign-in, a day whose every punch is missing or on leave is no attendance, and the sign-in
time, the hours and the result are taken from the columns that hold them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from .test_exports_as_received import (
    CHINA,
    attendance,
    refused,
    rid,
    session,
    sign_in,
    staff,
    workbook,
)

if TYPE_CHECKING:
    from conftest import Node


async def test_a_blank_signature_box_on_a_sheet_of_two_people_a_line(training: Node) -> None:
    """签名 is the sign-in box: left blank while others signed, no attendance."""
    ids = await staff(training)
    sid = await session(training)
    rows: list[list[object]] = [
        ["考前冲刺培训签到表"] + [None] * 7,
        ["序号", "姓名", "单位", "签名", "序号", "姓名", "单位", "签名"],
        [1, "高红梅", "城关社区居委会", "高红梅", 3, "何丽君", "城关社区居委会", None],
        [2, "田志强", "青松社会工作服务中心", None, 4, "罗建新", "北街道办事处", "罗建新"],
    ]
    report = await sign_in(training, sid, "签到.xlsx", workbook(rows, ("A1:H1",)))
    assert report["recorded"] == 2, report
    assert sorted((r["row"], r["field"]) for r in report["rejected"]) == [
        (3, "signed_at"),
        (4, "signed_at"),
    ]
    assert set(await attendance(training, sid)) == {ids["gao"], ids["luo"]}


async def test_a_sign_in_heading_over_morning_and_afternoon_boxes(training: Node) -> None:
    """签到 merged over 上午 | 下午: either box signed is attendance, both blank is none."""
    ids = await staff(training)
    sid = await session(training)
    rows: list[list[object]] = [
        ["序号", "姓名", "工作单位", "签到", None, "备注"],
        [None, None, None, "上午", "下午", None],
        [1, "高红梅", "城关社区居委会", "√", "√", None],
        [2, "田志强", "青松社会工作服务中心", None, "√", "下午到"],
        [3, "何丽君", "城关社区居委会", None, None, None],
    ]
    merged = ("A1:A2", "B1:B2", "C1:C2", "D1:E1", "F1:F2")
    report = await sign_in(training, sid, "签到表.xlsx", workbook(rows, merged))
    assert report["recorded"] == 2, report
    assert {row: f for row, (f, _, _) in refused(report).items()} == {5: "signed_at"}
    assert set(await attendance(training, sid)) == {ids["gao"], ids["tian"]}


async def test_a_punch_in_day_report_with_its_header_on_one_line(training: Node) -> None:
    """钉钉 每日统计 with 上班1打卡时间 | 上班1打卡结果 | 下班1打卡时间 | 下班1打卡结果: 缺卡
    on both punches, or 请假, is no attendance; 缺卡 beside 正常 is; the time is the
    morning punch's."""
    ids = await staff(training)
    sid = await session(training)
    text = (
        "姓名,部门,日期,上班1打卡时间,上班1打卡结果,下班1打卡时间,下班1打卡结果\n"
        "高红梅,城关社区居委会,25-03-01 星期六,08:41,正常,17:36,正常\n"
        "田志强,青松社会工作服务中心,25-03-01 星期六,,缺卡,17:52,正常\n"
        "何丽君,城关社区居委会,25-03-01 星期六,,缺卡,,缺卡\n"
        "罗建新,北街道办事处,25-03-01 星期六,,请假,,请假\n"
    )
    report = await sign_in(training, sid, "每日统计.csv", text.encode("gbk"))
    assert report["recorded"] == 2, report
    assert {row: f for row, (f, _, _) in refused(report).items()} == {4: "status", 5: "status"}
    signed = await attendance(training, sid)
    assert set(signed) == {ids["gao"], ids["tian"]}
    assert signed[ids["gao"]] == datetime(2025, 3, 1, 8, 41, tzinfo=CHINA)


async def test_a_continuing_education_column_named_for_what_it_is(training: Node) -> None:
    """继续教育学时 is the 学时 column: each row's completion with those hours."""
    await staff(training)
    sid = await session(training, "2025-05-20", 16)
    text = "学员姓名,工作单位,继续教育学时\n高红梅,城关社区,8\n田志强,青松社工,12\n"
    report = await sign_in(training, sid, "继续教育.csv", text.encode("gbk"))
    assert (report["recorded"], report["completed"]) == (2, 2), report
    await training.sync_own()
    figures = await training.ok("GET", "/indicators/training", params={"year": 2025})
    assert figures["hours"] == 20


async def test_a_sign_in_sheet_kept_in_english(training: Node) -> None:
    """No., Name, ID No., Mobile, Sign-in Time: the ID number and the phone find the person
    (a namesake's phone tells them apart), and the time is the one written."""
    feed = training.feed
    a = feed.register("杨军", rid("19880312", "123"), "13909311001", record_id="E1")
    b = feed.register("杨军", rid("19900101", "555"), "13909311002", record_id="E2")
    await training.sync()
    sid = await session(training)
    text = (
        "No.,Name,ID No.,Mobile,Sign-in Time\n"
        "1,杨军,,13909311002,2025-03-01 08:55\n"
        f"2,杨军,{rid('19880312', '123')},,2025-03-01 09:05\n"
    )
    report = await sign_in(training, sid, "signin.csv", text.encode("utf-8-sig"))
    assert report["recorded"] == 2 and not report["rejected"], report
    signed = await attendance(training, sid)
    assert signed == {
        b: datetime(2025, 3, 1, 8, 55, tzinfo=CHINA),
        a: datetime(2025, 3, 1, 9, 5, tzinfo=CHINA),
    }


async def test_an_exam_list_kept_in_english(training: Node) -> None:
    """Name, ID Card No., Year, Exam Level, Result, Certificate No., Date of Issue."""
    feed = training.feed
    gao = feed.register("高红梅", rid("19880312", "123"))
    tian = feed.register("田志强", rid("19900101", "555"))
    await training.sync()
    text = (
        "Name,ID Card No.,Year,Exam Level,Result,Certificate No.,Date of Issue\n"
        f"高红梅,{rid('19880312', '123')},2024,社会工作师,Y,SW2024001,2024-12-20\n"
        f"田志强,{rid('19900101', '555')},2024,助理社会工作师,N,,\n"
    )
    resp = await training.client.post(
        "/imports/exam-results", files={"file": ("results.csv", text.encode())}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["recorded"] == 2, resp.json()
    await training.sync_own()
    exams = await training.ok("GET", "/exams", params={"year": 2024})
    got = {e["worker_id"]: (e["level"], e["passed"]) for e in exams["items"]}
    assert got == {gao: ("intermediate", True), tian: ("assistant", False)}


async def test_a_pass_list_naming_each_rows_qualification(training: Node) -> None:
    """人社's 合格人员名单 of one year and two levels: 资格名称 says each row's level. Where
    it names the qualification only (社会工作者职业资格), the title's level is the row's."""
    feed = training.feed
    gao = feed.register("高红梅", rid("19880312", "123"))
    tian = feed.register("田志强", rid("19900101", "555"))
    await training.sync()
    text = (
        "2025年度社会工作者职业资格考试合格人员名单\n"
        "序号,姓名,证件号码,资格名称,管理号\n"
        f"1,高红梅,{rid('19880312', '123')},助理社会工作师,202506200001\n"
        f"2,田志强,{rid('19900101', '555')},社会工作师,202506200002\n"
    )
    resp = await training.client.post(
        "/imports/exam-results", files={"file": ("名单.csv", text.encode("gbk"))}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["recorded"] == 2, resp.json()
    text = (
        "2024年度助理社会工作师职业资格考试合格人员名单\n"
        "序号,姓名,证件号码,资格名称\n"
        f"1,田志强,{rid('19900101', '555')},社会工作者职业资格\n"
    )
    resp = await training.client.post(
        "/imports/exam-results", files={"file": ("名单2.csv", text.encode("gbk"))}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["recorded"] == 1, resp.json()
    await training.sync_own()
    exams = await training.ok("GET", "/exams")
    got = {(e["worker_id"], e["exam_year"], e["level"], e["passed"]) for e in exams["items"]}
    assert got == {
        (gao, 2025, "assistant", True),
        (tian, 2025, "intermediate", True),
        (tian, 2024, "assistant", True),
    }


async def test_a_punch_records_day_in_its_own_column(training: Node) -> None:
    """钉钉 原始记录: 考勤日期 beside a 打卡时间 of the time alone — the sign-in is on that
    day (the second day of a two-day course), not the session's first."""
    ids = await staff(training)
    sid = await session(training, "2025-03-01", 16)
    text = (
        "姓名,部门,考勤日期,打卡时间,打卡结果\n"
        "高红梅,城关社区居委会,2025-03-02,08:41,正常\n"
        "田志强,青松社会工作服务中心,2025-03-01,08:50,正常\n"
    )
    report = await sign_in(training, sid, "打卡记录.csv", text.encode("gbk"))
    assert report["recorded"] == 2, report
    assert await attendance(training, sid) == {
        ids["gao"]: datetime(2025, 3, 2, 8, 41, tzinfo=CHINA),
        ids["tian"]: datetime(2025, 3, 1, 8, 50, tzinfo=CHINA),
    }
