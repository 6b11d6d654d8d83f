"""Sign-in and exam sheets as other hands write them: a registered person's name in the
other script (劉麗華 for 刘丽华), spaced or dotted otherwise, is still that person — the ID
number or phone says who a row is and the name confirms it; dates in every usual form are
dates; a cell that is no date is refused naming the row and the field, in both languages."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import openpyxl
from stdnum.cn import ric

from shegong.training.imports.sheets import CHINA

if TYPE_CHECKING:
    from conftest import Node


def rid(birth: str, serial: str) -> str:
    body = f"621102{birth}{serial}"
    return body + ric.calc_check_digit(body + "0")


LIU, ZHANG, AYGUL, QIAN = (
    rid("19880312", "123"),
    rid("19920817", "246"),
    rid("19850607", "242"),
    rid("19900101", "555"),
)


def china(text: str) -> datetime:
    """A stored sign-in time (UTC with ``Z`` on PostgreSQL, as written on SQLite)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(CHINA) if moment.tzinfo else moment.replace(tzinfo=CHINA)


async def register(node: Node) -> dict[str, str]:
    ids = {
        "liu": node.feed.register("刘丽华", LIU),
        # The registry keeps the script a department wrote: this one is traditional.
        "zhang": node.feed.register("張偉", ZHANG, "13809312001"),
        "aygul": node.feed.register("阿依古丽·买买提", AYGUL),
        "qian": node.feed.register("钱七", QIAN),
    }
    await node.sync()
    return ids


async def signin_sheet(node: Node, sheet: bytes) -> tuple[str, dict[str, Any]]:
    """A 岗前培训 session on 2025-03-01, ``sheet`` imported as its 签到表: (its id, report)."""
    body = {"kind": "岗前培训", "title": "岗前培训", "held_on": "2025-03-01", "hours": 8}
    sid = (await node.ok("POST", "/sessions", json=body))["session"]["session_id"]
    resp = await node.client.post(
        f"/sessions/{sid}/signin-sheet", files={"file": ("签到表.csv", sheet, "text/csv")}
    )
    assert resp.status_code == 200, resp.text
    report: dict[str, Any] = resp.json()
    return sid, report


