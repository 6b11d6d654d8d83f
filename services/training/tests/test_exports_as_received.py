"""Attendance as a training office receives it: a punch-in app's day report (钉钉 每日统计,
企业微信 打卡日报), an online meeting's participant list (腾讯会议), a paper sheet typed
into Excel (签到 | 签退 | 备注), a continuing-education record (学时), an exam list with 缺考.

Only those who came are counted, each once; an absence is reported naming the field that
says so; a nickname finds its person by the name and unit it says, and namesakes it does
not tell apart stay unresolved."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import openpyxl
import pytest
from stdnum.cn import ric

from shegong.training.imports.meetings import from_nickname
from shegong.training.imports.presence import app_day
from shegong.training.imports.sheets import CHINA, RowProblem, parse_signed_at

if TYPE_CHECKING:
    from conftest import Node


def rid(birth: str, serial: str) -> str:
    body = f"620102{birth}{serial}"
    return body + ric.calc_check_digit(body + "0")


def workbook(rows: list[list[object]], merged: tuple[str, ...] = ()) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for cells in merged:
        sheet.merge_cells(cells)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


async def session(node: Node, held_on: str = "2025-03-01", hours: float = 8) -> str:
    body = {"kind": "骨干培养", "title": "骨干培训", "held_on": held_on, "hours": hours}
    return str((await node.ok("POST", "/sessions", json=body))["session"]["session_id"])


async def sign_in(node: Node, sid: str, name: str, data: bytes) -> dict[str, Any]:
    resp = await node.client.post(f"/sessions/{sid}/signin-sheet", files={"file": (name, data)})
    assert resp.status_code == 200, resp.text
    report: dict[str, Any] = resp.json()
    return report


async def attendance(node: Node, sid: str) -> dict[str, datetime]:
    await node.sync_own()
    detail = await node.ok("GET", f"/sessions/{sid}")
    return {a["worker_id"]: china(a["signed_at"]) for a in detail["attendance"]}


def china(text: str) -> datetime:
    """A stored sign-in time (UTC with ``Z`` on PostgreSQL, as written on SQLite)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(CHINA) if moment.tzinfo else moment.replace(tzinfo=CHINA)


def refused(report: dict[str, Any]) -> dict[int, tuple[str, str, str]]:
    return {r["row"]: (r["field"], r["reason"], r["reason_zh"]) for r in report["rejected"]}


async def staff(node: Node) -> dict[str, str]:
    feed = node.feed
    ids = {
        "gao": feed.register("高红梅", organization="城关社区居委会", record_id="A1"),
        "tian": feed.register("田志强", organization="青松社会工作服务中心", record_id="A2"),
        "he": feed.register("何丽君", organization="城关社区居委会", record_id="A3"),
        "luo": feed.register("罗建新", organization="北街道办事处", record_id="A4"),
        # namesakes at two units
        "yang_a": feed.register("杨军", organization="城关社区居委会", record_id="A5"),
        "yang_b": feed.register("杨军", organization="青松社会工作服务中心", record_id="A6"),
        "su": feed.register(
            "苏晴", rid("19930708", "246"), "13619320007", organization="北街道办事处"
        ),
    }
    await node.sync()
    return ids


