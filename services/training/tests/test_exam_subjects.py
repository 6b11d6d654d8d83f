"""An exam list of one row per subject (科目: 社会工作综合能力 | 社会工作实务), as score lists
are: one result per person, year and level — passed when every subject of the level's exam
(初级 two, 中级 three, 高级 one) is on the list and passed, failed when any is failed; with
a subject missing and none failed the result is unknown and its rows are refused saying so.
A passed subject was recorded as a passed exam before, and the failed one refused as a
contradiction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .test_sheet_names_and_dates import AYGUL, LIU, QIAN, ZHANG, post_exam_workbook, register

if TYPE_CHECKING:
    from conftest import Node


async def test_a_list_of_one_row_per_subject_gives_one_result_per_exam(training: Node) -> None:
    ids = await register(training)
    report = await post_exam_workbook(
        training,
        ["2025年度全国社会工作者职业水平考试成绩"],
        ["姓名", "身份证号", "报考级别", "科目名称", "成绩", "是否合格"],
        ["刘丽华", LIU, "助理社会工作师", "社会工作综合能力（初级）", 72, "合格"],
        ["刘丽华", LIU, "助理社会工作师", "社会工作实务（初级）", 65, "合格"],
        ["张伟", ZHANG, "助理社会工作师", "社会工作综合能力（初级）", 70, "合格"],
        ["张伟", ZHANG, "助理社会工作师", "社会工作实务（初级）", 52, "不合格"],
        ["阿依古丽·买买提", AYGUL, "社会工作师", "社会工作综合能力（中级）", 61, "合格"],
        ["阿依古丽·买买提", AYGUL, "社会工作师", "社会工作实务（中级）", 66, "合格"],
        ["阿依古丽·买买提", AYGUL, "社会工作师", "社会工作法规与政策（中级）", 60, "合格"],
        ["钱七", QIAN, "社会工作师", "社会工作综合能力（中级）", 75, "合格"],
    )
    assert report["recorded"] == 3, report
    refused = [(r["row"], r["field"]) for r in report["rejected"]]
    assert refused == [(10, "subject")]
    assert "1 of the exam's 3 subjects" in report["rejected"][0]["reason"]
    assert sorted(r["row"] for r in report["repeated"]) == [4, 6, 8, 9]
    await training.sync_own()
    exams = await training.ok("GET", "/exams", params={"year": 2025})
    passed = {e["worker_id"]: e["passed"] for e in exams["items"]}
    assert passed == {ids["liu"]: True, ids["zhang"]: False, ids["aygul"]: True}

    again = await post_exam_workbook(
        training,
        ["2025年度全国社会工作者职业水平考试成绩"],
        ["姓名", "身份证号", "报考级别", "科目名称", "是否合格"],
        ["刘丽华", LIU, "助理社会工作师", "社会工作综合能力（初级）", "合格"],
        ["刘丽华", LIU, "助理社会工作师", "社会工作实务（初级）", "合格"],
    )
    assert (again["recorded"], len(again["repeated"]), again["rejected"]) == (0, 2, [])


async def test_a_subject_list_contradicting_a_recorded_result_refuses_those_rows_only(
    training: Node,
) -> None:
    """A pass list recorded first, then a score list of one row per subject saying one of
    those people failed: that person's rows are refused as a contradiction (naming the
    field), and everyone else's results on the list are recorded — the file is not refused
    as a whole."""
    ids = await register(training)
    first = await post_exam_workbook(
        training,
        ["2025年度助理社会工作师职业资格考试合格人员名单"],
        ["姓名", "身份证号"],
        ["刘丽华", LIU],
    )
    assert first["recorded"] == 1, first
    report = await post_exam_workbook(
        training,
        ["2025年度全国社会工作者职业水平考试成绩"],
        ["姓名", "身份证号", "报考级别", "科目名称", "成绩", "是否合格"],
        ["刘丽华", LIU, "助理社会工作师", "社会工作综合能力（初级）", 72, "合格"],
        ["刘丽华", LIU, "助理社会工作师", "社会工作实务（初级）", 52, "不合格"],
        ["钱七", QIAN, "助理社会工作师", "社会工作综合能力（初级）", 75, "合格"],
        ["钱七", QIAN, "助理社会工作师", "社会工作实务（初级）", 66, "合格"],
    )
    assert report["recorded"] == 1, report
    refused = sorted((r["row"], r["field"]) for r in report["rejected"])
    assert refused == [(3, "passed"), (4, "passed")]
    assert all("already recorded" in r["reason"] and r["reason_zh"] for r in report["rejected"])
    await training.sync_own()
    exams = await training.ok("GET", "/exams", params={"year": 2025})
    passed = {e["worker_id"]: e["passed"] for e in exams["items"]}
    assert passed == {ids["liu"]: True, ids["qian"]: True}


async def test_a_score_list_without_a_pass_column_is_read_by_its_scores(training: Node) -> None:
    """成绩 lists as 人社 sends them, with no 是否通过: 合格 / 不合格 / 缺考 in 成绩, or a
    score per subject — passed at 60 of 100 in every subject of the level's exam (a resit's
    "补考 72" is 72), failed under 60 in any; with fewer subjects than the exam has, or a
    total over 100, the result is unknown and the row refused naming 是否通过."""
    ids = await register(training)
    words = await post_exam_workbook(
        training,
        ["2024年度高级社会工作师考试成绩"],
        ["姓名", "身份证号", "成绩"],
        ["刘丽华", LIU, "合格"],
        ["张伟", ZHANG, "不合格"],
        ["钱七", QIAN, "缺考"],
    )
    assert (words["recorded"], words["rejected"]) == (3, []), words
    scores = await post_exam_workbook(
        training,
        ["2025年度助理社会工作师考试成绩"],
        ["姓名", "身份证号", "社会工作综合能力", "社会工作实务"],
        ["刘丽华", LIU, 85.5, "补考 72"],
        ["张伟", ZHANG, 59, 70],
        ["钱七", QIAN, "61分", ""],
        ["阿依古丽·买买提", AYGUL, 120, 130],
    )
    assert scores["recorded"] == 2, scores
    assert [(r["row"], r["field"]) for r in scores["rejected"]] == [(5, "passed"), (6, "passed")]
    assert "是否通过" in scores["rejected"][0]["reason_zh"]
    await training.sync_own()
    got = {}
    for year in (2024, 2025):
        exams = await training.ok("GET", "/exams", params={"year": year})
        got.update({(e["worker_id"], year): e["passed"] for e in exams["items"]})
    assert got == {
        (ids["liu"], 2024): True,
        (ids["zhang"], 2024): False,
        (ids["qian"], 2024): False,
        (ids["liu"], 2025): True,
        (ids["zhang"], 2025): False,
    }


async def test_a_subject_list_whose_subjects_name_the_level(training: Node) -> None:
    """No 级别 column and a title naming no level: each row's 科目 names it (社会工作实务
    （中级）) — the list is read, not refused as a whole for a missing 级别; a subject
    naming no level refuses that row only, naming the field."""
    ids = await register(training)
    report = await post_exam_workbook(
        training,
        ["2021年度社会工作者职业水平考试成绩"],
        ["姓名", "身份证号", "科目名称", "成绩"],
        ["刘丽华", LIU, "社会工作综合能力（初级）", 70],
        ["刘丽华", LIU, "社会工作实务（初级）", 66],
        ["张伟", ZHANG, "社会工作综合能力（中级）", 70],
        ["张伟", ZHANG, "社会工作实务（中级）", 66],
        ["张伟", ZHANG, "社会工作法规与政策（中级）", 52],
        ["钱七", QIAN, "综合能力", 75],
    )
    assert report["recorded"] == 2, report
    assert [(r["row"], r["field"]) for r in report["rejected"]] == [(8, "level")]
    await training.sync_own()
    exams = await training.ok("GET", "/exams", params={"year": 2021})
    got = {e["worker_id"]: (e["level"], e["passed"]) for e in exams["items"]}
    assert got == {ids["liu"]: ("assistant", True), ids["zhang"]: ("intermediate", False)}
