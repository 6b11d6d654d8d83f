"""Sheets as offices type them up, round 11: headers in traditional characters (a sheet
typed on a machine set to them: 工作單位, 簽到時間), 企业微信's meeting list (成员名称 |
所在部门), and an exam list kept in English naming the titles (Assistant Social Worker)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from shegong.training.imports.sheets import CHINA

from .test_sheet_names_and_dates import LIU, QIAN, ZHANG, china, post_exam_workbook, register
from .test_signin_by_name import attended, sign_in

if TYPE_CHECKING:
    from conftest import Node


async def test_headers_in_traditional_characters_are_the_columns_they_name(
    training: Node,
) -> None:
    """工作單位 is 工作单位: namesakes are told apart by it, and 簽到時間 is the time."""
    feed = training.feed
    east = feed.register("张伟", organization="东关社区居委会", record_id="H-1")
    feed.register("张伟", organization="西岩社区居委会", record_id="H-2")
    await training.sync()
    sid, report = await sign_in(
        training, "姓名,工作單位,簽到時間\n張偉,東關社區居委會,2025-03-01 08:50\n"
    )
    assert (report["recorded"], report["rejected"]) == (1, []), report
    assert await attended(training, sid) == {east}
    await training.sync_own()
    detail = await training.ok("GET", f"/sessions/{sid}")
    assert china(detail["attendance"][0]["signed_at"]) == datetime(2025, 3, 1, 8, 50, tzinfo=CHINA)


async def test_a_wecom_meeting_list_names_its_members(training: Node) -> None:
    """企业微信: 成员名称, 所在部门, 入会时间 — the member found by name and department;
    a member nobody registered is reported, naming the field."""
    feed = training.feed
    he = feed.register("何丽娟", organization="安定区民政局", record_id="W-1")
    zhou = feed.register("周杰", organization="安定区民政局", record_id="W-2")
    await training.sync()
    sid, report = await sign_in(
        training,
        "成员名称,所在部门,入会时间,离会时间,参会时长\n"
        "何丽娟,安定区民政局,2025-03-01 15:00,2025-03-01 17:00,02:00:00\n"
        "周杰,安定区民政局/社会事务科,2025-03-01 15:05,2025-03-01 17:00,01:55:00\n"
        "赵六,安定区民政局,2025-03-01 15:06,2025-03-01 17:00,01:54:00\n",
    )
    assert report["recorded"] == 2, report
    assert [(r["row"], r["field"]) for r in report["rejected"]] == [(4, "nickname")]
    assert await attended(training, sid) == {he, zhou}


async def test_a_wecom_meeting_list_kept_in_english(training: Node) -> None:
    """企业微信's list with English headers: Member, Department, Join Time."""
    feed = training.feed
    deng = feed.register("邓超", organization="永定路街道办事处", record_id="E-1")
    feed.register("邓超", organization="中华路街道办事处", record_id="E-2")
    await training.sync()
    sid, report = await sign_in(
        training,
        "Member,Department,Join Time,Leave Time,Duration\n"
        "邓超,永定路街道办事处,2025-03-01 10:00,2025-03-01 11:00,01:00:00\n",
    )
    assert (report["recorded"], report["rejected"]) == (1, []), report
    assert await attended(training, sid) == {deng}


async def test_a_subjects_score_headed_by_its_levels_name(training: Node) -> None:
    """高级社会工作实务 | 初级社会工作综合能力: a subject's score column, however the
    level is written in front of the subject."""
    ids = await register(training)
    report = await post_exam_workbook(
        training,
        ["2025年度高级社会工作师考试成绩"],
        ["姓名", "身份证号", "高级社会工作实务"],
        ["刘丽华", LIU, 68],
        ["张伟", ZHANG, 55.5],
    )
    assert (report["recorded"], report["rejected"]) == (2, []), report
    await training.sync_own()
    exams = await training.ok("GET", "/exams", params={"year": 2025})
    got = {(e["worker_id"], e["level"], e["passed"]) for e in exams["items"]}
    assert got == {(ids["liu"], "senior", True), (ids["zhang"], "senior", False)}


async def test_an_exam_list_in_english_names_the_levels_by_their_titles(training: Node) -> None:
    ids = await register(training)
    report = await post_exam_workbook(
        training,
        ["Name", "ID No.", "Exam Year", "Level", "Result"],
        ["刘丽华", LIU, 2024, "Assistant Social Worker", "Pass"],
        ["张伟", ZHANG, 2024, "Social Worker", "Fail"],
        ["钱七", QIAN, 2024, "Senior Social Worker", "Absent"],
    )
    assert (report["recorded"], report["rejected"]) == (3, []), report
    await training.sync_own()
    exams = await training.ok("GET", "/exams", params={"year": 2024})
    got = {(e["worker_id"], e["level"], e["passed"]) for e in exams["items"]}
    assert got == {
        (ids["liu"], "assistant", True),
        (ids["zhang"], "intermediate", False),
        (ids["qian"], "senior", False),
    }


