"""Who may do what (issue 7, Access), on a running registry with API keys switched on.

Real components: the registry app with its keys file, real Redis and a real database,
driven over HTTP (ASGI). Every refusal is checked for what it must not leave behind:
no event in the store.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import APIRouter

from shegong.kernel.events.feed import HttpFeed
from shegong.kernel.ops.db import writing
from shegong.kernel.testing import RoleKeys, eventually
from shegong.kernel.web.api_keys import new_key
from shegong.kernel.web.auth import AuthConfigError
from shegong.registry.ladder.process import ladder_appraisals
from shegong.registry.main import RegistrySettings, build

from .conftest import Node, StartNode, as_

ID_MALE_1988 = "620102198805061231"
ID_FEMALE_1995 = "440304199503150022"
PHONE = "13812345678"
ROSTER = (
    "记录编号,姓名,身份证号,性别,手机号,岗位类别,入职日期\n"
    f"MZ-01,马晓燕,{ID_FEMALE_1995},女,13912345678,社区工作者,2021-03-01\n"
)


ACCESS_LOG = {"AccessRecorded", "ApiKeyIssued", "ApiKeyRevoked"}


async def head(node: Node) -> int:
    """The position of the last event that is not an access record (a refusal is now
    recorded: 'nothing stored' means no record changed)."""
    return max((e.sequence for e in await events(node)), default=0)


async def events(node: Node, after: int = 0) -> list[Any]:
    """The records' events after ``after``, without the access log's."""
    every = await node.runtime.store.read_after(after, 10_000)
    return [e for e in every if e.type not in ACCESS_LOG]


async def access_log(node: Node, after: int = 0) -> list[Any]:
    every = await node.runtime.store.read_after(after, 10_000)
    return [e for e in every if e.type in ACCESS_LOG]


async def register(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    body.setdefault("name", "张伟")
    body.setdefault("post", "社区工作者")
    body.setdefault("hired_on", "2020-03-01")
    return await client.post("/workers", json=body)


def refused(resp: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert error["code"] == ("unauthenticated" if status == 401 else "forbidden")
    assert error["message"] and error["message_zh"]
    if field is not None:
        assert error["field"] == field
    return error


# --- authentication ----------------------------------------------------------------------


async def test_no_key_or_a_bad_key_is_401_and_the_public_routes_stay_open(
    node: Node, keys: RoleKeys
) -> None:
    async with as_(node, None) as anon:
        resp = await anon.get("/workers")
        refused(resp, 401)
        assert resp.headers["www-authenticate"].startswith("Bearer")
        refused(await anon.post("/workers", json={"name": "x"}), 401)
        refused(await anon.get("/events"), 401)
        for public in ("/health", "/ready", "/openapi.json", "/asyncapi", "/docs"):
            assert (await anon.get(public)).status_code in (200, 503), public  # 503: not ready
        assert (await anon.get("/ready")).json()["auth"] == "keys"
    wrong_secret = keys.admin[:-4] + "AAAA"
    for bad in (wrong_secret, "sgk_nothere0_" + "x" * 43, "not-a-key", ""):
        async with as_(node, bad) as client:
            refused(await client.get("/workers"), 401)
    async with as_(node, keys.admin) as admin, as_(node, keys.admin, "x-api-key") as admin2:
        assert (await admin.get("/workers")).status_code == 200
        assert (await admin2.get("/workers")).status_code == 200
    assert await head(node) == 0


async def test_a_request_with_two_keys_in_one_header_name_is_refused(
    node: Node, keys: RoleKeys
) -> None:
    """Round 9: with two ``Authorization`` headers the service took the first, where a
    proxy in front (which may check, route or log by the key) may take the last — the
    right key first and anything after it was served. Now two of either header is a
    401 in both languages; one ``Authorization`` beside one ``X-API-Key`` is as before."""
    async with as_(node, None) as anon:
        for name in ("Authorization", "X-API-Key"):
            value = f"Bearer {keys.admin}" if name == "Authorization" else keys.admin
            for second in (value, "Bearer sgk_other0_" + "x" * 43):
                both = httpx.Headers([(name, value), (name, second)])
                error = refused(await anon.get("/workers", headers=both), 401)
                assert "one API key" in error["message"] and "一个接口密钥" in error["message_zh"]
        one_each = {"Authorization": f"Bearer {keys.admin}", "X-API-Key": keys.admin}
        assert (await anon.get("/workers", headers=one_each)).status_code == 200


async def test_whoami_names_the_key_its_role_and_what_it_may_change(
    node: Node, keys: RoleKeys
) -> None:
    expected = {
        keys.admin: ("city-admin", "admin", None, "all"),
        keys.civil: ("mz-clerk", "department", "civil-affairs", "own_department"),
        keys.auditor: ("audit-office", "auditor", None, "nothing"),
        keys.service: ("training-service", "service", None, "nothing"),
    }
    for key, (name, role, department, writes) in expected.items():
        async with as_(node, key) as client:
            me = (await client.get("/whoami")).json()
        assert me == {
            "name": name,
            "role": role,
            "department": department,
            "auth": "keys",
            "writes": writes,
        }
    async with as_(node, None) as anon:
        refused(await anon.get("/whoami"), 401)


async def test_the_keys_file_holds_only_hashes(keys: RoleKeys) -> None:
    text = keys.file.path.read_text()
    for key in (keys.admin, keys.civil, keys.auditor):
        assert key.split("_", 2)[2] not in text  # the secret (it may contain "_")
        assert key not in text
    assert keys.file.path.stat().st_mode & 0o077 == 0


async def test_rotation_new_key_in_old_key_out_without_restart(node: Node, keys: RoleKeys) -> None:
    async with as_(node, keys.civil) as old:
        assert (await old.get("/workers")).status_code == 200
        fresh = keys.file.issue("department", name="mz-clerk-2", department="civil-affairs")
        async with as_(node, fresh) as new:
            assert (await new.get("/workers")).status_code == 200
            assert keys.file.revoke(keys.civil.split("_")[1])
            refused(await old.get("/workers"), 401)
            assert (await new.get("/workers")).status_code == 200


async def test_bulk_reads_refusals_and_keys_are_in_the_access_log(
    node: Node, keys: RoleKeys
) -> None:
    """Issue 16 (5): the feed, the worker list and the census export carried personal data
    and left nothing in /audit/access; refused attempts and keys were not recorded."""
    async with as_(node, keys.civil) as civil:
        civil.headers["X-Actor"] = "%E6%9D%8E%E4%B8%BB%E4%BB%BB"  # 李主任
        assert (await register(civil, department="civil-affairs")).status_code == 201
        assert (await civil.get("/workers", params={"q": "张"})).status_code == 200
        searched = {"q": ID_MALE_1988}  # a search by ID number: never on the bus whole
        assert (await civil.get("/workers", params=searched)).status_code == 200
        # The same number with every digit percent-encoded is the same search.
        encoded = "".join(f"%{ord(c):02X}" for c in ID_MALE_1988)
        assert (await civil.get(f"/workers?q={encoded}")).status_code == 200
        assert (await civil.get("/events", params={"after": 0})).status_code == 200
        refused(await register(civil, department="hrss"), 403, "department")
        refused(await civil.get("/audit/access"), 403)
    async with as_(node, keys.service) as service:  # the platform's own consumers: not logged
        assert (await service.get("/events", params={"after": 0})).status_code == 200
    async with as_(node, keys.auditor) as auditor:
        refused(await auditor.post("/workers", json={"name": "x"}), 403)
    async with as_(node, None) as anon:
        refused(await anon.get("/workers"), 401)  # nobody to name: logged, not stored
    revoked = keys.file.issue("department", name="临时-王科员", department="hrss")

    async def logged(kind: str) -> list[Any]:
        records = await access_log(node)
        seen = any(e.type == kind and e.data["name"] == "临时-王科员" for e in records)
        return records if seen else []

    await eventually(lambda: logged("ApiKeyIssued"))  # the service took it in: recorded
    assert keys.file.revoke(revoked.split("_")[1])
    records = await eventually(lambda: logged("ApiKeyRevoked"))
    reads = [e.data for e in records if e.type == "AccessRecorded" and e.data["outcome"] == "read"]
    assert [(r["what"], r["path"], r["query"]) for r in reads] == [
        ("workers_list", "/workers", "q=%E5%BC%A0"),
        ("workers_list", "/workers", "q=620***"),
        ("workers_list", "/workers", "q=620***"),
        ("events_feed", "/events", "after=0"),
    ]
    assert {r["viewer"] for r in reads} == {"mz-clerk (李主任)"}
    assert {r["viewer_department"] for r in reads} == {"civil-affairs"}
    refusals = [
        e.data for e in records if e.type == "AccessRecorded" and e.data["outcome"] == "refused"
    ]
    assert [(r["viewer"], r["method"], r["path"]) for r in refusals] == [
        ("mz-clerk (李主任)", "POST", "/workers"),
        ("mz-clerk (李主任)", "GET", "/audit/access"),
        ("audit-office", "POST", "/workers"),
    ]
    assert "hrss" in refusals[0]["reason"]
    issued = {e.data["name"]: e.data for e in records if e.type == "ApiKeyIssued"}
    names = {"city-admin", "mz-clerk", "rs-clerk", "audit-office", "training-service"}
    assert set(issued) == {*names, "临时-王科员"}
    assert issued["mz-clerk"]["role"] == "department"
    assert issued["mz-clerk"]["key_department"] == "civil-affairs"
    (gone,) = [e.data for e in records if e.type == "ApiKeyRevoked"]
    assert gone["name"] == "临时-王科员" and gone["key_id"] == revoked.split("_")[1]
    for e in records:  # never a secret, never a hash, never a whole ID number
        assert revoked.split("_", 2)[2] not in json.dumps(e.data) and "sha256" not in e.data
        assert ID_MALE_1988 not in json.dumps(e.data)
    async with as_(node, keys.auditor) as auditor:
        listed = (await auditor.get("/audit/access", params={"type": "AccessRecorded"})).json()
        assert listed["total"] == len(reads) + len(refusals)


async def test_auditor_and_service_read_but_never_write(node: Node, keys: RoleKeys) -> None:
    async with as_(node, keys.admin) as admin:
        assert (await register(admin, department="civil-affairs")).status_code == 201
    before = await head(node)
    for key in (keys.auditor, keys.service):
        async with as_(node, key) as client:
            assert (await client.get("/workers")).status_code == 200
            assert (await client.get("/events", params={"after": 0})).status_code == 200
            refused(await register(client, department="civil-affairs"), 403)
            files = {"file": ("r.csv", ROSTER.encode())}
            data = {"department": "civil-affairs"}
            refused(await client.post("/imports/roster", files=files, data=data), 403)
    assert await head(node) == before


# --- department scoping ----------------------------------------------------------------


async def test_a_department_writes_only_its_own_records(node: Node, keys: RoleKeys) -> None:
    async with as_(node, keys.civil) as civil, as_(node, keys.hrss) as hrss:
        resp = await register(civil, id_number=ID_MALE_1988, phone=PHONE)
        assert resp.status_code == 201, resp.text
        worker = resp.json()["worker"]
        assert worker["department"] == "civil-affairs"
        (registered,) = await events(node)
        assert registered.actor == "mz-clerk"
        assert registered.department == "civil-affairs"
        before = await head(node)

        # Another department cannot register for it, impersonate it, or touch its worker.
        refused(await register(hrss, department="civil-affairs"), 403, "department")
        resp = await hrss.post(
            "/workers",
            json={"name": "李四", "post": "社区工作者"},
            headers={"X-Department": "civil-affairs"},
        )
        refused(resp, 403, "department")
        wid = worker["worker_id"]
        refused(await hrss.patch(f"/workers/{wid}", json={"organization": "x"}), 403, "department")
        refused(
            await hrss.post(
                f"/workers/{wid}/certificates",
                json={"level": "助理社会工作师", "certified_on": "2024-06-30"},
            ),
            403,
            "department",
        )
        refused(
            await hrss.post(f"/workers/{wid}/departure", json={"left_on": "2024-12-20"}),
            403,
            "department",
        )
        files = {"file": ("民政.csv", ROSTER.encode())}
        resp = await hrss.post("/imports/roster", files=files, data={"department": "civil-affairs"})
        refused(resp, 403, "department")
        assert await head(node) == before, "a refused command left events behind"

        # Its own department may: update, and import its own roster.
        resp = await civil.patch(f"/workers/{wid}", json={"organization": "东关社区"})
        assert resp.status_code == 200, resp.text
        resp = await civil.post(
            "/imports/roster", files=files, data={"department": "civil-affairs"}
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["new"] == 1


async def test_the_admin_acts_for_any_department_and_alone_runs_city_wide_imports(
    sqlite_url: str, start_node: StartNode, keys: RoleKeys
) -> None:
    city = await start_node(sqlite_url, census=True, api_keys_file=str(keys.file.path))
    regions = "区县,乡镇街道,社区村,城镇常住人口\n安定区,永定路街道,东关社区,12000\n"
    experts = "姓名,身份证号,入库日期\n张伟,620102198805061231,2024-12-01\n"
    decision = {"a": "civil-affairs:MZ-01", "b": "hrss:RS-01", "same": False}
    async with as_(city, keys.civil) as civil:
        refused(
            await civil.post("/imports/regions", files={"file": ("r.csv", regions.encode())}), 403
        )
        refused(
            await civil.post("/imports/expert-pool", files={"file": ("e.csv", experts.encode())}),
            403,
        )
        refused(await civil.post("/census/review", json=decision), 403)
    assert await head(city) == 0
    async with as_(city, keys.admin) as admin:
        for department in ("civil-affairs", "hrss"):
            assert (await register(admin, department=department)).status_code == 201
        resp = await admin.post(
            "/imports/roster",
            files={"file": ("r.csv", ROSTER.encode())},
            data={"department": "youth-league"},
        )
        assert resp.status_code == 200 and resp.json()["new"] == 1, resp.text
        resp = await admin.post("/imports/regions", files={"file": ("r.csv", regions.encode())})
        assert resp.status_code == 200, resp.text
    actors = {e.actor for e in await events(city)}
    assert actors == {"city-admin"}


async def test_the_ladder_writes_are_the_admins_and_name_the_key(
    node: Node, keys: RoleKeys
) -> None:
    """Issue 16 (4): expert-pool admission and the re-evaluation answered any department
    key, and their events said "registry.ladder" instead of who asked."""
    async with as_(node, keys.civil) as civil:
        resp = await register(civil, department="civil-affairs")
        assert resp.status_code == 201, resp.text
        wid = resp.json()["worker"]["worker_id"]
        cert = {"level": "intermediate", "certified_on": "2019-06-01"}
        assert (await civil.post(f"/workers/{wid}/certificates", json=cert)).status_code == 200
    # Training's word that the worker was appraised 称职 (what its events would bring).
    async with writing(node.runtime.engine) as conn:
        row = {"worker_id": wid, "period": "2024", "grade": "competent"}
        await conn.execute(ladder_appraisals.insert().values(**row, assessed_on=date(2025, 1, 5)))
    before = await head(node)
    for key in (keys.civil, keys.hrss):
        async with as_(node, key) as dept:
            dept.headers["X-Correlation-ID"] = "ladder-by-department"
            refused(await dept.post(f"/ladder/{wid}/expert-pool", json={}), 403)
            refused(await dept.post("/ladder/evaluate"), 403)
            leave = {"reason": "调离"}
            refused(await dept.post(f"/ladder/{wid}/expert-pool/leave", json=leave), 403)
    left = [e for e in await events(node) if e.correlation_id == "ladder-by-department"]
    assert left == [], "a refused ladder write left events behind"
    async with as_(node, keys.admin) as admin:
        admin.headers["X-Actor"] = "%E6%9D%8E%E4%B8%BB%E4%BB%BB"  # 李主任, percent-encoded
        admin.headers["X-Correlation-ID"] = "ladder-by-admin"
        assert (await admin.post("/ladder/evaluate")).status_code == 200

        async def decided() -> bool:  # by the sweep just asked for, or the ladder's watch
            standing = (await admin.get(f"/ladder/{wid}")).json()
            return any(s["step"] == "expert_pool" and s["eligible"] for s in standing["steps"])

        await eventually(decided)
        resp = await admin.post(f"/ladder/{wid}/expert-pool", json={})
        assert resp.status_code == 201, resp.text
        resp = await admin.post(f"/ladder/{wid}/expert-pool/leave", json={"reason": "调离"})
        assert resp.status_code == 200, resp.text
        resp = await admin.post(f"/ladder/{wid}/expert-pool/leave", json={"reason": "调离"})
        assert resp.status_code == 409 and "不在专家库中" in resp.text, resp.text
        # As of a day before the certificate: the decisions change, published as asked.
        resp = await admin.post("/ladder/evaluate", params={"as_of": "2018-01-01"})
        assert resp.status_code == 200 and resp.json()["events"] >= 1, resp.text
        # A day the rules cannot count years back from is refused, naming the field.
        resp = await admin.post("/ladder/evaluate", params={"as_of": "0001-01-01"})
        assert resp.status_code == 422 and "as_of" in resp.text, resp.text
        # Round 10: as of a later day its decisions stood as the city's latest until then.
        before_later = await head(node)
        resp = await admin.post("/ladder/evaluate", params={"as_of": "2100-12-31"})
        assert resp.status_code == 422, resp.text
        error = resp.json()["error"]
        assert error["field"] == "as_of" and "晚于今天" in error["message_zh"], error
        assert await head(node) == before_later, "nothing decided"
    ladder = [e for e in await events(node, before) if e.correlation_id == "ladder-by-admin"]
    assert {"ExpertPoolAdmitted", "ExpertPoolLeft", "LadderEligibilityChanged"} <= {
        e.type for e in ladder
    }
    assert {e.actor for e in ladder} == {"city-admin (李主任)"}
    assert {e.department for e in ladder} == {"civil-affairs"}


async def test_an_actor_in_chinese_is_stored_as_written(node: Node, keys: RoleKeys) -> None:
    """Issue 16 (5): 李主任 sent in X-Actor was stored as æä¸»ä»» (UTF-8 read as latin-1)."""
    raw = "李主任".encode()
    async with as_(node, keys.civil) as civil:
        for header in (raw, b"%E6%9D%8E%E4%B8%BB%E4%BB%BB"):
            resp = await civil.post(
                "/workers",
                json={"name": "张伟", "department": "civil-affairs", "hired_on": "2020-03-01"},
                headers={"X-Actor": header},  # type: ignore[arg-type]
            )
            assert resp.status_code == 201, resp.text
        # Round 10: a name that shows nothing (U+2800, U+3164, U+200B) names nobody; the
        # look-alike 李主任 + U+2800 is 李主任.
        for shown in ("%E2%A0%80%E3%85%A4%E2%80%8B", "%E6%9D%8E%E4%B8%BB%E4%BB%BB%E2%A0%80"):
            resp = await civil.post(
                "/workers",
                json={"name": "张伟", "department": "civil-affairs"},
                headers={"X-Actor": shown},
            )
            assert resp.status_code == 201, resp.text
    actors = [e.actor for e in await events(node) if e.type == "WorkerRegistered"]
    assert actors == ["mz-clerk (李主任)", "mz-clerk (李主任)", "mz-clerk", "mz-clerk (李主任)"]


# --- personal data in full -------------------------------------------------------------


async def test_personal_data_in_full_only_for_admin_and_own_department_and_audited(
    database_url: str, start_node: StartNode, keys: RoleKeys
) -> None:
    node = await start_node(database_url, api_keys_file=str(keys.file.path))
    async with as_(node, keys.civil) as civil:
        resp = await register(civil, id_number=ID_MALE_1988, phone=PHONE)
        wid = resp.json()["worker"]["worker_id"]
        assert resp.json()["worker"]["id_number_masked"] != ID_MALE_1988
    before = await head(node)
    for key in (keys.auditor, keys.hrss, keys.service):
        async with as_(node, key) as other:
            refused(await other.get(f"/workers/{wid}/personal-data"), 403)
    assert await head(node) == before, "a refused view is no view: nothing to record"

    seen = []
    for key, name in ((keys.admin, "city-admin"), (keys.civil, "mz-clerk")):
        async with as_(node, key) as client:
            resp = await client.get(f"/workers/{wid}/personal-data", headers={"X-Actor": "wang.k"})
            assert resp.status_code == 200, resp.text
            body = resp.json()
            assert body["id_number"] == ID_MALE_1988 and body["phone"] == PHONE
            seen.append(name)
    views = [e for e in await events(node, before) if e.type == "PersonalDataViewed"]
    assert [v.data["viewer"] for v in views] == ["city-admin (wang.k)", "mz-clerk (wang.k)"]
    assert [v.data["viewer_role"] for v in views] == ["admin", "department"]
    # Which key, by its id (round 13): a name is not unique.
    assert [v.data["viewer_key_id"] for v in views] == [
        k.split("_")[1] for k in (keys.admin, keys.civil)
    ]
    assert all(
        v.data["worker_id"] == wid and v.data["department"] == "civil-affairs" for v in views
    )
    assert all(v.data["fields"] == ["id_number", "phone"] for v in views)
    assert [v.aggregate_version for v in views] == [1, 2]
    for v in views:  # the audit event carries no personal data itself
        assert ID_MALE_1988 not in json.dumps(v.data) and PHONE not in json.dumps(v.data)
    async with as_(node, keys.auditor) as auditor:  # everywhere else: masked
        listing = await auditor.get("/events", params={"after": 0})
        assert listing.status_code == 200 and wid in listing.text
        assert ID_MALE_1988 not in listing.text and PHONE not in listing.text
    async with as_(node, keys.admin) as admin:
        missing = await admin.get("/workers/nobody/personal-data")
        assert missing.status_code == 404

    # The access log (查看留痕): the auditor and the admin read it, newest first; nobody else.
    for key in (keys.civil, keys.hrss, keys.service):
        async with as_(node, key) as other:
            refused(await other.get("/audit/access"), 403)
    async with as_(node, keys.auditor) as auditor:
        viewed = {"type": "PersonalDataViewed"}
        log = (await auditor.get("/audit/access", params=viewed)).json()
        assert log["types"] == sorted(["PersonalDataViewed", *ACCESS_LOG])
        assert log["total"] == 2
        assert [i["data"]["viewer"] for i in log["items"]] == [
            "mz-clerk (wang.k)",
            "city-admin (wang.k)",
        ]
        assert all(ID_MALE_1988 not in json.dumps(i) for i in log["items"])
        mine = await auditor.get("/audit/access", params={**viewed, "actor": views[1].actor})
        mine = mine.json()
        assert [i["position"] for i in mine["items"]] == [views[1].sequence]
        later = await auditor.get("/audit/access", params={"since": "2999-01-01T00:00:00Z"})
        assert later.json() == {"total": 0, "types": log["types"], "items": []}


# --- open mode and refusing to start ---------------------------------------------------


def _settings(tmp_path: Path, **extra: Any) -> RegistrySettings:
    return RegistrySettings(
        database_url=f"sqlite:///{tmp_path}/open.db",
        pii_hash_key="k" * 32,
        data_dir=str(tmp_path),
        **extra,
    )


def test_without_keys_a_network_bound_service_refuses_to_start(tmp_path: Path) -> None:
    for host in ("0.0.0.0", "10.1.2.3", "registry.internal"):
        with pytest.raises(AuthConfigError, match="API_KEYS_FILE"):
            build(_settings(tmp_path, host=host))
    # With keys, or explicitly open, it starts anywhere.
    build(_settings(tmp_path, host="0.0.0.0", api_keys_file=str(tmp_path / "keys.json")))
    build(_settings(tmp_path, host="0.0.0.0", auth="open"))
    _, record = new_key("admin", name="k8s")
    env = json.dumps([record.model_dump(mode="json")])
    build(_settings(tmp_path, host="0.0.0.0", api_keys=env))


async def test_without_keys_on_loopback_it_runs_open_and_says_so(
    sqlite_url: str, start_node: StartNode, caplog: pytest.LogCaptureFixture
) -> None:
    node = await start_node(sqlite_url, host="127.0.0.1")
    assert "runs OPEN" in caplog.text
    assert (await node.client.get("/ready")).json()["auth"] == "open"
    assert (await node.client.get("/whoami")).json()["auth"] == "open"
    assert (await register(node.client)).status_code == 201


async def test_auth_required_without_keys_lets_nobody_in(
    sqlite_url: str, start_node: StartNode
) -> None:
    node = await start_node(sqlite_url, auth="required")
    refused(await node.client.get("/workers"), 401)


async def test_api_keys_from_the_environment(sqlite_url: str, start_node: StartNode) -> None:
    key, record = new_key("auditor", name="from-a-secret")
    node = await start_node(sqlite_url, api_keys=json.dumps([record.model_dump(mode="json")]))
    async with as_(node, key) as auditor:
        assert (await auditor.get("/workers")).status_code == 200
        refused(await register(auditor), 403)


async def test_a_keys_name_is_recorded_as_shown_and_never_stops_the_record(
    sqlite_url: str, start_node: StartNode
) -> None:
    """Round 11, on ``shegong up``: ``shegong auth issue --name`` took any name. A key named
    with 5,000 characters made its every recorded read a plain-text 500 (the access
    record's ``viewer`` is at most 300) and its refusals went unrecorded (the record could
    not be written, the 403 stood); an ESC sequence and U+202E in a name went into the
    access log and onto terminals; 人社局-王 + U+200B stood in the log as 人社局-王. Issuing
    such a name is refused in both languages; a keys file or ``API_KEYS`` holding one
    (written by hand, from a Secret) is read with the name as shown, cut to 128."""
    for bad in ("x" * 200, "\x1b[31m\u202eevil", "人社局-王\u200b", "\u2800"):
        with pytest.raises(ValueError, match="密钥名称") as err:
            new_key("auditor", name=bad)
        assert "128" in str(err.value)
    key, record = new_key("department", name="rs", department="hrss")
    raw = record.model_dump(mode="json") | {"name": "\x1b[31m\u202e" + "王" * 5000 + "\u200b"}
    node = await start_node(sqlite_url, api_keys=json.dumps([raw]))
    async with as_(node, key) as clerk:
        clerk.headers["X-Actor"] = quote("李" * 200)
        assert (await clerk.get("/workers")).status_code == 200
        refused(await register(clerk, department="civil-affairs"), 403, "department")
        whoami = (await clerk.get("/whoami")).json()
    shown = ("[31m" + "王" * 5000)[:128]  # the escape character gone, what it said kept
    assert whoami["name"] == shown
    assert new_key("auditor", name=" 审计\n  组 ")[1].name == "审计 组"  # one line
    records = [e.data for e in await access_log(node) if e.type == "AccessRecorded"]
    assert {r["outcome"] for r in records} == {"read", "refused"}, records
    for r in records:
        assert r["viewer"] == shown + " (" + "李" * 128 + ")", r


# --- service to service ----------------------------------------------------------------


async def test_a_service_key_reads_another_services_feed(node: Node, keys: RoleKeys) -> None:
    async with as_(node, keys.admin) as admin:
        assert (await register(admin, department="hrss")).status_code == 201
    client = httpx.AsyncClient(transport=node.client._transport)
    url = str(node.client.base_url)
    async with client:
        page = await HttpFeed(url, client, api_key=keys.service).read_after(0)
        # The node's key watcher records the keys it started with (ApiKeyIssued) as soon
        # as the loop lets it — before or after the registration; a service reads them
        # too (feed.ACCESS_LOG_READERS).
        assert [e.type for e in page if not e.type.startswith("ApiKey")] == ["WorkerRegistered"]
        with pytest.raises(httpx.HTTPStatusError) as err:
            await HttpFeed(url, client).read_after(0)
        assert err.value.response.status_code == 401


async def test_a_route_a_service_adds_later_checks_keys_too(
    sqlite_url: str, start_node: StartNode, keys: RoleKeys
) -> None:
    node = await start_node(sqlite_url, api_keys_file=str(keys.file.path))
    stray = APIRouter()

    @stray.get("/stray")
    async def added_outside_create_app() -> dict[str, str]:
        return {"ok": "yes"}

    node.app.include_router(stray)
    async with as_(node, None) as anon, as_(node, keys.auditor) as auditor:
        refused(await anon.get("/stray"), 401)
        assert (await auditor.get("/stray")).status_code == 200


async def test_a_failure_is_the_platforms_error_in_both_languages_saying_nothing_of_it(
    node: Node, keys: RoleKeys
) -> None:
    """Round 11: a request the service failed on (a key whose name its access record
    could not hold, on ``shegong up``) was Starlette's plain-text "Internal Server Error",
    in English only. It is the platform's error now, in both languages, quoting nothing of
    the failure (which may hold what the caller sent or may not see)."""
    failing = APIRouter()

    @failing.get("/failing")
    async def fails() -> None:
        raise RuntimeError(f"secret {ID_MALE_1988}")

    node.app.include_router(failing)
    transport = httpx.ASGITransport(app=node.app, raise_app_exceptions=False)
    headers = {"Authorization": f"Bearer {keys.auditor}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://x", headers=headers) as c:
        resp = await c.get("/failing")
    assert resp.status_code == 500
    error = resp.json()["error"]
    assert error["code"] == "internal" and error["message"] and "日志" in error["message_zh"]
    assert ID_MALE_1988 not in resp.text and "secret" not in resp.text


@pytest.mark.process
def test_the_service_process_refuses_to_start_on_a_network_address_without_keys(
    tmp_path: Path,
) -> None:
    import os
    import subprocess
    import sys

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("API_KEYS", "API_KEYS_FILE", "AUTH", "DATABASE_URL")
    }
    env.update(HOST="0.0.0.0", PORT="0", DATA_DIR=str(tmp_path), PII_HASH_KEY="k" * 32)
    result = subprocess.run(
        [sys.executable, "-m", "shegong.registry"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Refusing to start" in result.stderr and "API_KEYS_FILE" in result.stderr
    assert "Traceback" not in result.stderr


async def test_wrong_keys_are_throttled_per_address_and_a_right_key_still_served(
    node: Node, keys: RoleKeys
) -> None:
    """Redteam round 3: wrong secrets for the admin key's id (ids are not secret) were
    401 without limit, each a log line. Now 20 a minute per address, then 429 — while a
    right key is always served (else anyone could lock a key out of the console)."""
    key_id = keys.admin.split("_")[1]
    wrong = [f"sgk_{key_id}_{'x' * 43}", "sgk_abcdef012345_" + "y" * 43, "not-a-key"]
    statuses = []
    for n in range(22):
        async with as_(node, wrong[n % 3]) as guesser:
            statuses.append((await guesser.get("/whoami")).status_code)
    assert statuses == [401] * 20 + [429] * 2, statuses
    async with as_(node, wrong[0]) as guesser:
        throttled = await guesser.get("/whoami")
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "60"
    error = throttled.json()["error"]
    assert error["code"] == "too_many_failures" and error["message_zh"]
    async with as_(node, keys.admin) as admin:
        assert (await admin.get("/whoami")).status_code == 200  # the right key: served
    # The window passes: a wrong key is a plain 401 again.
    node.app.state.key_throttle.window_s = 0.0
    async with as_(node, wrong[0]) as guesser:
        assert (await guesser.get("/whoami")).status_code == 401


async def test_a_department_code_is_a_code_not_a_look_alike(node: Node, keys: RoleKeys) -> None:
    """Redteam round 3: the administrator's POST /workers took "ｃivil-affairs" (a full-width
    c), "Civil-Affairs", "a/b" … each as a department of its own beside civil-affairs —
    splitting the census, and no department key could ever act for it. Now a 422 naming
    ``department`` (body or X-Department), in both languages; a stray space is trimmed."""
    before = await node.runtime.store.head()
    async with as_(node, keys.admin) as admin:
        for code in ("ｃivil-affairs", "Civil-Affairs", "civil affairs", "a/b", "民政局"):
            r = await admin.post("/workers", json={"name": "张三", "department": code})
            assert r.status_code == 422, (code, r.text)
            error = r.json()["error"]
            assert error["field"] == "department" and "部门代码" in error["message_zh"], error
            h = await admin.post(
                "/workers", json={"name": "张三"}, headers={"X-Department": quote(code)}
            )
            assert h.status_code == 422, (code, h.text)
            assert h.json()["error"]["field"] == "department"
        assert await node.runtime.store.head() == before, "nothing stored"
        ok = await admin.post("/workers", json={"name": "张三", "department": "civil-affairs "})
        assert ok.status_code == 201 and ok.json()["worker"]["department"] == "civil-affairs"


async def test_the_ladder_list_is_a_bulk_read_in_the_access_log(node: Node, keys: RoleKeys) -> None:
    """Round 10: ``GET /ladder`` lists every department's workers by name and organisation
    with their certificates and appraisals (``eligible=false``: everyone), as
    ``/workers`` does, and was read without a record. It is an ``AccessRecorded`` now."""
    async with as_(node, keys.hrss) as hrss:
        resp = await hrss.get("/ladder", params={"eligible": "false"})
        assert resp.status_code == 200, resp.text
    reads = [
        (e.data["what"], e.data["path"], e.data["query"], e.data["viewer"])
        for e in await access_log(node)
        if e.type == "AccessRecorded" and e.data["outcome"] == "read"
    ]
    assert ("ladder_list", "/ladder", "eligible=false", "rs-clerk") in reads, reads


async def test_the_access_log_names_the_key_by_its_id_not_only_its_name(
    database_url: str, start_node: StartNode, keys: RoleKeys
) -> None:
    """Round 13 (round 11's leftover): an access record named the key by its name alone.
    Two keys given one name — a rotation's old and new key, two clerks — read as one in
    the log, and a record said nothing of which key to revoke. Each record now names the
    key's id (never its secret); a version-1 record reads as ``viewer_key_id: None``."""
    from shegong.contracts.access import AccessRecorded
    from shegong.contracts.events import upcast

    node = await start_node(database_url, api_keys_file=str(keys.file.path))
    twin = keys.file.issue("department", name="mz-clerk", department="civil-affairs")
    first, second = keys.civil.split("_")[1], twin.split("_")[1]
    after = max((e.sequence for e in await node.runtime.store.read_after(0, 10_000)), default=0)
    for key in (keys.civil, twin):
        async with as_(node, key) as clerk:
            assert (await clerk.get("/workers")).status_code == 200
            refused(await register(clerk, department="hrss"), 403, "department")
    records = [e.data for e in await access_log(node, after) if e.type == "AccessRecorded"]
    assert {(r["viewer"], r["outcome"], r["viewer_key_id"]) for r in records} == {
        ("mz-clerk", outcome, key_id)
        for outcome in ("read", "refused")
        for key_id in (first, second)
    }, records
    async with as_(node, keys.auditor) as auditor:
        listed = (await auditor.get("/audit/access", params={"type": "AccessRecorded"})).json()
        by_key = (await auditor.get("/audit/access", params={"key_id": second})).json()
    shown = {item["data"].get("viewer_key_id") for item in listed["items"]}
    assert {first, second} <= shown and all(
        keys.civil.split("_")[2] not in json.dumps(item) for item in listed["items"]
    ), listed
    # The log of one key, whatever its name: the twin's read and refusal only.
    assert [(i["type"], i["data"]["outcome"]) for i in by_key["items"]] == [
        ("AccessRecorded", "refused"),
        ("AccessRecorded", "read"),
    ], by_key
    old = {k: v for k, v in records[0].items() if k != "viewer_key_id"}
    assert AccessRecorded.model_validate(upcast(AccessRecorded, 1, old)).viewer_key_id is None
