"""Who may change which training records (issue 7, Access), on a running training node
with API keys switched on, over HTTP, real Redis and a real database.

A department key changes only its own department's records: the bases it owns, the
sessions held at them (schedule, enrol, sign in, complete, import a sign-in sheet) and
its own workers' appraisals and exam results. Every refusal is a 403 naming the field
in English and Chinese, and leaves no event behind.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from shegong.contracts import Envelope
from shegong.contracts.registry import Region, WorkerRegistered
from shegong.contracts.training import TRAINING_STREAM, BaseRegistered, SessionScheduled
from shegong.kernel.testing import RoleKeys

from .conftest import HASHER, Node, StartTraining
from .test_sessions import LI, ZHANG


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


def refused(resp: httpx.Response, field: str = "department") -> dict[str, Any]:
    assert resp.status_code == 403, resp.text
    error = resp.json()["error"]
    assert error["code"] == "forbidden"
    assert error["field"] == field
    assert error["message"] and error["message_zh"]
    return error


def created(resp: httpx.Response) -> Any:
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


ACCESS_LOG = {"AccessRecorded", "ApiKeyIssued", "ApiKeyRevoked"}


async def head(node: Node) -> int:
    """The last event that is not an access record (a refusal is recorded there)."""
    return max((e.sequence for e in await events(node)), default=0)


async def events(node: Node) -> list[Any]:
    every = await node.runtime.store.read_after(0, 10_000)
    return [e for e in every if e.type not in ACCESS_LOG]


async def access_log(node: Node) -> list[Any]:
    every = await node.runtime.store.read_after(0, 10_000)
    return [e for e in every if e.type in ACCESS_LOG]


def hrss_worker(node: Node, name: str, id_number: str) -> str:
    """A worker on the HR & social security department's roster."""
    worker_id = str(uuid.uuid4())
    node.feed.append(
        worker_id,
        1,
        WorkerRegistered(
            worker_id=worker_id,
            department="hrss",
            name=name,
            id_number_hash=HASHER.id_number(id_number),
            region=Region(county="安定区"),
        ),
    )
    return worker_id


async def base(client: httpx.AsyncClient, name: str, **extra: Any) -> str:
    body = {"name": name, "kind": "培训基地", "tier": "县级", **extra}
    return created(await client.post("/bases", json=body))["base"]["base_id"]  # type: ignore[no-any-return]


async def schedule(client: httpx.AsyncClient, base_id: str | None, **extra: Any) -> httpx.Response:
    body = {"kind": "岗前培训", "title": "岗前培训", "held_on": "2025-03-01", "hours": 8}
    return await client.post("/sessions", json={**body, "base_id": base_id, **extra})


