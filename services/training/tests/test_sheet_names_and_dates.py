"""Sign-in and exam sheets as other hands write them: a registered person's name in the
other script (劉麗華 for 刘丽华), spaced or dotted otherwise, is still that person — the ID
number or phone says who a row is and the name confirms it; dates in every usual form are
dates; a cell that is no date is refused naming the row and the field, in both languages.
And as offices file them: a two-line header over merged cells, a 合计 / 制表人 footer, a
year said only in the title (2024年度…合格人员名单), a certificate issuance list without a
是否通过 column, 缺考, the day and the time of a sign-in in two columns, 学员 / 考生 for
the name, an ID number Excel kept as a number."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import openpyxl
from stdnum.cn import ric

from shegong.kernel.testing import longest_stall
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


async def signed_times(training: Node, sid: str) -> dict[str, datetime]:
    """The session's attendance once training has applied it: worker → sign-in time."""
    await training.sync_own()
    detail = await training.ok("GET", f"/sessions/{sid}")
    return {a["worker_id"]: china(a["signed_at"]) for a in detail["attendance"]}


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
    signed = await signed_times(training, sid)
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


async def post(node: Node, path: str, name: str, data: bytes) -> dict[str, Any]:
    resp = await node.client.post(path, files={"file": (name, data)})
    assert resp.status_code == 200, resp.text
    report: dict[str, Any] = resp.json()
    return report


async def new_session(node: Node) -> str:
    body = {"kind": "岗前培训", "title": "岗前培训", "held_on": "2025-03-01", "hours": 8}
    return str((await node.ok("POST", "/sessions", json=body))["session"]["session_id"])


async def test_a_sign_in_sheet_under_a_merged_two_line_header_with_a_footer(
    training: Node,
) -> None:
    ids = await register(training)
    sid = await new_session(training)
    rows: list[list[object]] = [
        ["2025年岗前培训签到表", None, None, None, None, None],
        ["填报单位：安定区委社会工作部", None, None, "填表日期：2025年3月1日", None, None],
        ["序号", "姓名", "身份证号码", "联系电话", "签到", None],
        [None, None, None, None, "签到时间", "签退时间"],
        [1, "刘丽华", LIU, None, datetime(2025, 3, 1, 8, 55), datetime(2025, 3, 1, 17, 0)],
        [2, "张伟", None, 13809312001, datetime(2025, 3, 1, 9, 2), None],
        ["合计", "2人", None, None, None, None],
        ["制表人：王芳", None, None, "审核人：李强", None, None],
    ]
    merged = ("A1:F1", "A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:F3")
    report = await post(
        training, f"/sessions/{sid}/signin-sheet", "签到表.xlsx", workbook(rows, merged)
    )
    assert report["recorded"] == 2
    # the header's second line is no row; the footer's lines are no persons: listed as
    # the form's lines skipped, not as refused rows (the import is whole, not partial)
    assert report["rejected"] == []
    skipped = report["skipped_lines"]
    assert [(r["row"], r["field"]) for r in skipped] == [(7, "name"), (8, "name")]
    assert all("not a person" in r["reason"] for r in skipped)
    assert all("不是人员" in r["reason_zh"] for r in skipped)
    signed = await signed_times(training, sid)
    assert signed == {
        ids["liu"]: datetime(2025, 3, 1, 8, 55, tzinfo=CHINA),
        ids["zhang"]: datetime(2025, 3, 1, 9, 2, tzinfo=CHINA),
    }


async def test_the_day_and_the_time_of_a_sign_in_in_two_columns(training: Node) -> None:
    """签到日期 and 签到时间 side by side (学员 heading the names): the time on that day."""
    ids = await register(training)
    sid, report = await signin_sheet(
        training,
        (
            "学员,证件号码,签到日期,签到时间\n"
            f"刘丽华,{LIU},2025年3月1日,08:35\n"
            f"钱七,{QIAN},2025.3.2,14:10\n"
            f"阿依古丽·买买提,{AYGUL},2025年3月32日,08:00\n"
        ).encode("utf-8-sig"),
    )
    assert report["recorded"] == 2
    (bad,) = report["rejected"]
    assert (bad["row"], bad["field"]) == (4, "signed_on")
    assert bad["reason_zh"].startswith("签到日期")
    signed = await signed_times(training, sid)
    assert signed == {
        ids["liu"]: datetime(2025, 3, 1, 8, 35, tzinfo=CHINA),
        ids["qian"]: datetime(2025, 3, 2, 14, 10, tzinfo=CHINA),
    }


