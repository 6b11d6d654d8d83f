"""The census person is training's unit: one human on two departments' rosters (two
records the census links with ``RecordsLinked``) is one trainee, counted once in a session
whichever record each sign-in found; ``RecordsUnlinked`` splits them again; the links are
a read model like the rest (a rebuild from the feeds equals what ran live). Pre-job
training is owed by real new hires only: a city's first rosters owe nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from stdnum.cn import ric

from shegong.kernel.ops.runtime import Runtime
from shegong.kernel.testing import rebuild_differences
from shegong.training.main import SERVICE

from .conftest import REGISTRY_SOURCE

if TYPE_CHECKING:
    from conftest import Node, StartTraining


def rid(birth: str, serial: str) -> str:
    body = f"621102{birth}{serial}"
    return body + ric.calc_check_digit(body + "0")


ZHANG, LI = rid("19880312", "123"), rid("19920817", "246")
MZ, RS = "civil-affairs:MZ1", "hrss:RS1"
ROSTER_DAY = date(2025, 1, 1)


async def session(node: Node, kind: str, held_on: str, hours: float) -> str:
    body = {"kind": kind, "title": f"{kind} {held_on}", "held_on": held_on, "hours": hours}
    return str((await node.ok("POST", "/sessions", json=body))["session"]["session_id"])


async def counted(node: Node) -> tuple[int, int, float]:
    await node.sync()
    f = await node.ok("GET", "/indicators/training", params={"year": 2025})
    return f["trainees"], f["person_times"], f["hours"]


async def overdue(node: Node, as_of: date) -> list[dict[str, Any]]:
    await node.sync()
    found = await node.ok("GET", "/obligations/prejob/overdue", params={"as_of": str(as_of)})
    people = [w for g in found["groups"] for w in g["workers"]]
    assert found["total"] == len(people)
    return people


async def test_one_human_on_two_rosters_is_one_trainee_until_unlinked(
    database_url: str, start_training: StartTraining
) -> None:
    node = await start_training(database_url)
    feed = node.feed
    on = {"hired_on": date(2019, 3, 1), "registered_on": ROSTER_DAY}
    # 民政 knows 张伟 by ID number and one phone; 人社's roster has only another phone.
    a = feed.register("张伟", ZHANG, "13909322001", record_id="MZ1", **on)
    b = feed.register("张伟", None, "13909322002", department="hrss", record_id="RS1", **on)
    await node.sync()

    lecture = await session(node, "专题讲座", "2025-04-01", 4)
    sheet = (
        "姓名,身份证号,手机号,签到时间\n"
        "张伟,{},,2025-04-01 09:00\n"
        "张伟,,13909322002,2025-04-01 13:30\n"  # a phone only 人社's record holds
    )
    report = await node.ok(
        "POST",
        f"/sessions/{lecture}/signin-sheet",
        files={"file": ("签到表.csv", sheet.format(ZHANG).encode())},
    )
    assert report["recorded"] == 2 and report["rejected"] == []  # one row per record
    await node.ok("POST", f"/sessions/{lecture}/complete")
    practice = await session(node, "实践", "2025-06-10", 8)
    await node.ok("POST", f"/sessions/{practice}/attendance", json={"worker_id": b})
    await node.ok("POST", f"/sessions/{practice}/completions", json={"worker_id": b})
    await node.ok("POST", "/assessments", json={"worker_id": b, "period": "2024", "grade": "优秀"})
    await node.sync_own()

    # Not (yet) linked: two trainees, three person-times, the lecture's hours twice.
    assert await counted(node) == (2, 3, 16)

    feed.link(MZ, RS)
    assert await counted(node) == (1, 2, 12)  # the lecture once, the practice once
    trainee = await node.ok("GET", f"/workforce/{a}")
    # the keyed digests training holds to find people stay in its tables
    assert not {"id_number_hash", "id_number_parts", "phone_hash", "name_key"} & trainee.keys()
    person = trainee["person"]
    assert [r["worker_id"] for r in person["records"]] == sorted([a, b])
    assert (person["sessions_attended"], person["sessions_completed"], person["hours"]) == (
        2,
        2,
        12,
    )
    assert [x["grade_zh"] for x in person["assessments"]] == ["优秀"]  # recorded under 人社's

    feed.unlink(MZ, RS)
    assert await counted(node) == (2, 3, 16)
    person = (await node.ok("GET", f"/workforce/{a}"))["person"]
    assert [r["worker_id"] for r in person["records"]] == [a]
    assert (person["hours"], person["assessments"]) == (4, [])

    feed.link(RS, MZ)  # linked again, the other way round
    live = await counted(node)
    assert live == (1, 2, 12)
    await node.stop()

    # The links are a read model: rebuilt from the feeds, the same rows and answers.
    runtime = Runtime(SERVICE, node.runtime.settings)
    runtime.feeds.add(REGISTRY_SOURCE, feed)
    try:
        assert await rebuild_differences(runtime) == {}
    finally:
        await runtime.engine.dispose()
        await runtime.redis.aclose()
    again = await start_training(database_url, feed)
    assert await counted(again) == live


async def test_a_citys_first_rosters_owe_no_prejob_training_only_new_hires_do(
    database_url: str, start_training: StartTraining
) -> None:
    node = await start_training(database_url)
    feed = node.feed
    today = date.today()
    # The first rosters of three departments, today: staff hired years ago, and some
    # whose roster gives no hiring date.
    for n, department in enumerate(["civil-affairs", "hrss", "youth-league"] * 10):
        hired = date(2012 + n % 12, 1 + n % 12, 1) if n % 5 else None
        feed.register(f"老员工{n}", department=department, phone=f"1390932{n:04d}", hired_on=hired)
    await node.sync()
    assert await overdue(node, today + timedelta(days=400)) == []
    year = await node.ok("GET", "/indicators/training", params={"year": today.year})
    assert year["prejob_coverage"]["denominator"] == 0

    # A real new hire, on both departments' rosters: overdue after the window ...
    a = feed.register("李娜", LI, hired_on=today, record_id="MZ2")
    b = feed.register("李娜", LI, hired_on=today, department="hrss", record_id="RS2")
    later = today + timedelta(days=120)
    assert {w["worker_id"] for w in await overdue(node, later)} == {a, b}  # not linked yet
    feed.link("civil-affairs:MZ2", "hrss:RS2")
    (line,) = await overdue(node, later)  # one line for the person
    assert line["records"] == sorted([a, b]) and line["due_on"] == str(today + timedelta(90))

    # ... until a pre-job session is completed under either record (人社's here).
    prejob = await session(node, "岗前培训", str(today + timedelta(days=30)), 16)
    await node.ok("POST", f"/sessions/{prejob}/attendance", json={"worker_id": b})
    await node.ok("POST", f"/sessions/{prejob}/completions", json={"worker_id": b})
    await node.sync_own()
    assert await overdue(node, later) == []
    person = (await node.ok("GET", f"/workforce/{a}"))["person"]
    assert person["prejob_completed_on"] == str(today + timedelta(days=30))

    # Unlinked, 民政's record owes it again: the completion was 人社's record's.
    feed.unlink("civil-affairs:MZ2", "hrss:RS2")
    assert [w["worker_id"] for w in await overdue(node, later)] == [a]


async def test_someone_in_service_elsewhere_is_no_new_hire_and_the_cutoff_is_a_setting(
    database_url: str, start_training: StartTraining
) -> None:
    node = await start_training(database_url, prejob_new_hires_from=date(2024, 1, 1))
    feed = node.feed
    on = {"registered_on": ROSTER_DAY}
    owes = feed.register("王芳", hired_on=date(2024, 6, 1), phone="13909320001", **on)
    feed.register("赵敏", hired_on=date(2023, 12, 31), phone="13909320002", **on)
    undated = feed.register("刘洋", phone="13909320003", **on)  # registered after the cutoff
    # 陈静: in 民政's service since 2015; 人社 lists her later as hired this year.
    feed.register("陈静", ZHANG, hired_on=date(2015, 3, 1), record_id="MZ3", **on)
    moved = feed.register(
        "陈静",
        ZHANG,
        hired_on=date(2025, 3, 1),
        department="hrss",
        record_id="RS3",
        registered_on=date(2025, 3, 1),
    )
    end = date(2026, 1, 1)
    assert {w["worker_id"] for w in await overdue(node, end)} == {owes, undated, moved}
    feed.link("civil-affairs:MZ3", "hrss:RS3")
    assert {w["worker_id"] for w in await overdue(node, end)} == {owes, undated}
    found = await node.ok("GET", "/obligations/prejob/overdue", params={"as_of": str(end)})
    assert found["new_hires_from"] == "2024-01-01"
    # The coverage counts everyone hired in its year, whatever the cut-off: 赵敏 in 2023.
    hired_2023 = await node.ok("GET", "/indicators/training", params={"year": 2023})
    assert hired_2023["prejob_coverage"]["denominator"] == 1
