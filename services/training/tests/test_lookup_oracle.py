"""A department's sheets cannot ask "is this ID number (phone) another department's?"
(round 6, probed on ``shegong up``).

A department's exam sheet or sign-in sheet is matched against its own workers only. The
refusal for a row naming another department's worker said "not found among your
department's workers / 本部门人员中查无此人", and for a number nobody registered "unknown
person: nobody with this ID number or phone is registered / 查无此人：人员库中…": two
answers, so one sheet of every phone the shown mask ``139****0002`` allows (10,000 rows)
told which one is registered — the whole phone — and one of every ID number a birth
year, sex, county and ``6****************1`` allow (~16,000) the whole ID number and birth
date. A row with a guessed ID number beside the department's own worker's phone was
recorded when nobody had the number and refused when another department had it: the
same oracle through a second door.

Now an answer to a department depends on its own workers only: another department's
number reads exactly as a number nobody registered. The access log still records the
other department's rows (which department, which rows — never who).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from shegong.contracts.registry import Region, WorkerRegistered
from shegong.kernel.testing import RoleKeys

from .conftest import HASHER, Node, StartTraining
from .test_sessions import rid

OURS = rid("19880312", "123")
THEIRS = rid("19750118", "035", "621126")  # hrss's worker
NOBODYS = rid("19750118", "037", "621126")  # nobody's: same mask bucket, another number
OUR_PHONE, THEIR_PHONE, NOBODYS_PHONE = "13909310005", "13909310002", "13909310009"


@pytest.fixture
def keys(tmp_path: Path) -> RoleKeys:
    return RoleKeys(tmp_path / "api-keys.json")


@pytest.fixture
async def node(database_url: str, start_training: StartTraining, keys: RoleKeys) -> Node:
    return await start_training(database_url, api_keys_file=str(keys.file.path))


def as_(node: Node, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=node.client._transport,
        base_url=str(node.client.base_url),
        headers={"Authorization": f"Bearer {key}"},
    )


def hrss_worker(node: Node) -> None:
    worker_id = str(uuid.uuid4())
    node.feed.append(
        worker_id,
        1,
        WorkerRegistered(
            worker_id=worker_id,
            department="hrss",
            name="陈建国",
            id_number_hash=HASHER.id_number(THEIRS),
            phone_hash=HASHER.phone(THEIR_PHONE),
            region=Region(county="岷县"),
        ),
    )


def answers(report: dict[str, Any]) -> dict[int, tuple[str, str, str]]:
    return {r["row"]: (r["field"], r["reason"], r["reason_zh"]) for r in report["rejected"]}


async def test_another_departments_number_reads_as_nobodys(node: Node, keys: RoleKeys) -> None:
    node.feed.register("张伟", OURS, OUR_PHONE)  # civil-affairs' own worker
    hrss_worker(node)
    await node.sync()
    async with as_(node, keys.civil) as civil:
        exams = (
            "姓名,身份证号,手机号,考试年度,级别,是否通过\n"
            f"陈建国,{THEIRS},,2024,中级,否\n"  # 2: another department's ID number
            f"陈建国,{NOBODYS},,2024,中级,否\n"  # 3: nobody's
            f"陈建国,,{THEIR_PHONE},2024,中级,否\n"  # 4: another department's phone
            f"陈建国,,{NOBODYS_PHONE},2024,中级,否\n"  # 5: nobody's
        ).encode()
        files = {"file": ("exams.csv", exams, "text/csv")}
        resp = await civil.post("/imports/exam-results", files=files)
        assert resp.status_code in (200, 201), resp.text
        got = answers(resp.json())
        assert got[2] == got[3], got
        assert got[4] == got[5], got
        # still says why, in both languages, naming nobody
        field, reason, reason_zh = got[2]
        assert field == "id_number" and "your department" in reason and "本部门" in reason_zh
        assert "hrss" not in resp.text and "陈建国" not in reason + reason_zh

        # A guessed number beside our own worker's phone: the same answer, whoever has it.
        body = {"name": "民政基地", "kind": "培训基地", "tier": "县级"}
        base = await civil.post("/bases", json=body)
        assert base.status_code in (200, 201), base.text
        outcomes = []
        for guess in (THEIRS, NOBODYS):  # a session each, the same sheet but the guess
            session = await civil.post(
                "/sessions",
                json={
                    "kind": "岗前培训",
                    "title": "岗前培训",
                    "held_on": "2025-03-01",
                    "hours": 8,
                    "base_id": base.json()["base"]["base_id"],
                },
            )
            sid = session.json()["session"]["session_id"]
            sheet = f"姓名,身份证号,手机号,签到时间\n张伟,{guess},{OUR_PHONE},2025-03-01 08:55\n"
            files = {"file": ("签到表.csv", sheet.encode(), "text/csv")}
            resp = await civil.post(f"/sessions/{sid}/signin-sheet", files=files)
            assert resp.status_code in (200, 201), resp.text
            report = resp.json()
            outcomes.append((report["recorded"], list(answers(report).values())))
        assert outcomes[0] == outcomes[1], outcomes

    # The access log still says which department's rows were asked for (never who).
    every = await node.runtime.store.read_after(0, 10_000)
    logged = [
        e.data
        for e in every
        if e.type == "AccessRecorded" and e.data.get("what") == "person_lookup"
    ]
    refused = [r for r in logged if r["outcome"] == "refused"]
    assert refused and {r["department"] for r in refused} == {"hrss"}
    assert sum(r["rows"] for r in refused) >= 2


async def test_a_sheet_costs_the_same_whoever_holds_its_numbers(node: Node, keys: RoleKeys) -> None:
    """The refusals read the same, but the access record of a sheet naming another
    department's people was the only write of an all-refused sheet: on ``shegong up`` one
    guess behind ``139****0002`` answered in 7.0 ms when it was another department's and
    5.2 ms when nobody's (medians of 40), and a sheet of many guesses tells whether the
    number is among them — a binary search by time. Now every department sheet leaves one
    access record: who looked up how many rows, whoever's they were."""
    hrss_worker(node)
    await node.sync()

    async def records() -> int:
        every = await node.runtime.store.read_after(0, 10_000)
        return sum(
            1 for e in every if e.type == "AccessRecorded" and e.data.get("what") == "person_lookup"
        )

    async with as_(node, keys.civil) as civil:
        written = []
        for phone in (THEIR_PHONE, NOBODYS_PHONE, THEIR_PHONE, NOBODYS_PHONE):
            before = await records()
            sheet = f"姓名,身份证号,手机号,考试年度,级别,是否通过\n陈建国,,{phone},2024,中级,否\n"
            files = {"file": ("exams.csv", sheet.encode(), "text/csv")}
            resp = await civil.post("/imports/exam-results", files=files)
            assert resp.status_code in (200, 201), resp.text
            written.append(await records() - before)
    assert written == [1, 1, 1, 1], written
    every = await node.runtime.store.read_after(0, 10_000)
    logged = [e.data for e in every if e.data.get("what") == "person_lookup"]
    assert {(r["outcome"], r["department"]) for r in logged} == {
        ("refused", "hrss"),
        ("read", None),
    }
