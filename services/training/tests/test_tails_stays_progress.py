"""Round train7's blind documents: namesakes told apart only by 身份证后六位 / 后四位 (the
last digits compared through the registry's keyed digests of the number's parts, never
held); a 签到 | 签退 of five minutes in a three-hour session; an online course's 完成进度
under 100%. Each was credited (or refused a person the sheet named) before."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .test_signin_by_name import attended, sign_in

if TYPE_CHECKING:
    from conftest import Node

FANG_A = "621102198803121182"
FANG_B = "621102199107051226"
ZHAO = "621102199002201443"
MA_ZERO = "621102198801010112"  # last six 010112: Excel keeps them as 10112


async def test_namesakes_are_told_apart_by_the_id_numbers_last_digits(training: Node) -> None:
    feed = training.feed
    fang_a = feed.register("王芳", FANG_A, organization="东关社区居委会")
    feed.register("王芳", FANG_B, organization="东关社区居委会")
    zhao = feed.register("赵敏", ZHAO, organization="东关社区居委会")
    ma = feed.register("马强", MA_ZERO, organization="东关社区居委会")
    feed.register("马强", "621102199202021519", organization="东关社区居委会")
    await training.sync()

    sid, report = await sign_in(
        training,
        "序号,姓名,身份证后六位,签到时间\n"
        f"1,王芳,{FANG_A[-6:]},08:51\n"
        # the one 赵敏 registered, but the sheet's last six are not hers: a clerk's
        "2,赵敏,220318,09:02\n"
        # a leading zero lost (a CSV saved from Excel)
        f"3,马强,{int(MA_ZERO[-6:])},09:03\n",
    )
    assert await attended(training, sid) == {fang_a, ma}, report
    refused = {r["name"]: r for r in report["rejected"]}
    assert set(refused) == {"赵敏"}, report
    assert refused["赵敏"]["field"] == "id_tail"
    assert (
        "身份证后几位" in refused["赵敏"]["reason_zh"]
        and "last digits" in refused["赵敏"]["reason"]
    )
    assert zhao not in await attended(training, sid)

    # 后四位 alone: the order and check character; a tail neither namesake has is refused
    sid, report = await sign_in(
        training,
        f"姓名,身份证号后四位,签到\n王芳,{FANG_B[-4:]},√\n王芳,9999,√\n",
    )
    assert len(await attended(training, sid)) == 1, report
    assert [r["field"] for r in report["rejected"]] == ["id_tail"], report


async def test_a_namesake_without_an_id_number_keeps_the_row_for_a_clerk(training: Node) -> None:
    feed = training.feed
    feed.register("张伟", FANG_A, organization="西岩社区")
    feed.register("张伟", None, phone="13800000001", organization="西岩社区")
    await training.sync()
    sid, report = await sign_in(training, f"姓名,身份证后四位,签到\n张伟,{FANG_A[-4:]},√\n")
    assert await attended(training, sid) == set(), report
    assert report["rejected"][0]["field"] == "name", report


async def test_a_stay_of_minutes_and_an_unfinished_course_are_no_attendance(
    training: Node,
) -> None:
    feed = training.feed
    stayed = feed.register("韩梅", phone="13800000011")
    gone = feed.register("田野", phone="13800000012")
    morning = feed.register("阎涛", phone="13800000013")
    await training.sync()
    # a session of 8 hours (sign_in's): 09:00 → 09:05 is no attendance; a whole day is
    sid, report = await sign_in(
        training,
        "姓名,手机号,上午签到,上午签退,下午签到,下午签退\n"
        "韩梅,13800000011,08:52,12:00,14:00,17:30\n"
        "田野,13800000012,09:00,09:05,,\n"
        "阎涛,13800000013,08:55,,,17:30\n",
    )
    assert await attended(training, sid) == {stayed, morning}, report
    (refused,) = report["rejected"]
    assert refused["field"] == "signed_out" and "09:00–09:05" in refused["reason"], refused
    assert "不记出勤" in refused["reason_zh"]
    assert gone not in await attended(training, sid)


async def test_an_online_course_under_100_percent_is_not_attended(training: Node) -> None:
    feed = training.feed
    done = feed.register("唐宁", phone="13800000021")
    feed.register("邓超", phone="13800000022")
    feed.register("许诺", phone="13800000023")
    await training.sync()
    sid, report = await sign_in(
        training,
        "姓名,手机号,学习时长,完成进度\n"
        "唐宁,13800000021,150分钟,100%\n"
        "邓超,13800000022,01:00:00,40%\n"
        "许诺,13800000023,02:00:00,0.85\n",
    )
    assert await attended(training, sid) == {done}, report
    assert [r["field"] for r in report["rejected"]] == ["progress", "progress"], report


async def test_a_course_still_under_way_is_not_attended(training: Node) -> None:
    feed = training.feed
    done = feed.register("程浩", phone="13800000031")
    feed.register("白雪", phone="13800000032")
    await training.sync()
    # a learning platform's 状态, its headers in two languages
    sid, report = await sign_in(
        training,
        "Name 姓名,Mobile 手机,学习时长,状态\n"
        "程浩,13800000031,1时30分,已完成\n"
        "白雪,13800000032,45min,学习中\n",
    )
    assert await attended(training, sid) == {done}, report
    assert [r["field"] for r in report["rejected"]] == ["status"], report
