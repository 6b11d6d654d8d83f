"""Round train8's blind documents: a 结业 list whose 是否结业 否 stands beside the 学时 of
the course (credited in full before: wrong credit); a photographed sheet's box holding how
late someone came (迟到30分钟: refused as no time before); an online platform's 已获学时
(read as attendance only before); a subject's score written 作弊 (refused before)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .test_credits_and_tickets import hours
from .test_sheet_names_and_dates import LIU, QIAN, ZHANG, post_exam_workbook, register
from .test_signin_by_name import attended, sign_in
from .test_tails_stays_progress import FANG_A, FANG_B, MA_ZERO, ZHAO

if TYPE_CHECKING:
    from conftest import Node


async def test_a_course_not_completed_credits_no_hours(training: Node) -> None:
    feed = training.feed
    done = feed.register("陈静怡", FANG_A)
    failed = feed.register("郭鹏", FANG_B)
    absent = feed.register("赵敏", ZHAO)
    odd = feed.register("马强", MA_ZERO)
    await training.sync()
    # an 8-hour session (sign_in's): 是否结业 否 beside 培训学时 8 is attendance, no hours
    sid, report = await sign_in(
        training,
        "2025年岗前培训结业考核名单\n序号,姓名,身份证号,培训学时,考核成绩,是否结业\n"
        f"1,陈静怡,{FANG_A},8,88,是\n2,郭鹏,{FANG_B},8,52,否\n"
        f"3,赵敏,{ZHAO},8,缺考,未结业（缺考）\n4,马强,{MA_ZERO},8,70,待定\n",
    )
    assert await attended(training, sid) == {done, failed, absent}, report
    assert [await hours(training, w) for w in (done, failed, absent, odd)] == [8.0, 0, 0, 0]
    (refused,) = report["rejected"]
    assert refused["field"] == "completion" and "结业" in refused["reason_zh"], refused
    assert "completed" in refused["reason"]

    # a 结业名单 without 学时: 结业 credits the session's hours, 不予结业 none
    sid, report = await sign_in(
        training,
        f"姓名,身份证号,结业情况\n陈静怡,{FANG_A},结业（优秀）\n郭鹏,{FANG_B},不予结业\n",
    )
    assert await attended(training, sid) == {done, failed}, report
    assert [await hours(training, w) for w in (done, failed)] == [16.0, 0]


async def test_a_box_saying_how_late_they_came_is_a_sign_in(training: Node) -> None:
    feed = training.feed
    late = feed.register("陈静怡", FANG_A, organization="西岩社区居委会")
    early = feed.register("郭鹏", FANG_B, organization="西岩社区居委会")
    signed_for = feed.register("赵敏", ZHAO, organization="西岩社区居委会")
    await training.sync()
    sid, report = await sign_in(
        training,
        "姓名,单位,签到,签退\n"
        "陈静怡,西岩社区,迟到30分钟,陈静怡\n"
        "郭鹏,西岩社区,郭鹏,早退 半小时\n"
        "赵敏,西岩社区,代签,\n",
    )
    assert await attended(training, sid) == {late, early}, report
    assert [r["name"] for r in report["rejected"]] == ["赵敏"]
    assert signed_for not in await attended(training, sid)


async def test_hours_an_online_platform_says_were_earned(training: Node) -> None:
    feed = training.feed
    done = feed.register("陈静怡", FANG_A, phone="13800000021")
    going = feed.register("郭鹏", FANG_B, phone="13800000022")
    await training.sync()
    sid, report = await sign_in(
        training,
        "用户账号,姓名,手机号,学习进度,已获学时,完成状态\n"
        "u1,陈静怡,13800000021,100%,6,已完成\nu2,郭鹏,13800000022,45%,2.5,学习中\n",
    )
    assert await attended(training, sid) == {done}, report
    assert [await hours(training, w) for w in (done, going)] == [6.0, 0]


async def test_a_score_written_cheating_is_no_pass(training: Node) -> None:
    ids = await register(training)
    report = await post_exam_workbook(
        training,
        ["2025年社会工作者职业水平考试（中级）成绩"],
        ["姓名", "身份证号", "综合能力", "实务", "法规与政策", "合格标志"],
        ["刘丽华", LIU, 70, 72, 65, ""],
        ["张伟", ZHANG, 61, "作弊", 60, ""],
        ["钱七", QIAN, "成绩无效", 80, 75, ""],
    )
    assert (report["recorded"], report["rejected"]) == (3, []), report
    await training.sync_own()
    exams = await training.ok("GET", "/exams", params={"year": 2025})
    passed = {e["worker_id"]: e["passed"] for e in exams["items"]}
    assert passed == {ids["liu"]: True, ids["zhang"]: False, ids["qian"]: False}


async def test_a_remark_taking_the_signature_back_is_no_attendance(training: Node) -> None:
    feed = training.feed
    came = feed.register("陈静怡", FANG_A, organization="东关社区居委会")
    feed.register("郭鹏", FANG_B, organization="东关社区居委会")
    feed.register("赵敏", ZHAO, organization="东关社区居委会")
    feed.register("马强", MA_ZERO, organization="东关社区居委会")
    await training.sync()
    sid, report = await sign_in(
        training,
        "姓名,工作单位,签到时间,签退时间,备注\n"
        "陈静怡,东关社区,08:50,17:00,下午请假半小时\n"
        "郭鹏,东关社区,08:52,17:00,代签\n"
        "赵敏,东关社区,08:53,17:00,由陈静怡代签。\n"
        "马强,东关社区,08:55,17:00,请假\n",
    )
    assert await attended(training, sid) == {came}, report
    refused = [(r["name"], r["field"]) for r in report["rejected"]]
    assert refused == [("郭鹏", "remark"), ("赵敏", "remark"), ("马强", "remark")], report
    assert (
        "代签" in report["rejected"][0]["reason_zh"]
        and "signed for" in report["rejected"][0]["reason"]
    )


async def test_progress_in_words_or_lessons_done(training: Node) -> None:
    feed = training.feed
    done = feed.register("陈静怡", FANG_A, phone="13800000031")
    lessons = feed.register("郭鹏", FANG_B, phone="13800000032")
    feed.register("赵敏", ZHAO, phone="13800000033")
    feed.register("马强", MA_ZERO, phone="13800000034")
    await training.sync()
    sid, report = await sign_in(
        training,
        "姓名,手机号,学习进度\n陈静怡,13800000031,已完成\n郭鹏,13800000032,12/12\n"
        "赵敏,13800000033,8/12\n马强,13800000034,学习中(60%)\n",
    )
    assert await attended(training, sid) == {done, lessons}, report
    refused = [(r["name"], r["field"]) for r in report["rejected"]]
    assert refused == [("赵敏", "progress"), ("马强", "progress")], report
    assert all("未学完" in r["reason_zh"] for r in report["rejected"]), report