async def test_an_id_number_excel_kept_as_a_number(training: Node) -> None:
    """18 digits typed into a number cell lose their last ones: the phone beside says who
    the row is; without a phone the row is refused saying why, not as a wrong number —
    also as a CSV saved from it writes the number out whole (621102…000)."""
    ids = await register(training)
    sid = await new_session(training)
    rows: list[list[object]] = [
        ["姓名", "身份证号", "手机号码", "签到时间"],
        ["张伟", float(ZHANG), 13809312001, datetime(2025, 3, 1, 9, 0)],
        ["刘丽华", float(LIU), None, datetime(2025, 3, 1, 9, 5)],
        ["钱七", "6.21102E+17", None, datetime(2025, 3, 1, 9, 6)],  # as a CSV export shows it
        ["钱七", QIAN[:15] + "000", None, datetime(2025, 3, 1, 9, 7)],  # its check fails
    ]
    report = await post(training, f"/sessions/{sid}/signin-sheet", "签到表.xlsx", workbook(rows))
    assert report["recorded"] == 1
    assert [(r["row"], r["field"]) for r in report["rejected"]] == [
        (3, "id_number"),
        (4, "id_number"),
        (5, "id_number"),
    ]
    for bad in report["rejected"]:
        assert "Excel" in bad["reason"] and "文本" in bad["reason_zh"]
    await training.sync_own()
    detail = await training.ok("GET", f"/sessions/{sid}")
    assert [a["worker_id"] for a in detail["attendance"]] == [ids["zhang"]]