async def test_a_punch_in_apps_day_report_counts_a_day_with_one_punch(training: Node) -> None:
    """钉钉 每日统计: 日期 as ``25-03-01 星期六``, a two-line header 上班1 | 下班1 (打卡时间,
    打卡结果). 缺卡 in the morning beside 正常 in the evening is attendance; 缺卡 twice,
    or 请假, is none."""
    ids = await staff(training)
    sid = await session(training)
    rows: list[list[object]] = [
        ["每日统计 统计日期：2025-03-01 至 2025-03-01"] + [None] * 7,
        ["姓名", "部门", "日期", "上班1", None, "下班1", None, "工作时长"],
        [None, None, None, "打卡时间", "打卡结果", "打卡时间", "打卡结果", None],
        ["高红梅", "城关社区", "25-03-01 星期六", "08:41", "正常", "17:36", "正常", 540],
        ["田志强", "青松社工", "25-03-01 星期六", None, "缺卡", "17:52", "正常", 0],
        ["何丽君", "城关社区", "25-03-01 星期六", None, "缺卡", None, "缺卡", 0],
        ["罗建新", "北街道", "25-03-01 星期六", None, "请假", None, "请假", 0],
    ]
    merged = ("A1:H1", "A2:A3", "B2:B3", "C2:C3", "D2:E2", "F2:G2", "H2:H3")
    report = await sign_in(training, sid, "每日统计.xlsx", workbook(rows, merged))
    assert report["recorded"] == 2, report
    bad = refused(report)
    assert sorted(bad) == [6, 7]
    assert bad[6][0] == "status" and "缺卡" in bad[6][2] and "absent" in bad[6][1]
    assert bad[7][0] == "status" and "请假" in bad[7][2]
    signed = await attendance(training, sid)
    assert signed == {
        ids["gao"]: datetime(2025, 3, 1, 8, 41, tzinfo=CHINA),
        ids["tian"]: datetime(2025, 3, 1, 17, 52, tzinfo=CHINA),
    }


async def test_a_wecom_day_report_reads_its_dates_and_its_status(training: Node) -> None:
    """企业微信 打卡日报: 时间 ``2025/03/01 星期六``, 最早打卡 ``--`` for no punch, 校准状态
    旷工 / 请假 / 下班未打卡 — someone who punched in and not out came."""
    ids = await staff(training)
    sid = await session(training)
    text = (
        "上下班打卡_日报 统计时间：2025/03/01-2025/03/01\n"
        "时间,姓名,部门,最早打卡,最晚打卡,校准状态\n"
        "2025/03/01 星期六,高红梅,城关社区居委会,08:50,17:31,正常\n"
        "2025/03/01 星期六,何丽君,城关社区居委会,09:02,--,下班未打卡\n"
        "2025/03/01 星期六,罗建新,北街道办事处,--,--,旷工\n"
        "2025/03/01 星期六,田志强,青松社会工作服务中心,--,--,请假\n"
    )
    report = await sign_in(training, sid, "打卡日报.csv", text.encode("utf-8-sig"))
    assert report["recorded"] == 2, report
    assert {row: f for row, (f, _, _) in refused(report).items()} == {5: "status", 6: "status"}
    signed = await attendance(training, sid)
    assert signed == {
        ids["gao"]: datetime(2025, 3, 1, 8, 50, tzinfo=CHINA),
        ids["he"]: datetime(2025, 3, 1, 9, 2, tzinfo=CHINA),
    }


async def test_a_meeting_participant_list_finds_people_by_their_nicknames(training: Node) -> None:
    """腾讯会议's 参会成员明细: title lines, 用户昵称 only, one line per join. A nickname with a
    unit finds the person there; a phone as the nickname finds its person; rejoining is
    counted once; a bare name two people bear, a device name, are refused saying so."""
    ids = await staff(training)
    sid = await session(training, "2025-05-20", 2)
    text = (
        "会议主题：社会工作专题讲座\n"
        "会议时间：2025-05-20 14:30-16:30\n"
        "\n"
        "用户昵称,入会时间,退会时间,参会时长,手机号\n"
        "高红梅-城关社区,2025-05-20 14:26,2025-05-20 15:10,00:44:00,136****0001\n"
        "高红梅-城关社区,2025-05-20 15:12,2025-05-20 16:30,01:18:00,136****0001\n"
        "杨军（青松社工）,2025-05-20 14:29,2025-05-20 16:30,02:01:00,\n"
        "13619320007,2025-05-20 14:35,2025-05-20 16:30,01:55:00,\n"
        "杨军,2025-05-20 14:31,2025-05-20 16:30,01:59:00,\n"
        "HUAWEI Mate,2025-05-20 14:40,2025-05-20 14:45,00:05:00,\n"
        "何丽君 罗建新,2025-05-20 14:41,2025-05-20 16:30,01:49:00,\n"
    )
    report = await sign_in(training, sid, "参会明细.csv", text.encode("gbk"))
    assert report["recorded"] == 3, report
    assert [(r["row"], r["name"]) for r in report["repeated"]] == [(6, "高红梅")]
    bad = refused(report)
    assert sorted(bad) == [9, 10, 11]
    assert bad[11][0] == "nickname" and "at this unit" in bad[11][1]
    assert bad[9][0] == "nickname" and "杨军" in bad[9][2] and "同名" in bad[9][2]
    assert bad[10][0] == "nickname" and "unknown person" in bad[10][1]
    assert "青松" not in bad[9][1] + bad[9][2]  # nothing of who the namesakes are
    signed = await attendance(training, sid)
    assert signed == {
        ids["gao"]: datetime(2025, 5, 20, 14, 26, tzinfo=CHINA),
        ids["yang_b"]: datetime(2025, 5, 20, 14, 29, tzinfo=CHINA),
        ids["su"]: datetime(2025, 5, 20, 14, 35, tzinfo=CHINA),
    }