async def test_a_department_changes_only_its_own_bases_and_sessions(
    node: Node, keys: RoleKeys
) -> None:
    zhang = node.feed.register("张伟", ZHANG)  # civil-affairs' worker
    await node.sync()
    async with as_(node, keys.civil) as civil, as_(node, keys.hrss) as hrss:
        civil_base = await base(civil, "安定区民政培训基地")
        hrss_base = await base(hrss, "安定区人社培训基地")
        await node.sync_own()
        bases = {b["base_id"]: b["department"] for b in created(await civil.get("/bases"))}
        # Everyone reads the whole network, with each base's department.
        assert bases == {civil_base: "civil-affairs", hrss_base: "hrss"}

        # Naming another department for a new base: refused.
        before = await head(node)
        error = refused(
            await civil.post(
                "/bases",
                json={"name": "x", "kind": "培训基地", "tier": "县级", "department": "hrss"},
            )
        )
        assert "civil-affairs" in error["message"] and "hrss" in error["message"]
        assert "部门" in error["message_zh"]
        # A session at another department's base: refused, nothing recorded.
        refused(await schedule(civil, hrss_base))
        assert await head(node) == before

        own = created(await schedule(civil, civil_base))["session"]["session_id"]
        theirs = created(await schedule(hrss, hrss_base))["session"]["session_id"]

        # Another department's session: every change refused.
        before = await head(node)
        body = {"worker_id": zhang}
        refused(await civil.post(f"/sessions/{theirs}/enrolments", json=body))
        refused(await civil.post(f"/sessions/{theirs}/attendance", json=body))
        refused(await civil.post(f"/sessions/{theirs}/completions", json=body))
        refused(await civil.post(f"/sessions/{theirs}/complete"))
        sheet = f"姓名,身份证号,签到时间\n张伟,{ZHANG},2025-03-01 08:55\n".encode()
        refused(
            await civil.post(
                f"/sessions/{theirs}/signin-sheet",
                files={"file": ("签到表.csv", sheet, "text/csv")},
            )
        )
        assert await head(node) == before

        # Its own session, its own worker: everything goes.
        created(await civil.post(f"/sessions/{own}/enrolments", json=body))
        signed = created(
            await civil.post(
                f"/sessions/{own}/signin-sheet", files={"file": ("签到表.csv", sheet, "text/csv")}
            )
        )
        assert signed["recorded"] == 1
        done = created(await civil.post(f"/sessions/{own}/completions", json=body))
        assert done["session"]["completed"] == 1

    # The sessions' events name the department holding them.
    held = {
        e.data["session_id"]: e.data["department"]
        for e in await node.runtime.store.read_after(0, 1000)
        if e.type == "SessionScheduled"
    }
    assert held == {own: "civil-affairs", theirs: "hrss"}


async def test_the_city_administrator_changes_every_departments_records(
    node: Node, keys: RoleKeys
) -> None:
    zhang = node.feed.register("张伟", ZHANG)
    li = hrss_worker(node, "李娜", LI)
    await node.sync()
    async with (
        as_(node, keys.civil) as civil,
        as_(node, keys.hrss) as hrss,
        as_(node, keys.admin) as admin,
    ):
        civil_base = await base(civil, "民政基地")
        # The administrator registers a base for a department, and one of the city's own.
        hrss_base = await base(admin, "人社基地", department="hrss")
        city_base = await base(admin, "市委党校基地")
        for base_id, worker in ((civil_base, zhang), (hrss_base, li), (city_base, zhang)):
            sid = created(await schedule(admin, base_id))["session"]["session_id"]
            created(await admin.post(f"/sessions/{sid}/enrolments", json={"worker_id": worker}))
            created(await admin.post(f"/sessions/{sid}/attendance", json={"worker_id": worker}))
            created(await admin.post(f"/sessions/{sid}/complete"))
        # hrss owns the base the administrator registered for it; nobody but the
        # administrator owns the city's.
        created(await schedule(hrss, hrss_base))
        city_only = refused(await schedule(hrss, city_base))
        assert "city administrator" in city_only["message"] and "None" not in city_only["message"]
        assert "市级管理员" in city_only["message_zh"]
        refused(await schedule(civil, city_base))
        # A session without a base is the scheduling department's.
        free = created(await schedule(hrss, None))["session"]["session_id"]
        refused(await civil.post(f"/sessions/{free}/enrolments", json={"worker_id": zhang}))
        created(await admin.post(f"/sessions/{free}/enrolments", json={"worker_id": zhang}))


