"""Exam results, appraisals, pre-job obligations and the training indicators; and a
training node whose read models were dropped gives the same answers after a restart."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete
from stdnum.cn import ric

from shegong.kernel.events.schema import projection_positions
from shegong.kernel.ops.db import writing

if TYPE_CHECKING:
    from conftest import Node, StartTraining


def rid(birth: str, serial: str, region: str = "621102") -> str:
    body = f"{region}{birth}{serial}"
    return body + ric.calc_check_digit(body + "0")


ZHANG, LI, WANG = rid("19880312", "123"), rid("19920817", "246"), rid("19850607", "242")
ZHAO = rid("19900101", "555")


ROSTER_DAY = date(2025, 1, 1)  # the day the department's roster reached training


async def scenario(node: Node) -> dict[str, str]:
    """Three new hires in 2025, one old hand, a base, a pre-job and an exam-prep session."""
    feed = node.feed
    on = {"registered_on": ROSTER_DAY}
    ids = {
        "zhang": feed.register("张伟", ZHANG, hired_on=date(2025, 1, 10), **on),
        "li": feed.register(
            "李娜", LI, hired_on=date(2025, 2, 1), organization="红叶社工服务中心", **on
        ),
        "wang": feed.register("王芳", WANG, hired_on=date(2025, 1, 5), county="临洮县", **on),
        "zhao": feed.register("赵敏", ZHAO, hired_on=date(2020, 5, 1), **on),
    }
    await node.sync()
    base = await node.ok(
        "POST",
        "/bases",
        json={
            "name": "定西市社会工作培训基地",
            "kind": "培训基地",
            "tier": "市级",
            "region": "安定区",
        },
    )
    base_id = base["base"]["base_id"]
    prejob = await node.ok(
        "POST",
        "/sessions",
        json={
            "kind": "prejob",
            "title": "岗前培训",
            "held_on": "2025-03-01",
            "hours": 16,
            "base_id": base_id,
        },
    )
    prep = await node.ok(
        "POST",
        "/sessions",
        json={
            "kind": "考前冲刺",
            "title": "考前冲刺班",
            "held_on": "2025-05-20",
            "hours": 24,
            "base_id": base_id,
        },
    )
    p, e = prejob["session"]["session_id"], prep["session"]["session_id"]
    sheet = f"姓名,身份证号,签到时间\n张伟,{ZHANG},2025-03-01 09:00\n李娜,{LI},2025-03-01 09:01\n"
    await node.ok("POST", f"/sessions/{p}/signin-sheet", files={"file": ("a.csv", sheet.encode())})
    await node.ok("POST", f"/sessions/{p}/complete")
    sheet = f"姓名,身份证号,签到时间\n张伟,{ZHANG},2025-05-20 09:00\n赵敏,{ZHAO},2025-05-20\n"
    await node.ok("POST", f"/sessions/{e}/signin-sheet", files={"file": ("b.csv", sheet.encode())})
    exams = (
        "姓名,身份证号,考试年度,级别,是否通过\n"
        f"张伟,{ZHANG},2025,社会工作师,是\n"
        f"赵敏,{ZHAO},2025,助理社会工作师,否\n"
        f"王芳,{WANG},2025,中级,未通过\n"
        f"无名,{rid('19700101', '111')},2025,中级,是\n"
    )
    report = await node.ok(
        "POST", "/imports/exam-results", files={"file": ("exams.csv", exams.encode())}
    )
    assert report["recorded"] == 3 and [r["row"] for r in report["rejected"]] == [5]
    await node.ok(
        "POST", "/assessments", json={"worker_id": ids["zhang"], "period": "2024", "grade": "优秀"}
    )
    await node.sync_own()
    return ids


async def answers(node: Node, ids: dict[str, str]) -> dict[str, Any]:
    figures = await node.ok("GET", "/indicators/training", params={"year": 2025})
    return {
        "indicators": figures,
        "region": await node.ok(
            "GET", "/indicators/training", params={"year": 2025, "region": "临洮县"}
        ),
        "overdue": await node.ok(
            "GET", "/obligations/prejob/overdue", params={"as_of": "2025-12-31"}
        ),
        "zhang": await node.ok("GET", f"/workforce/{ids['zhang']}"),
    }


async def test_indicators_obligations_and_exam_import(training: Node) -> None:
    ids = await scenario(training)
    got = await answers(training, ids)
    figures = got["indicators"]
    assert figures["sessions"] == 2
    assert figures["person_times"] == 4
    assert figures["trainees"] == 3
    assert figures["hours"] == 32  # two pre-job completions of 16 h
    assert figures["by_kind"]["prejob"] == {
        "label_zh": "岗前培训",
        "sessions": 1,
        "person_times": 2,
    }
    assert figures["by_tier"]["city"]["sessions"] == 2
    # New hires in 2025: 张伟, 李娜 (covered), 王芳 (not): 2 of 3.
    assert figures["prejob_coverage"]["numerator"] == 2
    assert figures["prejob_coverage"]["denominator"] == 3
    # Exam prep: 张伟 and 赵敏 attended and sat; 张伟 passed.
    assert figures["examprep_pass_rate"]["value"] == 0.5
    assert figures["as_of"]["training_records"]
    assert figures["as_of"]["training_workforce"] == {"/shegong/registry/city": 4}
    assert figures["as_of_date"] == "2025-12-31"
    # As of 30 April: the pre-job session only (the exam prep of 20 May not yet held).
    april = await training.ok(
        "GET", "/indicators/training", params={"year": 2025, "as_of": "2025-04-30"}
    )
    assert (april["sessions"], april["person_times"], april["hours"]) == (1, 2, 32)
    assert april["prejob_coverage"]["numerator"] == 2
    assert april["examprep_pass_rate"]["denominator"] == 0
    assert april["as_of_date"] == "2025-04-30"
    # Sessions are at a base in 安定区; 临洮县 held none, but 王芳 is a new hire there.
    assert got["region"]["sessions"] == 0
    assert got["region"]["prejob_coverage"]["denominator"] == 1
    overdue = got["overdue"]
    # 王芳 (hired 2025-01-05) never did pre-job training; 赵敏 neither, but she was in
    # service (hired 2020) when the roster arrived: she owes nothing.
    assert overdue["total"] == 1
    assert [g["region"] for g in overdue["groups"]] == ["临洮县/永定路街道"]
    assert overdue["groups"][0]["workers"][0]["records"] == [ids["wang"]]
    only = await training.ok(
        "GET", "/obligations/prejob/overdue", params={"as_of": "2025-12-31", "region": "临洮县"}
    )
    assert only["total"] == 1 and only["groups"][0]["workers"][0]["name"] == "王芳"
    # Within the window nobody is overdue yet.
    early = await training.ok(
        "GET", "/obligations/prejob/overdue", params={"as_of": "2025-02-01", "region": "临洮县"}
    )
    assert early["total"] == 0
    assert "id_number_hash" not in got["zhang"]
    listed = await training.ok("GET", "/sessions", params={"year": 2025})
    assert [(s["kind_zh"], s["tier_zh"], s["base_name"]) for s in listed] == [
        ("考前冲刺", "市级", "定西市社会工作培训基地"),
        ("岗前培训", "市级", "定西市社会工作培训基地"),
    ]


async def test_a_worker_who_left_owes_nothing(training: Node) -> None:
    roster_day = date.today() - timedelta(days=400)
    training.feed.register("赵敏", ZHAO, hired_on=date(2020, 5, 1), registered_on=roster_day)
    worker = training.feed.register(
        "李娜", LI, hired_on=date.today() - timedelta(days=200), registered_on=roster_day
    )
    await training.sync()
    assert (await training.ok("GET", "/obligations/prejob/overdue"))["total"] == 1
    training.feed.leave(worker, 2, date.today() - timedelta(days=10))
    await training.sync()
    assert (await training.ok("GET", "/obligations/prejob/overdue"))["total"] == 0
    assert (await training.ok("GET", f"/workforce/{worker}"))["left_on"]


async def test_restart_with_dropped_read_models_gives_the_same_answers(
    database_url: str, start_training: StartTraining
) -> None:
    first = await start_training(database_url)
    ids = await scenario(first)
    before = await answers(first, ids)
    await first.stop()
    # Drop every read model: the tables' rows and their positions.
    async with writing(first.runtime.engine) as conn:
        for runner in first.runtime.runners:
            for table in runner.projection.metadata.sorted_tables:
                await conn.execute(delete(table))
        await conn.execute(delete(projection_positions))
    await first.runtime.engine.dispose()

    # The restarted node refills from the registry's feed and its own store on start.
    second = await start_training(database_url, first.feed)
    assert await answers(second, ids) == before


async def test_a_pass_without_a_certificate_date_counts_from_31_december_of_its_year(
    training: Node,
) -> None:
    """One rule, the registry's too (``exam_certified_on``): 31 December of the exam year —
    or the day the result is recorded, when this year's exam is recorded before then —
    never the day a past year's sheet happened to be imported."""
    this_year = date.today().year
    zhang = training.feed.register("张伟", ZHANG)
    zhao = training.feed.register("赵敏", ZHAO)
    await training.sync()
    sheet = (
        "姓名,身份证号,考试年度,级别,是否通过,取证日期\n"
        f"张伟,{ZHANG},2024,助理社会工作师,是,\n"
        f"张伟,{ZHANG},{this_year},社会工作师,是,\n"
        f"赵敏,{ZHAO},2024,助理社会工作师,是,2024-11-02\n"
    )
    report = await training.ok(
        "POST", "/imports/exam-results", files={"file": ("exams.csv", sheet.encode())}
    )
    assert report["recorded"] == 3
    dated = {
        (e.data["worker_id"], e.data["exam_year"]): e.data["certified_on"]
        for e in await training.runtime.store.read_after(0, 10_000)
        if e.type == "ExamResultRecorded"
    }
    assert dated == {
        (zhang, 2024): "2024-12-31",
        (zhang, this_year): str(min(date(this_year, 12, 31), date.today())),
        (zhao, 2024): "2024-11-02",
    }


