"""Sessions, enrolment, sign-in sheets, completions: over HTTP, real Redis and databases."""

from __future__ import annotations

import io
from datetime import date
from typing import TYPE_CHECKING

import openpyxl
from stdnum.cn import ric

if TYPE_CHECKING:
    from conftest import Node


def rid(birth: str, serial: str, region: str = "621102") -> str:
    body = f"{region}{birth}{serial}"
    return body + ric.calc_check_digit(body + "0")


ZHANG, LI, WANG = rid("19880312", "123"), rid("19920817", "246"), rid("19850607", "242")


async def session(node: Node, **extra: object) -> str:
    body = {"kind": "岗前培训", "title": "2025年新入职社工岗前培训", "held_on": "2025-03-01"}
    body |= {"hours": 16, **extra}
    return (await node.ok("POST", "/sessions", json=body))["session"]["session_id"]


async def test_enrolment_past_capacity_is_refused_with_the_reason(training: Node) -> None:
    ids = [training.feed.register(n, i) for n, i in (("张伟", ZHANG), ("李娜", LI), ("王芳", WANG))]
    await training.sync()
    sid = await session(training, capacity=2)
    for worker_id in ids[:2]:
        await training.ok("POST", f"/sessions/{sid}/enrolments", json={"worker_id": worker_id})
    again = await training.ok("POST", f"/sessions/{sid}/enrolments", json={"worker_id": ids[0]})
    assert again["accepted"] is False  # enrolling twice takes no second place
    refused = await training.client.post(f"/sessions/{sid}/enrolments", json={"worker_id": ids[2]})
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["field"] == "worker_id"
    assert "full: 2 of 2" in error["message"] and "名额已满" in error["message"]


async def test_unknown_worker_and_session_are_named(training: Node) -> None:
    sid = await session(training)
    resp = await training.client.post(f"/sessions/{sid}/enrolments", json={"worker_id": "nobody"})
    assert resp.status_code == 404 and resp.json()["error"]["field"] == "worker_id"
    resp = await training.client.post("/sessions/nope/attendance", json={"worker_id": "x"})
    assert resp.status_code == 404 and resp.json()["error"]["field"] == "session_id"
    resp = await training.client.post(
        "/sessions", json={"kind": "岗前", "title": "x", "held_on": "2025-01-01", "hours": 2}
    )
    assert resp.status_code == 422 and "kind" in resp.text


async def test_sign_in_sheet_counts_a_person_once_and_reports_unknown_people(
    training: Node,
) -> None:
    zhang = training.feed.register("张伟", ZHANG, "13809312001")
    li = training.feed.register("李娜", LI)
    await training.sync()
    sid = await session(training)
    sheet = (
        "2025年岗前培训签到表\n"
        "姓名,身份证号,手机号,签到时间\n"
        f"张伟,{ZHANG},,2025-03-01 08:55\n"
        f"李娜,{LI},,2025/3/1 9:02\n"
        "张伟,,138 0931 2001,2025-03-01 13:30\n"  # signs in again in the afternoon, by phone
        f"赵六,{WANG},,2025-03-01 09:10\n"  # nobody registered this person
        "钱七,12345,,2025-03-01 09:11\n"  # a mistyped ID number
        f"李娜,{LI},,下午\n"
    ).encode("gbk")
    resp = await training.client.post(
        f"/sessions/{sid}/signin-sheet", files={"file": ("签到表.csv", sheet, "text/csv")}
    )
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["rows_read"] == 6
    assert report["recorded"] == 2
    assert [(r["row"], r["worker_id"]) for r in report["repeated"]] == [(5, zhang)]
    rejected = {r["row"]: r for r in report["rejected"]}
    assert set(rejected) == {6, 7, 8}
    assert "unknown person" in rejected[6]["reason"] and "查无此人" in rejected[6]["reason_zh"]
    assert rejected[7]["field"] == "id_number"
    assert rejected[8]["field"] == "signed_at"

    # The same sheet again records nothing new: attendance is per person and session.
    again = (
        await training.client.post(
            f"/sessions/{sid}/signin-sheet", files={"file": ("签到表.csv", sheet, "text/csv")}
        )
    ).json()
    assert again["recorded"] == 0 and len(again["repeated"]) == 3
    await training.sync_own()
    detail = await training.ok("GET", f"/sessions/{sid}")
    assert sorted(a["worker_id"] for a in detail["attendance"]) == sorted([zhang, li])


async def test_xlsx_sheet_and_name_mismatch(training: Node) -> None:
    training.feed.register("张伟", ZHANG)
    await training.sync()
    sid = await session(training)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号", "签到时间"])
    sheet.append(["张 伟", ZHANG, "2025-03-01 09:00"])
    sheet.append(["张三", ZHANG, "2025-03-01 09:00"])
    data = io.BytesIO()
    book.save(data)
    report = (
        await training.client.post(
            f"/sessions/{sid}/signin-sheet", files={"file": ("sheet.xlsx", data.getvalue())}
        )
    ).json()
    assert report["recorded"] == 1
    assert report["rejected"][0]["row"] == 3 and report["rejected"][0]["field"] == "name"


async def test_a_sheet_without_a_name_column_is_refused_whole(training: Node) -> None:
    sid = await session(training)
    resp = await training.client.post(
        f"/sessions/{sid}/signin-sheet", files={"file": ("x.csv", "手机号,签到时间\n1,9:00\n")}
    )
    assert resp.status_code == 422
    assert resp.json()["error"]["field"] == "file" and "姓名" in resp.json()["error"]["message_zh"]
    # names alone are read row by row: someone nobody registered is refused, never invented
    resp = await training.client.post(
        f"/sessions/{sid}/signin-sheet", files={"file": ("x.csv", "姓名,签到时间\n张伟,9:00\n")}
    )
    assert resp.status_code == 200 and resp.json()["recorded"] == 0
    (row,) = resp.json()["rejected"]
    assert row["field"] == "name" and "nobody of this name" in row["reason"]


async def test_completion_needs_attendance_and_credits_hours(training: Node) -> None:
    zhang = training.feed.register("张伟", ZHANG)
    li = training.feed.register("李娜", LI)
    await training.sync()
    sid = await session(training)
    await training.ok("POST", f"/sessions/{sid}/attendance", json={"worker_id": zhang})
    resp = await training.client.post(f"/sessions/{sid}/completions", json={"worker_id": li})
    assert resp.status_code == 422 and resp.json()["error"]["field"] == "worker_id"
    resp = await training.client.post(
        f"/sessions/{sid}/completions", json={"worker_id": zhang, "hours": 99}
    )
    assert resp.status_code == 422 and resp.json()["error"]["field"] == "hours"
    done = await training.ok(
        "POST", f"/sessions/{sid}/completions", json={"worker_id": zhang, "score": 92}
    )
    assert done["session"]["completed"] == 1
    assert [e["type"] for e in done["events"]] == ["TrainingCompleted"]
    assert date.fromisoformat(done["session"]["held_on"]) == date(2025, 3, 1)