async def test_appraisals_and_exam_results_are_the_workers_departments(
    node: Node, keys: RoleKeys
) -> None:
    zhang = node.feed.register("张伟", ZHANG)  # civil-affairs
    li = hrss_worker(node, "李娜", LI)
    await node.sync()
    appraisal = {"period": "2024", "grade": "优秀"}
    async with (
        as_(node, keys.civil) as civil,
        as_(node, keys.admin) as admin,
        as_(node, keys.auditor) as auditor,
    ):
        before = await head(node)
        refused(await civil.post("/assessments", json={"worker_id": li, **appraisal}))
        assert await head(node) == before
        created(await civil.post("/assessments", json={"worker_id": zhang, **appraisal}))
        created(await admin.post("/assessments", json={"worker_id": li, **appraisal}))

        sheet = (
            "姓名,身份证号,考试年度,级别,是否通过\n"
            f"张伟,{ZHANG},2024,中级,是\n"
            f"李娜,{LI},2024,中级,是\n"
        ).encode()
        report = created(
            await civil.post(
                "/imports/exam-results", files={"file": ("exams.csv", sheet, "text/csv")}
            )
        )
        assert report["recorded"] == 1
        # Another department's worker: not found among ours — not whose, not who.
        assert [(r["row"], r["field"]) for r in report["rejected"]] == [(3, "id_number")]
        (rejected,) = report["rejected"]
        assert rejected["reason"] == "not found among your department's workers"
        assert rejected["reason_zh"] == "本部门人员中查无此人"

        # The auditor reads, and is refused every write by the edge (no field to name).
        assert (await auditor.get("/sessions")).status_code == 200
        resp = await auditor.post("/assessments", json={"worker_id": zhang, **appraisal})
        assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden"


async def test_a_department_trains_only_its_own_workers_and_learns_nothing_of_others(
    node: Node, keys: RoleKeys
) -> None:
    """Issue 16 (3, 4): civil-affairs enrolled, signed in and completed hrss's worker in its
    own session (adding hours to their ladder facts), and its sign-in sheet's errors named
    hrss's worker: "does not match the registered worker with this phone (刘洋)"."""
    zhang = node.feed.register("张伟", ZHANG)  # civil-affairs
    li = hrss_worker(node, "李娜", LI)
    await node.sync()
    async with as_(node, keys.civil) as civil, as_(node, keys.admin) as admin:
        civil_base = await base(civil, "安定区民政培训基地")
        own = created(await schedule(civil, civil_base))["session"]["session_id"]
        before = await head(node)
        for action in ("enrolments", "attendance", "completions"):
            error = refused(
                await civil.post(f"/sessions/{own}/{action}", json={"worker_id": li}), "worker_id"
            )
            assert "hrss" not in error["message"] and "本部门" in error["message_zh"]
        sheet = (
            "姓名,身份证号,签到时间\n"
            f"某某,{LI},2025-03-01 08:55\n"  # hrss's worker under a wrong name
            f"李娜,{LI},2025-03-01 08:56\n"  # hrss's worker
            f"张伟,{ZHANG},2025-03-01 08:57\n"  # our own
            f"张伟,{ZHANG},{ZHANG}\n"  # columns shifted: the ID number as the time
        ).encode()
        files = {"file": ("签到表.csv", sheet, "text/csv")}
        report = created(await civil.post(f"/sessions/{own}/signin-sheet", files=files))
        assert report["recorded"] == 1
        assert [(r["row"], r["field"]) for r in report["rejected"]] == [
            (2, "id_number"),
            (3, "id_number"),
            (5, "signed_at"),
        ]
        text = str(report)
        assert ZHANG not in text and ZHANG[:3] + "***" in report["rejected"][2]["reason"]
        shifted = report["rejected"].pop()
        assert "李娜" not in text.replace("'name': '李娜'", "")  # only the sheet's own words
        assert "hrss" not in text and LI not in text
        reasons = {r["reason"] for r in report["rejected"]}
        assert reasons == {"not found among your department's workers"} and shifted
        # Nothing of hrss's worker was recorded in civil-affairs' session.
        attended = [e for e in await events(node) if e.sequence > before]
        assert all(e.data.get("worker_id") != li for e in attended)

        # The refused lookups are in the access log: which department, which rows.
        logged = [
            e.data
            for e in await access_log(node)
            if e.type == "AccessRecorded" and e.data["what"] == "person_lookup"
        ]
        assert [(r["department"], r["rows"], r["outcome"]) for r in logged] == [
            ("hrss", 2, "refused")
        ]
        assert "rows 2, 3" in logged[0]["reason"] and logged[0]["viewer"] == "mz-clerk"

        # The administrator may enrol anyone; the department's "complete all" completes
        # its own and leaves the other to the administrator.
        created(await admin.post(f"/sessions/{own}/enrolments", json={"worker_id": li}))
        created(await admin.post(f"/sessions/{own}/attendance", json={"worker_id": li}))
        done = created(await civil.post(f"/sessions/{own}/complete"))
        assert done["skipped"] == [li] and done["session"]["completed"] == 1
        done = created(await admin.post(f"/sessions/{own}/complete"))
        assert done["skipped"] == [] and done["session"]["completed"] == 2
    assert zhang


