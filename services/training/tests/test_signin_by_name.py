"""A sign-in sheet as paper sheets are: 姓名 and 工作单位, no ID number, no phone. A row is
the one registered person of its name (their records under several departments, linked by
the census, are one), or of namesakes the one at the unit the row names; namesakes the
unit does not tell apart, a unit that is none of theirs, or a name nobody registered, are
refused asking for the ID number or phone — never a guess, never who the namesakes are."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shegong.training.application.people import same_unit

if TYPE_CHECKING:
    from conftest import Node


async def sign_in(node: Node, text: str) -> tuple[str, dict[str, Any]]:
    body = {"kind": "岗前培训", "title": "岗前培训", "held_on": "2025-03-01", "hours": 8}
    sid = (await node.ok("POST", "/sessions", json=body))["session"]["session_id"]
    resp = await node.client.post(
        f"/sessions/{sid}/signin-sheet", files={"file": ("签到表.csv", text.encode(), "text/csv")}
    )
    assert resp.status_code == 200, resp.text
    report: dict[str, Any] = resp.json()
    return sid, report


async def attended(node: Node, sid: str) -> set[str]:
    await node.sync_own()
    detail = await node.ok("GET", f"/sessions/{sid}")
    return {a["worker_id"] for a in detail["attendance"]}


async def test_a_sheet_of_names_and_units_finds_each_person(training: Node) -> None:
    feed = training.feed
    ma = feed.register("马晓燕", organization="东关社区居委会", record_id="MZ-1")
    # one human on two rosters, linked by the census: one person, not namesakes
    chen = feed.register("陈建国", organization="红叶社会工作服务中心", record_id="MZ-2")
    chen_rs = feed.register("陈建国", department="hrss", organization="", record_id="RS-2")
    feed.link("civil-affairs:MZ-2", "hrss:RS-2")
    # two 李娜 at two units: the unit tells them apart
    li_red = feed.register("李娜", organization="红叶社会工作服务中心", record_id="MZ-3")
    feed.register("李娜", organization="西岩社区居委会", record_id="MZ-4")
    # two 王芳 at one unit: nothing tells them apart
    feed.register("王芳", organization="东关社区居委会", record_id="MZ-5")
    feed.register("王芳", organization="东关社区居委会", record_id="MZ-6")
    await training.sync()

    sid, report = await sign_in(
        training,
        "姓名,工作单位,签到\n"
        "马晓燕,东关社区,√\n"
        "陈建国,,√\n"
        "李娜,红叶社工中心,已签到\n"
        "王芳,东关社区居委会,√\n"
        "李娜,,√\n"
        "赵六,东关社区,√\n"
        "马晓燕,西岩社区,√\n",
    )
    assert report["recorded"] == 3, report
    present = await attended(training, sid)
    assert len(present) == 3 and {ma, li_red} < present
    assert present & {chen, chen_rs}  # under either of his records: one person
    refused = {r["row"]: (r["field"], r["reason"], r["reason_zh"]) for r in report["rejected"]}
    assert sorted(refused) == [5, 6, 7, 8]
    assert "several registered persons" in refused[5][1] and "同名" in refused[5][2]
    assert "several registered persons" in refused[6][1]
    assert refused[7][0] == "name" and "nobody of this name" in refused[7][1]
    assert refused[8][0] == "organization" and "at this unit" in refused[8][1]
    # the refusals name no namesake's unit or record
    assert not any("红叶" in r[1] + r[2] or "西岩" in r[1] + r[2] for r in refused.values())


def test_units_as_clerks_write_them() -> None:
    assert same_unit("红叶社工中心", "红叶社会工作服务中心")
    assert same_unit("东关社区", "东关社区居委会")
    assert same_unit("安定区民政局", "定西市安定区民政局")
    assert not same_unit("东关社区", "东城社区居委会")
    assert not same_unit("安定区民政局", "安定区中华路街道办事处")
    assert not same_unit("红叶社工中心", "绿叶社会工作服务中心")


async def test_a_punch_in_apps_export_counts_only_those_who_came(training: Node) -> None:
    """钉钉's export: 姓名, 部门, 打卡时间, 打卡结果 — a 缺卡 or 请假 row has no time, and a
    blank time alone would read as present at the day's start."""
    feed = training.feed
    ma = feed.register("马晓燕", organization="东关社区居委会", record_id="MZ-1")
    li = feed.register("李娜", organization="红叶社会工作服务中心", record_id="MZ-3")
    feed.register("周杰", organization="安定区民政局", record_id="MZ-4")
    feed.register("王芳", organization="东关社区居委会", record_id="MZ-5")
    await training.sync()
    sid, report = await sign_in(
        training,
        "姓名,部门,工号,考勤日期,打卡时间,打卡结果\n"
        "马晓燕,东关社区,,2025-03-01,08:55,正常\n"
        "李娜,红叶,,2025-03-01,09:20,迟到\n"
        "周杰,民政局,,2025-03-01,,缺卡\n"
        "王芳,东关社区,,2025-03-01,,请假\n",
    )
    assert report["recorded"] == 2
    assert {(r["row"], r["field"]) for r in report["rejected"]} == {(4, "status"), (5, "status")}
    assert "缺卡" in report["rejected"][0]["reason_zh"]
    assert await attended(training, sid) == {ma, li}


async def test_a_name_written_in_another_script_or_without_its_dot(training: Node) -> None:
    """A sheet of names finds its people by the name as compared: 马晓燕 is the 馬曉燕 a
    department registered in traditional characters, 阿依古丽买买提 is 阿依古丽·买买提,
    刘丽华(兼) is 刘丽华 — and a namesake in the other script is still a namesake."""
    feed = training.feed
    ma = feed.register("馬曉燕", organization="东关社区居委会", record_id="T-1")
    aygul = feed.register("阿依古丽·买买提", organization="红叶社会工作服务中心", record_id="T-2")
    liu = feed.register("劉麗華", organization="西岩社区居委会", record_id="T-3")
    feed.register("張偉", organization="东关社区居委会", record_id="T-4")
    feed.register("张伟", organization="东关社区居委会", record_id="T-5")
    await training.sync()

    sid, report = await sign_in(
        training,
        "姓名,工作单位,签到\n"
        "马晓燕,东关社区,√\n"
        "阿依古丽买买提,红叶社工,√\n"
        "刘丽华(兼),西岩社区,√\n"
        "张伟,东关社区,√\n",
    )
    assert report["recorded"] == 3, report
    assert [(r["row"], r["field"]) for r in report["rejected"]] == [(5, "name")]
    assert await attended(training, sid) == {ma, aygul, liu}


async def test_a_unit_written_in_brackets_after_the_name(training: Node) -> None:
    """张伟（西岩社区）: the unit in brackets tells namesakes apart as a 工作单位 column
    does; a clerk's note in brackets (兼) tells nothing, and namesakes stay unresolved."""
    feed = training.feed
    feed.register("张伟", organization="东关社区居委会", record_id="B-1")
    west = feed.register("张伟", organization="西岩社区居委会", record_id="B-2")
    red = feed.register("李娜", organization="红叶社会工作服务中心", record_id="B-3")
    feed.register("李娜", organization="西岩社区居委会", record_id="B-4")
    await training.sync()

    sid, report = await sign_in(
        training,
        "姓名,签到\n张伟（西岩社区）,√\n李娜(红叶社工),√\n李娜(兼),√\n",
    )
    assert report["recorded"] == 2, report
    assert [(r["row"], r["field"]) for r in report["rejected"]] == [(4, "name")]
    assert await attended(training, sid) == {west, red}