async def test_a_punch_record_per_line_counts_a_missing_punch_with_the_other(
    training: Node,
) -> None:
    """企业微信 打卡记录, a line per punch: 上班 未打卡 beside 下班 正常 is one attendance (the
    missing punch counted once with it); 未打卡 on both lines is an absence."""
    ids = await staff(training)
    sid = await session(training)
    text = (
        "时间,姓名,部门,打卡类型,打卡时间,打卡状态\n"
        "2025/03/01 星期六,何丽君,城关社区,上班打卡,--,未打卡\n"
        "2025/03/01 星期六,何丽君,城关社区,下班打卡,17:32,正常\n"
        "2025/03/01 星期六,罗建新,北街道,上班打卡,--,未打卡\n"
        "2025/03/01 星期六,罗建新,北街道,下班打卡,--,未打卡\n"
    )
    report = await sign_in(training, sid, "打卡记录.csv", text.encode("utf-8-sig"))
    assert report["recorded"] == 1, report
    assert [(r["row"], r["name"]) for r in report["repeated"]] == [(2, "何丽君")]
    assert "缺卡" in report["repeated"][0]["reason_zh"]
    assert {row: f for row, (f, _, _) in refused(report).items()} == {4: "status", 5: "status"}
    assert await attendance(training, sid) == {
        ids["he"]: datetime(2025, 3, 1, 17, 32, tzinfo=CHINA)
    }


def test_nicknames_as_people_write_them() -> None:
    assert from_nickname("高红梅-城关社区") == ("高红梅", "城关社区", None)
    assert from_nickname("城关社区 高红梅") == ("高红梅", "城关社区", None)
    assert from_nickname("杨军（青松社工）") == ("杨军", "青松社工", None)
    assert from_nickname("136 1932 0007") == (None, None, "13619320007")
    assert from_nickname("何丽君13619320007") == ("何丽君", None, "13619320007")
    assert from_nickname("区社工部-培训组") == ("区社工部-培训组", None, None)
    assert from_nickname("iPhone") == ("iPhone", None, None)
    assert from_nickname("高红梅 城关") == ("高红梅", "城关", None)
    assert from_nickname("高红梅（主持人）") == ("高红梅", None, None)
    assert from_nickname("北区-城关社区-高红梅") == ("高红梅", "北区 城关社区", None)


def test_a_sign_in_box_noting_how_someone_came_is_a_sign_in() -> None:
    day = date(2025, 3, 1)
    for mark in ("迟到", "补签", "线上"):
        assert parse_signed_at(mark, day) == datetime(2025, 3, 1, tzinfo=CHINA)
    for mark in ("请假", "未到"):
        with pytest.raises(RowProblem):
            parse_signed_at(mark, day)


def test_dates_as_apps_write_them() -> None:
    assert app_day("25-03-01 星期六") == "2025-03-01"
    assert app_day("2025/04/10 星期四") == "2025/04/10"
    assert app_day("2025-04-10（周四） 08:52") == "2025-04-10 08:52"
    assert app_day("08:52") == "08:52"
    assert app_day("缺卡") == "缺卡"
    # without the year: the session's
    march_1 = date(2025, 3, 1)
    assert app_day("3月2日 8:30", march_1) == "2025-3-2 8:30"
    assert app_day("03-02 08:30", march_1) == "2025-03-02 08:30"
    assert app_day("8.30", march_1) == "8.30"  # a time as often as a day: left to be refused
    # the year last: the session's day if one reading is it, else month first
    assert app_day("01/03/2025 02:01 PM", march_1) == "2025-3-1 02:01 PM"
    assert app_day("03/01/2025 14:01", march_1) == "2025-3-1 14:01"
    assert app_day("10/09/2025 14:01", march_1) == "2025-10-9 14:01"
    assert app_day("√ 8:30") == "8:30"
    assert app_day("8:30-17:00") == "8:30"
    assert app_day("2025-03-01T08:30:00+08:00") == datetime(2025, 3, 1, 8, 30, tzinfo=CHINA)