def _slipped(number: str) -> str:
    """``number`` with its check character typed wrong."""
    return number[:-1] + ("1" if number[-1] != "1" else "2")


async def test_an_id_number_typed_wrong_beside_a_phone_on_a_sign_in_sheet(training: Node) -> None:
    """A sign-in row's ID number with a wrong check character beside the phone: the phone
    (and the name) say who, as beside a number Excel mangled; alone, the ID number is
    refused naming it. An exam result is never recorded on such a number."""
    ids = await register(training)  # 張偉 holds 13809312001
    sid, report = await sign_in(
        training,
        "姓名,身份证号,手机号,签到时间\n"
        f"张伟,{_slipped(ZHANG)},13809312001,2025-03-01 08:55\n"
        f"刘丽华,{_slipped(LIU)},,2025-03-01 08:56\n",
    )
    assert report["recorded"] == 1, report
    assert [(r["row"], r["field"]) for r in report["rejected"]] == [(3, "id_number")]
    assert await attended(training, sid) == {ids["zhang"]}
    exams = await post_exam_workbook(
        training,
        ["姓名", "身份证号", "手机号", "考试年度", "级别", "是否通过"],
        ["张伟", _slipped(ZHANG), "13809312001", 2024, "初级", "是"],
    )
    assert exams["recorded"] == 0
    assert [(r["row"], r["field"]) for r in exams["rejected"]] == [(2, "id_number")]


async def test_a_signature_box_typed_up_from_a_photograph(training: Node) -> None:
    """签名 as typed up from a photographed sheet: the own name with one character read
    wrong (孙月 for 孙悦) is the person's signature; another's name, or a name with 代
    after it (李娜代: 代签), is no attendance — reported as someone signing for them,
    naming the field, in both languages."""
    feed = training.feed
    sun = feed.register("孙悦", organization="西岩社区居委会", record_id="S-1")
    feed.register("陈思思", organization="西岩社区居委会", record_id="S-2")
    feed.register("韩梅梅", organization="西岩社区居委会", record_id="S-3")
    await training.sync()
    sid, report = await sign_in(
        training,
        "姓名,单位,签名\n孙悦,西岩社区,孙月\n陈思思,西岩社区,李娜代\n韩梅梅,西岩社区,孙悦\n",
    )
    assert report["recorded"] == 1, report
    assert await attended(training, sid) == {sun}
    refused = {r["row"]: r for r in report["rejected"]}
    assert sorted(refused) == [3, 4]
    assert all(r["field"] == "signed_at" for r in refused.values())
    assert "代签" in refused[3]["reason_zh"] and "signature" in refused[3]["reason"]


async def test_a_name_typed_up_with_a_character_read_alike_beside_the_phone(
    training: Node,
) -> None:
    """The phone says who; the name confirms it even with a character typed for one read
    alike (马小燕 for 马晓燕, 黄晓名 for 黄晓明) — but a name of another sound beside the
    phone (陈子涵 for 陈子轩: twins' names) is refused, naming the name."""
    feed = training.feed
    ma = feed.register("马晓燕", phone="13909310001", organization="东关社区居委会")
    huang = feed.register("黄晓明", phone="13909310021", organization="东关社区居委会")
    feed.register("陈子轩", phone="13909310031", organization="东关社区居委会")
    await training.sync()
    sid, report = await sign_in(
        training,
        "姓名,手机号,签到时间\n"
        "马小燕,13909310001,08:50\n"
        "黄晓名,13909310021,08:51\n"
        "陈子涵,13909310031,08:52\n",
    )
    assert report["recorded"] == 2, report
    assert [(r["row"], r["field"]) for r in report["rejected"]] == [(4, "name")]
    assert await attended(training, sid) == {ma, huang}


async def test_a_meeting_nickname_of_the_unit_then_the_name(training: Node) -> None:
    """腾讯会议's 用户昵称 written 东关社区钱玉兰 (the unit, then the name, nothing between):
    the name and the unit it says, as 钱玉兰-东关社区 does; a unit that is not the
    person's refuses the row, never crediting someone else."""
    feed = training.feed
    qian = feed.register("钱玉兰", organization="东关社区居委会", record_id="N-1")
    feed.register("王芳", organization="红叶社会工作服务中心", record_id="N-2")
    await training.sync()
    sid, report = await sign_in(
        training,
        "用户昵称,入会时间,退会时间,入会时长（分钟）\n"
        "东关社区钱玉兰,2025-03-01 14:03,2025-03-01 16:00,117\n"
        "西岩社区王芳,2025-03-01 14:04,2025-03-01 16:00,116\n",
    )
    assert report["recorded"] == 1, report
    assert [(r["row"], r["field"]) for r in report["rejected"]] == [(3, "nickname")]
    assert await attended(training, sid) == {qian}