async def post_exam_workbook(node: Node, *rows: list[object]) -> dict[str, Any]:
    """An exam list saved as a workbook and imported: the import's report."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    resp = await node.client.post(
        "/imports/exam-results", files={"file": ("成绩.xlsx", data.getvalue())}
    )
    assert resp.status_code == 200, resp.text
    report: dict[str, Any] = resp.json()
    return report


async def test_a_sign_in_sheet_with_names_in_the_other_script_is_accepted(training: Node) -> None:
    ids = await register(training)
    sid, report = await signin_sheet(
        training,
        (
            "姓名,身份证号,手机号,签到时间\n"
            f"劉麗華,{LIU},,2025.3.1 08:55\n"  # traditional for a simplified registration
            "张伟,,138 0931 2001,2025年3月1日 9:02\n"  # simplified for a traditional one
            f"阿依古丽 • 买买提,{AYGUL},,9:10\n"
            f"錢　七,'{QIAN},,2025/3/1 9:30\n"  # typed as text: a leading '
            f"李四,{QIAN},,2025-03-01 09:40\n"  # the ID number is 钱七's: the name does not confirm
            f"刘丽华,{LIU},,下午\n"
        ).encode("utf-8-sig"),
    )
    assert report["recorded"] == 4, report["rejected"]
    rejected = {r["row"]: r for r in report["rejected"]}
    assert set(rejected) == {6, 7}
    assert rejected[6]["field"] == "name" and "不一致" in rejected[6]["reason_zh"]
    bad_time = rejected[7]
    assert bad_time["field"] == "signed_at"
    assert bad_time["reason"].startswith("signed_at:") and "not a date" in bad_time["reason"]
    assert bad_time["reason_zh"].startswith("签到时间：") and "下午" in bad_time["reason_zh"]
    await training.sync_own()
    detail = await training.ok("GET", f"/sessions/{sid}")
    assert sorted(a["worker_id"] for a in detail["attendance"]) == sorted(
        ids[k] for k in ("liu", "zhang", "aygul", "qian")
    )
    signed = {a["worker_id"]: china(a["signed_at"]) for a in detail["attendance"]}
    assert signed[ids["liu"]] == datetime(2025, 3, 1, 8, 55, tzinfo=CHINA)
    assert signed[ids["aygul"]] == datetime(2025, 3, 1, 9, 10, tzinfo=CHINA)  # the day's


async def test_an_exam_sheet_with_names_in_the_other_script_is_accepted(training: Node) -> None:
    ids = await register(training)
    report = await post_exam_workbook(
        training,
        ["2025年社会工作者职业资格考试成绩"],  # a title line above the header
        ["姓名", "身份证号", "考试年度", "级别", "是否通过", "取证日期"],
        ["劉麗華", LIU, 2025, "社会工作师", "是", "2025.6.20"],
        ["张 伟", ZHANG, 2025, "助理社会工作师", "是", 45828],  # an Excel serial
        ["阿依古丽・买买提", AYGUL, 2025, "中级", "是", date(2025, 6, 20)],
        ["錢七", QIAN, 2025, "中级", "是", "20250631"],  # no 31 June
    )
    assert report["recorded"] == 3, report["rejected"]
    (bad,) = report["rejected"]
    assert (bad["row"], bad["field"]) == (6, "certified_on")
    assert "does not exist" in bad["reason"] and bad["reason_zh"].startswith("取证日期：")
    await training.sync_own()
    exams = await training.ok("GET", "/exams", params={"year": 2025})
    assert {e["worker_id"] for e in exams["items"]} == {ids["liu"], ids["zhang"], ids["aygul"]}


async def test_sheets_headed_as_other_offices_head_them(training: Node) -> None:
    """学员姓名 / 公民身份号码 / 联系方式 on a sign-in sheet, 考生姓名 / 报考等级 / 是否合格
    and a level written as the certificate names it on an exam list: the words every
    importer reads (the roster's too), not one office's."""
    ids = await register(training)
    _, report = await signin_sheet(
        training,
        (
            "序号,学员姓名,公民身份号码,联系方式,签到时间\n"
            f"1,刘丽华,{LIU},,2025-03-01 08:55\n"
            "2,张伟,,13809312001,2025-03-01 09:02\n"
        ).encode("utf-8-sig"),
    )
    assert (report["recorded"], report["rejected"]) == (2, [])

    report = await post_exam_workbook(
        training,
        ["准考证号", "考生姓名", "身份证件号码", "考试年份", "报考等级", "是否合格"],
        ["A1", "阿依古丽·买买提", AYGUL, "2025年", "社会工作者职业水平证书（初级）", "合格"],
        ["A2", "钱七", QIAN, 2025, "中级社会工作师", "合格"],
        ["A3", "刘丽华", LIU, 2025, "心理咨询师", "合格"],  # no social-work level
    )
    assert report["recorded"] == 2 and [(r["row"], r["field"]) for r in report["rejected"]] == [
        (4, "level")
    ]
    await training.sync_own()
    exams = await training.ok("GET", "/exams", params={"year": 2025})
    levels = {e["worker_id"]: e["level"] for e in exams["items"]}
    assert levels == {ids["aygul"]: "assistant", ids["qian"]: "intermediate"}


async def test_an_exam_workbook_of_several_sheets_is_read_whole(training: Node) -> None:
    ids = await register(training)
    book = openpyxl.Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "说明"
    notes.append(["本表按区县分页填写"])
    first = book.create_sheet("安定区")
    first.append(["姓名", "身份证号", "考试年度", "级别", "是否通过"])
    first.append(["刘丽华", LIU, 2025, "社会工作师", "是"])
    first.append(["张伟", ZHANG, 2025, "助理社会工作师", "是"])
    second = book.create_sheet("陇西县")  # the columns in another order
    second.append(["是否通过", "级别", "考试年度", "身份证号", "姓名", "取证日期"])
    second.append(["是", "中级", 2025, AYGUL, "阿依古丽·买买提", date(2025, 6, 20)])
    second.append(["是", "中级", 2025, QIAN, "钱七", "20250631"])  # no 31 June
    data = io.BytesIO()
    book.save(data)
    resp = await training.client.post(
        "/imports/exam-results", files={"file": ("成绩.xlsx", data.getvalue())}
    )
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert (report["rows_read"], report["recorded"]) == (4, 3)
    (bad,) = report["rejected"]
    assert (bad["sheet"], bad["row"], bad["field"]) == ("陇西县", 3, "certified_on")
    await training.sync_own()
    exams = await training.ok("GET", "/exams", params={"year": 2025})
    assert {e["worker_id"] for e in exams["items"]} == {ids["liu"], ids["zhang"], ids["aygul"]}


async def test_a_sign_in_column_of_marks_and_spoken_times(training: Node) -> None:
    """签到 holds what the clerk wrote: a mark of presence (√, 已签到) is an attendance on
    the day, as a blank is; 缺席 / 请假 is none, and the row says so; 上午8:55 and
    下午2点 are times of the day."""
    ids = await register(training)
    sid, report = await signin_sheet(
        training,
        (
            "姓名,身份证号,签到\n"
            f"刘丽华,{LIU},上午8:55\n"
            f"阿依古丽·买买提,{AYGUL},√\n"
            f"钱七,{QIAN},下午2点\n"
            f"张伟,{ZHANG},缺席\n"
        ).encode("utf-8-sig"),
    )
    assert report["recorded"] == 3
    (absent,) = report["rejected"]
    assert (absent["row"], absent["field"]) == (5, "signed_at")
    assert "absent" in absent["reason"] and "未出席" in absent["reason_zh"]
    await training.sync_own()
    detail = await training.ok("GET", f"/sessions/{sid}")
    signed = {a["worker_id"]: china(a["signed_at"]) for a in detail["attendance"]}
    assert signed == {
        ids["liu"]: datetime(2025, 3, 1, 8, 55, tzinfo=CHINA),
        ids["aygul"]: datetime(2025, 3, 1, 0, 0, tzinfo=CHINA),
        ids["qian"]: datetime(2025, 3, 1, 14, 0, tzinfo=CHINA),
    }


async def test_a_certificate_list_as_hrss_heads_it(training: Node) -> None:
    """人社's list of certificates: 持证人姓名, 有效证件号码, 资格级别, 合格标志, 管理号,
    批准日期 — the words the roster import reads for the same columns."""
    ids = await register(training)
    report = await post_exam_workbook(
        training,
        ["持证人姓名", "有效证件号码", "考试年度", "资格级别", "合格标志", "管理号", "批准日期"],
        ["刘丽华", LIU, 2025, "助理社会工作师", "合格", "2025010001", "2025-06-20"],
        ["钱七", QIAN, 2025, "社会工作师", "合格", "2025020002", "2025年6月20日"],
    )
    assert (report["recorded"], report["rejected"]) == (2, [])
    await training.sync_own()
    exams = await training.ok("GET", "/exams", params={"year": 2025})
    assert {e["worker_id"] for e in exams["items"]} == {ids["liu"], ids["qian"]}


async def test_a_refused_rows_name_is_quoted_short(training: Node) -> None:
    """A rejected row quotes its name as every report quotes a cell (40 characters at
    most): a 238 KB workbook of 4,000 rows named with 32,000 characters each answered
    129 MB (every name whole), and the service was busy writing it."""
    await register(training)
    long_name = "张" * 30_000
    report = await post_exam_workbook(
        training,
        ["姓名", "身份证号", "考试年度", "级别", "是否通过"],
        [long_name, rid("19700101", "111"), 2025, "社会工作师", "是"],
    )
    (bad,) = report["rejected"]
    assert bad["name"] == "张" * 39 + "…" and bad["field"] == "name"