async def test_a_typed_paper_sheet_counts_only_those_who_signed(training: Node) -> None:
    """签到 | 签退 | 备注, printed two people a line: a blank box where others signed is no
    sign-in; 请假 in 备注 beside blank boxes is an absence; a box holding the person's own
    name (the signature, typed) or only a 签退 is attendance; 合计 and 制表人 are no
    person's rows."""
    ids = await staff(training)
    sid = await session(training)
    rows: list[list[object]] = [
        ["骨干培训签到表", None, None, None, None, None, None, None],
        ["姓名", "单位", "签到", "签退", "姓名", "单位", "签到", "签退"],
        ["高红梅", "城关社区", "高红梅", "√", "田志强", "青松社工中心", "", "√"],
        ["何丽君", "城关社区", "", "", "罗建新", "北街道", "8:55", ""],
        ["合计：实到3人", None, None, None, None, None, None, None],
        ["制表人：张某", None, None, None, None, None, None, None],
    ]
    report = await sign_in(training, sid, "签到表.xlsx", workbook(rows, ("A1:H1",)))
    assert report["recorded"] == 3, report
    bad = refused(report)
    assert sorted(bad) == [4]
    assert bad[4][0] == "signed_at" and "others on this sheet signed in" in bad[4][1]
    assert "空白" in bad[4][2]
    # the form's own lines: skipped, as the roster import lists them, not refused rows
    assert [r["row"] for r in report["skipped_lines"]] == [5, 6]
    assert set(await attendance(training, sid)) == {ids["gao"], ids["tian"], ids["luo"]}

    sid = await session(training)
    text = (
        "姓名,工作单位,签到时间,签退时间,备注\n"
        "高红梅,城关社区,8:58,17:01,\n"
        "何丽君,城关社区,,,病假\n"
        "罗建新,北街道,9:20,,早退\n"
        "田志强（请假）,青松社工,,,\n"
    )
    report = await sign_in(training, sid, "签到.csv", text.encode("utf-8-sig"))
    assert report["recorded"] == 2
    bad = refused(report)
    assert sorted(bad) == [3, 5]
    assert bad[3][0] == "remark" and "病假" in bad[3][1] and "病假" in bad[3][2]
    assert bad[5][0] == "name" and "请假" in bad[5][2]

    # nobody's 签到 box filled in: a typed list of those who came
    sid = await session(training)
    text = "姓名,工作单位,签到\n高红梅,城关社区,\n罗建新,北街道,\n"
    report = await sign_in(training, sid, "名单.csv", text.encode())
    assert report["recorded"] == 2 and not report["rejected"]


async def test_a_yes_no_column_and_an_unreadable_id_number_beside_a_unit(training: Node) -> None:
    """是否参加 否 / × is no attendance. An ID number Excel turned into 6.20102E+17 still
    finds its person by the name and the unit beside it — never a namesake the unit does
    not name, and without a unit the row is refused as before."""
    ids = await staff(training)
    sid = await session(training)
    text = (
        "姓名,身份证号,单位,是否参加\n"
        "高红梅,6.20102E+17,城关社区居委会,是\n"
        "杨军,6.20102E+17,城关社区,√\n"
        "罗建新,6.20102E+17,,是\n"
        "何丽君,,城关社区,否\n"
        "田志强,,青松社工,×\n"
    )
    report = await sign_in(training, sid, "参训名单.csv", text.encode("gbk"))
    assert report["recorded"] == 2, report
    bad = refused(report)
    assert {row: f for row, (f, _, _) in bad.items()} == {4: "id_number", 5: "status", 6: "status"}
    assert "Excel" in bad[4][1]
    assert set(await attendance(training, sid)) == {ids["gao"], ids["yang_a"]}