async def test_a_regions_training_counts_the_persons_working_in_it(training: Node) -> None:
    """A region's person-times and trainees are those of the persons whose organisation's
    region lies in it (DOMAIN.md), wherever the session was held — a city base, or no base
    at all as the README's own example creates them; its sessions are those held at a base
    in it and those at no base its people attended. A person who moved counts where their
    latest record puts them."""
    feed = training.feed
    zhang = feed.register("张伟", ZHANG, hired_on=date(2019, 3, 1))  # 安定区
    wang = feed.register("王芳", WANG, hired_on=date(2021, 6, 1), county="临洮县")
    li_before = feed.register("李娜", LI, hired_on=date(2018, 1, 1), record_id="C-1")
    li_after = feed.register(
        "李娜", LI, hired_on=date(2025, 2, 1), county="临洮县", department="hrss", record_id="H-1"
    )
    feed.link("civil-affairs:C-1", "hrss:H-1")
    await training.sync()
    base = await training.ok(
        "POST",
        "/bases",
        json={"name": "市培训基地", "kind": "培训基地", "tier": "市级", "region": "安定区"},
    )

    async def session(title: str, day: str, *who: str, at_base: bool = False) -> None:
        body = {"kind": "专题讲座", "title": title, "held_on": day, "hours": 4}
        if at_base:
            body["base_id"] = base["base"]["base_id"]
        sid = (await training.ok("POST", "/sessions", json=body))["session"]["session_id"]
        for worker in who:
            await training.ok("POST", f"/sessions/{sid}/attendance", json={"worker_id": worker})

    await session("市级讲座", "2025-04-01", zhang, wang, at_base=True)
    await session("临洮县讲座", "2025-05-01", wang)
    await session("安定区讲座", "2025-06-01", zhang, li_before)
    await training.sync_own()

    async def figures(region: str | None) -> tuple[int, int, int]:
        params: dict[str, Any] = {"year": 2025} | ({"region": region} if region else {})
        got = await training.ok("GET", "/indicators/training", params=params)
        return got["sessions"], got["person_times"], got["trainees"]

    assert await figures(None) == (3, 5, 3)
    # 王芳 at the city base and at her county's; 李娜 (now in 临洮县) at 安定区's.
    assert await figures("临洮县") == (2, 3, 2)
    # The base is in 安定区, and 张伟 went to its two sessions.
    assert await figures("安定区") == (2, 2, 1)
    assert li_after