def _v1(event_type: str, data: dict[str, Any]) -> Envelope:
    now = datetime.now(UTC)
    return Envelope(
        id=str(uuid.uuid4()),
        type=event_type,
        schema_version=1,
        source="/shegong/training/city",
        service="training",
        subject="x",
        aggregate_type="base",
        aggregate_version=1,
        sequence=1,
        time=now,
        recorded_time=now,
        correlation_id=str(uuid.uuid4()),
        data=data,
    )


def test_version_1_bases_and_sessions_read_as_owned_by_no_department() -> None:
    old_base = TRAINING_STREAM.decode(
        _v1(
            "BaseRegistered",
            {
                "base_id": "b",
                "name": "党校",
                "kind": "training_base",
                "tier": "city",
                "region": None,
            },
        )
    )
    assert isinstance(old_base, BaseRegistered) and old_base.department is None
    old_session = TRAINING_STREAM.decode(
        _v1(
            "SessionScheduled",
            {
                "session_id": "s",
                "kind": "lecture",
                "title": "t",
                "held_on": "2024-05-01",
                "hours": 2,
                "base_id": "b",
            },
        )
    )
    assert isinstance(old_session, SessionScheduled) and old_session.department is None


async def test_a_session_written_before_sessions_named_a_department_is_its_bases(
    node: Node, keys: RoleKeys
) -> None:
    zhang = node.feed.register("张伟", ZHANG)
    await node.sync()
    async with as_(node, keys.civil) as civil, as_(node, keys.hrss) as hrss:
        civil_base = await base(civil, "民政基地")
        # What a version-1 entry reads as: a session at the base, naming no department.
        old = SessionScheduled(
            session_id="old-session",
            kind="lecture",  # type: ignore[arg-type]
            title="2023年专题讲座",
            held_on="2023-05-01",  # type: ignore[arg-type]
            hours=2,
            base_id=civil_base,
        )
        async with node.runtime.store.transaction() as tx:
            await tx.append("old-session", "session", 0, [old])
        refused(await hrss.post("/sessions/old-session/enrolments", json={"worker_id": zhang}))
        created(await civil.post("/sessions/old-session/enrolments", json={"worker_id": zhang}))


async def test_a_bases_department_is_a_code_not_a_look_alike(node: Node, keys: RoleKeys) -> None:
    """Redteam round 3: a look-alike department code ("ｈrss", a full-width h) made a
    department of its own that no key could act for. Now 422 naming ``department``."""
    before = await head(node)
    async with as_(node, keys.admin) as admin:
        for code in ("ｈrss", "HRSS", "h/rss"):
            body = {"name": "x", "kind": "培训基地", "tier": "县级", "department": code}
            r = await admin.post("/bases", json=body)
            assert r.status_code == 422, (code, r.text)
            assert r.json()["error"]["field"] == "department"
    assert await head(node) == before


async def test_a_department_finds_by_name_only_its_own_workers(node: Node, keys: RoleKeys) -> None:
    """A sign-in sheet of names (no ID number, no phone) from a department key looks among
    its own workers only: hrss's 李娜 is "not found among your department's workers", the
    refusal names neither hrss nor its unit, and the lookup is in the access log."""
    hrss_worker(node, "李娜", LI)
    await node.sync()
    async with as_(node, keys.civil) as civil:
        civil_base = await base(civil, "安定区民政培训基地")
        own = created(await schedule(civil, civil_base))["session"]["session_id"]
        sheet = "姓名,工作单位\n李娜,安定区人社局\n赵无名,安定区人社局\n".encode()
        files = {"file": ("签到表.csv", sheet, "text/csv")}
        report = created(await civil.post(f"/sessions/{own}/signin-sheet", files=files))
    assert report["recorded"] == 0
    # another department's worker and a name nobody registered: the same words
    reasons = {r["reason"] for r in report["rejected"]}
    assert reasons == {"not found among your department's workers"}
    assert "hrss" not in str(report)
    logged = [
        e.data
        for e in await access_log(node)
        if e.type == "AccessRecorded" and e.data["what"] == "person_lookup"
    ]
    assert [(r["department"], r["rows"]) for r in logged] == [("hrss", 1)]