async def test_a_continuing_education_record_credits_its_hours(training: Node) -> None:
    """学时 beside each name: a completion (结业) with those hours — 2.5 is 2.5, not the
    session's 3 — counted in the year's hours; more than the session's (a year's record)
    is the person's attendance and completion, credited the session's hours."""
    await staff(training)
    sid = await session(training, "2025-05-20", 3)
    rows: list[list[object]] = [
        ["2025年度继续教育学时登记表", None, None, None],
        ["姓名", "工作单位", "培训日期", "学时"],
        ["高红梅", "城关社区", "2025.05.20", 3],
        ["田志强", "青松社工", "2025.05.20", "2.5学时"],
        ["罗建新", "北街道", "2025.05.20", 6],
        ["合计", None, None, 11.5],
    ]
    report = await sign_in(training, sid, "学时.xlsx", workbook(rows, ("A1:D1",)))
    assert (report["recorded"], report["completed"]) == (3, 3), report
    assert not report["rejected"], report
    await training.sync_own()
    figures = await training.ok("GET", "/indicators/training", params={"year": 2025})
    assert figures["hours"] == 8.5


async def test_an_exam_list_saying_absent_in_its_scores(training: Node) -> None:
    """缺考 in a subject's 成绩, 合格标志 blank: a result, and no pass (one row per subject,
    or one column per subject)."""
    feed = training.feed
    gao = feed.register("高红梅", rid("19880312", "123"))
    tian = feed.register("田志强", rid("19900101", "555"))
    await training.sync()
    report = await post_exams(
        training,
        [
            ["2025年度社会工作者职业水平考试成绩"],
            ["姓名", "证件号码", "报考级别", "科目名称", "成绩", "合格标志"],
            ["高红梅", rid("19880312", "123"), "初级", "社会工作综合能力（初级）", "缺考", None],
            ["高红梅", rid("19880312", "123"), "初级", "社会工作实务（初级）", "缺考", None],
        ],
    )
    assert report["recorded"] == 1 and not report["rejected"], report
    report = await post_exams(
        training,
        [
            ["2025年度成绩汇总"],
            ["姓名", "身份证号", "级别", "社会工作综合能力", "社会工作实务", "是否合格"],
            ["田志强", rid("19900101", "555"), "助理社会工作师", "缺考", "缺考", None],
        ],
    )
    assert report["recorded"] == 1 and not report["rejected"], report
    await training.sync_own()
    exams = await training.ok("GET", "/exams", params={"year": 2025})
    assert {e["worker_id"]: e["passed"] for e in exams["items"]} == {gao: False, tian: False}


async def post_exams(node: Node, rows: list[list[object]]) -> dict[str, Any]:
    resp = await node.client.post(
        "/imports/exam-results", files={"file": ("成绩.xlsx", workbook(rows))}
    )
    assert resp.status_code == 200, resp.text
    report: dict[str, Any] = resp.json()
    return report


async def test_an_exam_list_whose_year_is_only_in_its_file_name(training: Node) -> None:
    """A pass list with no title: the year, the level and that it lists passes are in the
    file's name; a file whose name says nothing is refused naming the column."""
    feed = training.feed
    gao = feed.register("高红梅", rid("19880312", "123"))
    await training.sync()
    text = f"序号,姓名,身份证号\n1,高红梅,{rid('19880312', '123')}\n".encode("gbk")
    resp = await training.client.post("/imports/exam-results", files={"file": ("名单.csv", text)})
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert "exam_year" in error["message"] and "考试年度" in error["message_zh"]
    resp = await training.client.post(
        "/imports/exam-results",
        files={"file": ("2024年度助理社会工作师职业水平考试合格人员名单.csv", text)},
    )
    assert resp.status_code == 200 and resp.json()["recorded"] == 1, resp.text
    await training.sync_own()
    exams = await training.ok("GET", "/exams", params={"year": 2024})
    assert [(e["worker_id"], e["level"], e["passed"]) for e in exams["items"]] == [
        (gao, "assistant", True)
    ]