async def test_an_exam_list_whose_year_is_in_its_title(training: Node) -> None:
    """人社's 合格人员名单: the year in the title only, 成绩 over two subjects, 是否合格,
    缺考 for someone who did not sit it (no pass), and the 合计 line."""
    ids = await register(training)
    rows: list[list[object]] = [
        ["2024年度全国社会工作者职业水平考试成绩", None, None, None, None, None, None],
        ["序号", "考生姓名", "身份证号", "报考级别", "成绩", None, "是否合格"],
        [None, None, None, None, "综合能力", "实务", None],
        [1, "刘丽华", LIU, "初级", 72, 66, "合格"],
        [2, "钱七", QIAN, "中级", "缺考", "缺考", "缺考"],
        ["合计", "2人", None, None, None, None, None],
    ]
    merged = ("A1:G1", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:F2", "G2:G3")
    report = await post(training, "/imports/exam-results", "合格名单.xlsx", workbook(rows, merged))
    assert report["recorded"] == 2
    assert report["rejected"] == []
    assert [(r["row"], r["field"]) for r in report["skipped_lines"]] == [(6, "name")]
    await training.sync_own()
    exams = await training.ok("GET", "/exams", params={"year": 2024})
    got = {e["worker_id"]: (e["exam_year"], e["level"], e["passed"]) for e in exams["items"]}
    assert got == {
        ids["liu"]: (2024, "assistant", True),
        ids["qian"]: (2024, "intermediate", False),
    }


async def test_an_exam_list_with_no_year_anywhere_is_refused_saying_so(training: Node) -> None:
    await register(training)
    sheet = f"姓名,身份证号,级别,是否通过\n刘丽华,{LIU},初级,是\n".encode()
    resp = await training.client.post("/imports/exam-results", files={"file": ("成绩.csv", sheet)})
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert "exam_year" in error["message"] and "考试年度" in error["message_zh"]
    assert "--year" in error["message"] and "--year" in error["message_zh"]
    # The uploader who knows the year says it; the sheet's own year still wins over it.
    resp = await training.client.post(
        "/imports/exam-results", files={"file": ("成绩.csv", sheet)}, data={"exam_year": "2023"}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["recorded"] == 1
    titled = f"2024年度考试成绩\n姓名,身份证号,级别,是否通过\n刘丽华,{LIU},中级,是\n".encode()
    resp = await training.client.post(
        "/imports/exam-results", files={"file": ("成绩.csv", titled)}, data={"exam_year": "2023"}
    )
    assert resp.status_code == 200 and resp.json()["recorded"] == 1, resp.text
    await training.sync_own()
    exams = await training.ok("GET", "/exams", params={"year": 2023})
    assert [(e["exam_year"], e["level"]) for e in exams["items"]] == [(2023, "assistant")]
    exams = await training.ok("GET", "/exams", params={"year": 2024})
    assert [(e["exam_year"], e["level"]) for e in exams["items"]] == [(2024, "intermediate")]
    bad = await training.client.post(
        "/imports/exam-results", files={"file": ("成绩.csv", sheet)}, data={"exam_year": "23"}
    )
    assert bad.status_code == 422, bad.text


async def test_a_certificate_issuance_list_without_a_pass_column(training: Node) -> None:
    """证书发放名单: everyone with a certificate number passed; a row without one says
    that its result is unknown."""
    ids = await register(training)
    report = await post_exam_workbook(
        training,
        ["姓名", "身份证号", "考试年度", "级别", "证书编号", "签发日期"],
        ["刘丽华", LIU, 2024, "助理社会工作师", "2024000001", "2024-12-01"],
        ["钱七", QIAN, 2024, "社会工作师", None, None],
    )
    assert report["recorded"] == 1
    (bad,) = report["rejected"]
    assert (bad["row"], bad["field"]) == (3, "passed") and "是否通过" in bad["reason_zh"]
    await training.sync_own()
    exams = await training.ok("GET", "/exams", params={"year": 2024})
    assert [(e["worker_id"], e["passed"]) for e in exams["items"]] == [(ids["liu"], True)]


async def test_morning_and_afternoon_sign_in_columns_and_spoken_marks(training: Node) -> None:
    """上午签到 | 下午签到: the morning's time, else the afternoon's; 已签 is present,
    请假 in the morning is no attendance, said so."""
    ids = await register(training)
    sid, report = await signin_sheet(
        training,
        (
            "序号,姓名,身份证号,上午签到,下午签到\n"
            f"1,刘丽华,{LIU},8:40,14:00\n"
            f"2,钱七,{QIAN},,14:05\n"
            f"3,阿依古丽·买买提,{AYGUL},已签,已签\n"
            f"4,张伟,{ZHANG},请假,请假\n"
        ).encode("utf-8-sig"),
    )
    assert report["recorded"] == 3
    (absent,) = report["rejected"]
    assert (absent["row"], absent["field"]) == (5, "signed_at") and "请假" in absent["reason_zh"]
    signed = await signed_times(training, sid)
    assert signed == {
        ids["liu"]: datetime(2025, 3, 1, 8, 40, tzinfo=CHINA),
        ids["qian"]: datetime(2025, 3, 1, 14, 5, tzinfo=CHINA),
        ids["aygul"]: datetime(2025, 3, 1, 0, 0, tzinfo=CHINA),
    }


async def test_an_exam_list_per_level_named_by_its_sheets_and_titles(training: Node) -> None:
    """人社 publishes a list per level: the level in the sheet's name and title, no 级别
    column; a masked ID number (as published) finds the person by the phone beside it,
    and without a phone the row says why it cannot."""
    ids = await register(training)
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "助理社会工作师"
    first.append(["2024年度助理社会工作师职业水平考试合格人员名单"])
    first.append(["序号", "姓名", "身份证号", "联系电话"])
    first.append([1, "刘丽华", LIU, None])
    first.append([2, "张伟", ZHANG[:6] + "********" + ZHANG[14:], "13809312001"])
    second = book.create_sheet("社会工作师")
    second.append(["2024年度社会工作师职业水平考试合格人员名单"])
    second.append(["序号", "姓名", "身份证号", "联系电话"])
    second.append([1, "钱七", QIAN, None])
    second.append([2, "阿依古丽·买买提", AYGUL[:6] + "********" + AYGUL[14:], None])
    data = io.BytesIO()
    book.save(data)
    report = await post(training, "/imports/exam-results", "合格名单.xlsx", data.getvalue())
    assert report["recorded"] == 3
    (bad,) = report["rejected"]
    assert (bad["sheet"], bad["row"], bad["field"]) == ("社会工作师", 4, "id_number")
    assert "masked" in bad["reason"] and "隐去" in bad["reason_zh"]
    await training.sync_own()
    exams = await training.ok("GET", "/exams", params={"year": 2024})
    got = {e["worker_id"]: (e["level"], e["passed"]) for e in exams["items"]}
    assert got == {
        ids["liu"]: ("assistant", True),
        ids["zhang"]: ("assistant", True),
        ids["qian"]: ("intermediate", True),
    }


async def test_an_exam_list_whose_title_names_no_single_level_is_refused(training: Node) -> None:
    await register(training)
    title = "2024年度助理社会工作师、社会工作师考试合格人员名单"
    sheet = f"{title}\n姓名,身份证号,是否通过\n刘丽华,{LIU},是\n".encode()
    resp = await training.client.post("/imports/exam-results", files={"file": ("名单.csv", sheet)})
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    assert "level" in error["message"] and "级别" in error["message_zh"]


async def test_a_questionnaire_export_signs_in_at_its_submission_time(training: Node) -> None:
    """A QR-code sign-in (问卷星): the questions head the columns, the submission time
    (提交答卷时间) is the sign-in's."""
    ids = await register(training)
    sid, report = await signin_sheet(
        training,
        (
            "序号,提交答卷时间,所用时间,来源,1、您的姓名：,2、身份证号码：,3、联系电话：\n"
            f"1,2025/03/01 09:34:26,41秒,微信,刘丽华,{LIU},\n"
            "2,2025/03/01 09:01:27,82秒,微信,张伟,,13809312001\n"
        ).encode("utf-8-sig"),
    )
    assert (report["recorded"], report["rejected"]) == (2, [])
    signed = await signed_times(training, sid)
    assert signed == {
        ids["liu"]: datetime(2025, 3, 1, 9, 34, 26, tzinfo=CHINA),
        ids["zhang"]: datetime(2025, 3, 1, 9, 1, 27, tzinfo=CHINA),
    }


async def test_a_printed_sheet_of_two_people_a_line_reads_both_halves(training: Node) -> None:
    """序号 姓名 身份证号 签到 | 序号 姓名 身份证号 签到: the right half's person is
    signed in (or rejected) as the left's, never left out."""
    ids = await register(training)
    sid, report = await signin_sheet(
        training,
        (
            "序号,姓名,身份证号,签到,序号,姓名,身份证号,签到\n"
            f"1,刘丽华,{LIU},√,3,钱七,{QIAN},8:50\n"
            f"2,阿依古丽·买买提,{AYGUL},√,4,王五,{rid('19700101', '321')},√\n"
            f"5,张伟,{ZHANG},9:00,,,,\n"
        ).encode("utf-8-sig"),
    )
    assert report["recorded"] == 4
    (stranger,) = report["rejected"]
    assert (stranger["row"], stranger["name"]) == (3, "王五")
    signed = await signed_times(training, sid)
    assert signed[ids["qian"]] == datetime(2025, 3, 1, 8, 50, tzinfo=CHINA)
    assert set(signed) == {ids["liu"], ids["qian"], ids["aygul"], ids["zhang"]}


async def test_a_mistyped_phone_beside_a_good_id_number_takes_nothing_down(training: Node) -> None:
    """The ID number says who the row is: a phone with a digit missing, or two phones in
    one cell, beside it is no reason to refuse the row; alone, it is, naming the phone."""
    ids = await register(training)
    sid, report = await signin_sheet(
        training,
        (
            "姓名,身份证号,联系电话,签到时间\n"
            f"刘丽华,{LIU},1380931200,08:55\n"
            f"钱七,{QIAN},13809312002/13809312003,09:00\n"
            "张伟,,1380931200,09:05\n"
        ).encode("utf-8-sig"),
    )
    assert report["recorded"] == 2
    (bad,) = report["rejected"]
    assert (bad["row"], bad["field"]) == (4, "phone")
    await training.sync_own()
    detail = await training.ok("GET", f"/sessions/{sid}")
    assert {a["worker_id"] for a in detail["attendance"]} == {ids["liu"], ids["qian"]}


async def test_a_second_name_column_is_never_dropped(training: Node) -> None:
    """姓名 签名 | 姓名 签名 with nothing else repeated: the right half's person is read,
    never dropped (here found by name: the one 钱七 registered; 孙八, whom nobody
    registered, is in the report); 姓名 and 学员姓名 holding one person are one row."""
    await register(training)
    sheet = (
        "序号,姓名,手机,签名,序号,姓名,签名\n1,张伟,13809312001,张伟,2,钱七,钱七\n"
        "3,刘丽华,,刘丽华,4,孙八,孙八\n"
    )
    _, report = await signin_sheet(training, sheet.encode("utf-8-sig"))
    assert report["recorded"] == 3
    assert [(r["row"], r["name"]) for r in report["rejected"]] == [(3, "孙八")]
    _, report = await signin_sheet(
        training, f"姓名,学员姓名,身份证号\n刘丽华,刘丽华,{LIU}\n".encode("utf-8-sig")
    )
    assert (report["rows_read"], report["recorded"], report["rejected"]) == (1, 1, [])


async def test_a_result_contradicting_the_one_recorded_says_so_in_both_languages(
    training: Node,
) -> None:
    await register(training)
    row = ["刘丽华", LIU, 2024, "初级"]
    await post_exam_workbook(
        training, ["姓名", "身份证号", "考试年度", "级别", "是否通过"], [*row, "是"]
    )
    report = await post_exam_workbook(
        training, ["姓名", "身份证号", "考试年度", "级别", "是否通过"], [*row, "否"]
    )
    (bad,) = report["rejected"]
    assert (bad["row"], bad["field"]) == (2, "passed")
    assert bad["reason"] == "the 2024 assistant exam is already recorded as passed"
    assert bad["reason_zh"] == "该年度该级别考试成绩已登记为通过"


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


async def test_a_long_exam_sheet_leaves_the_event_loop_turning(training: Node) -> None:
    """Round 9: an exam sheet's rows are each looked up in the transaction that stores
    them, and SQLite's statements run on the loop's thread — a 5,000-row sheet of a
    department's own workers held training's ``/health`` 24 s on ``shegong up``. The loop
    now takes a turn every 50 rows; the results are the same."""
    people = [
        (f"测试{i}", rid(f"19{70 + i % 30}0{1 + i % 9}1{i % 9}", f"{i % 1000:03d}"))
        for i in range(1200)
    ]
    for name, number in people:
        training.feed.register(name, number)
    await training.sync()
    # Two sheets of half the people each, the better judged: on a loaded machine another
    # process (a browser test beside this one) may take the core for a while.
    stalls = []
    for half in (people[:600], people[600:]):
        lines = ["姓名,身份证号,考试年度,级别,是否通过,证书编号,取证日期"] + [
            f"{name},{number},2025,社会工作师,是,SW-{name},2025-06-30" for name, number in half
        ]
        files = {"file": ("exams.csv", "\n".join(lines).encode())}
        longest, took, resp = await longest_stall(
            lambda files=files: training.client.post("/imports/exam-results", files=files)
        )
        assert resp.status_code == 200, resp.text[:300]
        assert resp.json()["recorded"] == len(half), resp.text[:300]
        print(f"longest loop stall {longest:.2f} s of {took:.2f} s")
        stalls.append(longest / took)
    assert min(stalls) < 0.5, stalls  # before: 0.60 s of 0.75 s
