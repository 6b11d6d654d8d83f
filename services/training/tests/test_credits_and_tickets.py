"""Round train7's blind documents, continued: 学分 instead of 学时, converted by the rule
the sheet states (in a line above the header, the header's own note, a note under the
table) and refused without one; an exam's results keyed by 准考证号 alone, with the
报名表 on another sheet of the workbook. Before, the credits were dropped without a word
(attendance only) and the workbook refused as a whole."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import openpyxl

from .test_signin_by_name import sign_in
from .test_tails_stays_progress import FANG_A, FANG_B, ZHAO

if TYPE_CHECKING:
    from conftest import Node


async def hours(node: Node, worker_id: str) -> float:
    await node.sync_own()
    return float((await node.ok("GET", f"/workforce/{worker_id}"))["person"]["hours"])


async def test_credits_are_hours_by_the_sheets_own_rule(training: Node) -> None:
    feed = training.feed
    chen = feed.register("陈静怡", FANG_A)
    guo = feed.register("郭鹏", FANG_B)
    zhao = feed.register("赵敏", ZHAO)
    await training.sync()
    # an 8-hour session (sign_in's): 3 credits of 2 hours, 1.5 of them; 5 are capped at 8
    _, report = await sign_in(
        training,
        "2025年继续教育学分登记表\n说明：本次培训按1学分=2学时折算\n姓名,身份证号,获得学分\n"
        f"陈静怡,{FANG_A},3\n郭鹏,{FANG_B},1.5\n赵敏,{ZHAO},5\n",
    )
    assert report["rejected"] == [], report
    assert [await hours(training, w) for w in (chen, guo, zhao)] == [6.0, 3.0, 8.0]

    # the rule in a note under the table, and the header's own note
    _, report = await sign_in(
        training, f"姓名,身份证号,学分\n陈静怡,{FANG_A},1\n注：每学分折合1.5学时。\n"
    )
    assert await hours(training, chen) == 7.5, report
    _, report = await sign_in(training, f"姓名,身份证号,学分（1学分=3学时）\n郭鹏,{FANG_B},2\n")
    assert await hours(training, guo) == 9.0, report


async def test_credits_without_a_rule_are_refused_not_guessed(training: Node) -> None:
    chen = training.feed.register("陈静怡", FANG_A)
    await training.sync()
    _, report = await sign_in(training, f"姓名,身份证号,学分\n陈静怡,{FANG_A},2\n")
    (refused,) = report["rejected"]
    assert refused["field"] == "credits" and "1学分=N学时" in refused["reason_zh"], refused
    assert "how many hours a credit is" in refused["reason"]
    assert await hours(training, chen) == 0.0


def workbook(*sheets: tuple[str, list[list[object]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


async def test_results_by_ticket_number_are_their_candidates_on_the_register(
    training: Node,
) -> None:
    feed = training.feed
    ma_a = feed.register("马丽", FANG_A)
    ma_b = feed.register("马丽", FANG_B)
    await training.sync()
    data = workbook(
        (
            "成绩",
            [
                ["2025年度助理社会工作师职业水平考试成绩"],
                ["准考证号", "社会工作综合能力", "社会工作实务", "是否合格"],
                ["2562110100101", 72, 65, "合格"],
                ["2562110100102", 58, 66, "不合格"],
                ["2562110100109", 70, 70, "合格"],  # on no 报名表
            ],
        ),
        (
            "报名信息",
            [
                ["准考证号", "姓名", "身份证号", "报考级别"],
                ["2562110100101", "马丽", FANG_B, "助理社会工作师"],
                ["2562110100102", "马丽", FANG_A, "助理社会工作师"],
            ],
        ),
    )
    resp = await training.client.post("/imports/exam-results", files={"file": ("成绩.xlsx", data)})
    assert resp.status_code == 200, resp.text
    report: dict[str, Any] = resp.json()
    assert report["recorded"] == 2, report
    (refused,) = report["rejected"]
    assert refused["field"] == "ticket" and "报名表" in refused["reason_zh"], refused
    await training.sync_own()
    exams = {e["worker_id"]: e for e in (await training.ok("GET", "/exams"))["items"]}
    assert set(exams) == {ma_a, ma_b}
    assert exams[ma_b]["passed"] and not exams[ma_a]["passed"]
    assert exams[ma_b]["exam_year"] == 2025 and exams[ma_b]["level"] == "assistant"