async def test_a_training_read_refused_is_the_platforms_error_in_both_languages(
    node: Node, keys: RoleKeys
) -> None:
    """Round 8: an unknown session or trainee was FastAPI's ``{"detail": {…}}`` in English,
    quoting the path as sent (a bidi override included); a day outside the year a bare
    English string."""
    async with as_(node, keys.civil) as civil:
        for path, status, field in [
            ("/sessions/x%E2%80%AEy", 404, "session_id"),
            ("/workforce/x%E2%80%AEy", 404, "worker_id"),
            ("/indicators/training?year=2024&as_of=2023-06-30", 422, "as_of"),
        ]:
            resp = await civil.get(path)
            assert resp.status_code == status, resp.text
            assert "detail" not in resp.json() and "\u202e" not in resp.text
            error = resp.json()["error"]
            assert error["field"] == field and error["message"], error
            assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message_zh"]), error


async def test_the_exam_results_list_is_a_bulk_read_in_the_access_log(
    node: Node, keys: RoleKeys
) -> None:
    """Round 10: ``GET /exams`` lists every department's workers — name, organisation,
    masked ID number, passed or not — as ``/workers`` does, and was read without a
    record. A department's or an auditor's read is now an ``AccessRecorded``."""
    for key, who in ((keys.hrss, "rs-clerk"), (keys.auditor, "audit-office")):
        async with as_(node, key) as client:
            resp = await client.get("/exams", params={"passed": "false"})
            assert resp.status_code == 200, resp.text
        reads = [
            e.data
            for e in await access_log(node)
            if e.type == "AccessRecorded" and e.data["outcome"] == "read"
        ]
        assert ("exam_results", "/exams", "passed=false", who) in [
            (r["what"], r["path"], r["query"], r["viewer"]) for r in reads
        ], reads


async def test_attendance_and_the_overdue_list_are_bulk_reads_recorded_once_per_poll(
    node: Node, keys: RoleKeys
) -> None:
    """Round 11: a session's attendance (who signed in, by name) and the overdue pre-job
    list (every department's workers late for their training, by name and organisation)
    were served to any key without a record. Each is an ``AccessRecorded`` now; the same
    key asking the same again (the console on every look) is covered by its first record
    for ``POLLED`` seconds, another key or other parameters are recorded apart."""
    async with as_(node, keys.civil) as civil:
        session = created(await schedule(civil, None))["session"]["session_id"]
    await node.sync_own()
    for key in (keys.hrss, keys.hrss, keys.auditor):
        async with as_(node, key) as client:
            assert (await client.get(f"/sessions/{session}")).status_code == 200
            for query in ("", "?region=安定区", ""):
                resp = await client.get(f"/obligations/prejob/overdue{query}")
                assert resp.status_code == 200, resp.text
    reads = [
        (r.data["what"], r.data["path"], r.data["query"], r.data["viewer"])
        for r in await access_log(node)
        if r.type == "AccessRecorded" and r.data["outcome"] == "read"
    ]
    for who in ("rs-clerk", "audit-office"):
        assert reads.count(("session_attendance", f"/sessions/{session}", None, who)) == 1
        assert reads.count(("prejob_overdue", "/obligations/prejob/overdue", None, who)) == 1
        region = "region=%E5%AE%89%E5%AE%9A%E5%8C%BA"
        assert reads.count(("prejob_overdue", "/obligations/prejob/overdue", region, who)) == 1
