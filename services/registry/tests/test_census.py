"""The city census through the real pipeline: roster files → POST /imports/roster → events →
the census projection (on real Redis, SQLite and PostgreSQL) → persons, links as events, the
review queue, clerks' decisions, coverage, quality, the indicators and the expert pool."""

from __future__ import annotations

import csv
import io
import os
import threading
from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

import httpx
import pytest

from shegong.kernel.ops.worker import ProjectionProcess
from shegong.kernel.testing import eventually
from shegong.registry.census import training as census_training
from shegong.registry.census.model import LINK_AT, REVIEW_AT
from shegong.testkit.census_city import (
    generate_city,
    pairwise_precision_recall,
    roster_files,
)

HEADER = [
    "记录编号",
    "姓名",
    "身份证号",
    "性别",
    "出生日期",
    "手机号",
    "工作单位",
    "单位类型",
    "岗位类别",
    "所属区县",
    "乡镇街道",
    "社区村",
    "入职日期",
    "离职日期",
    "证书等级",
    "取证日期",
]


def resident_id(birth: date, seq: int, region: str = "621102") -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def roster(rows: Sequence[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, HEADER)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode("utf-8-sig")


async def import_roster(client: httpx.AsyncClient, department: str, data: bytes) -> dict[str, Any]:
    r = await client.post(
        "/imports/roster",
        files={"file": (f"{department}.csv", data, "text/csv")},
        data={"department": department},
        headers={"X-Actor": "clerk-test"},
    )
    assert r.status_code == 200, r.text
    return r.json()


async def settled(client: httpx.AsyncClient) -> None:
    """Wait until the census has applied everything in the node's store (its own link
    events included)."""

    async def done() -> bool:
        head = (await client.get("/events", params={"after": 0, "limit": 1})).json()["head"]
        status = (await client.get("/census/status")).json()
        return max(status["as_of"]["positions"].values(), default=0) == head

    await eventually(done, timeout=60)


async def persons(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    r = await client.get("/census/persons", params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    return r.json()["persons"]


async def census_events(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    after = 0
    while True:
        page = (await client.get("/events", params={"after": after, "limit": 1000})).json()
        events = page["events"]
        if not events:
            return out
        out.extend(e for e in events if e["aggregate_type"] == "census")
        after = events[-1]["sequence"]


ZHANG = resident_id(date(1988, 5, 6), 11)
LI = resident_id(date(1990, 2, 3), 22)
LI_TYPO = LI[:-1] + ("0" if LI[-1] != "0" else "1")  # the check character fails


def person_row(**values: str) -> dict[str, str]:
    return {k: values.get(k, "") for k in HEADER}


async def test_departments_records_merge_into_persons_with_rules_as_events(city) -> None:
    c = city.client
    await import_roster(
        c,
        "civil-affairs",
        roster(
            [
                person_row(记录编号="MZ1", 姓名="张三丰", 身份证号=ZHANG, 手机号="13800000001"),
                person_row(
                    记录编号="MZ2",
                    姓名="李 娟娟",
                    身份证号=LI,
                    手机号="13800000002",
                    工作单位="红叶社会工作服务中心",
                ),
                person_row(记录编号="MZ3", 姓名="王伟", 工作单位="安定区民政局"),
            ]
        ),
    )
    await import_roster(
        c,
        "hrss",
        roster(
            [
                # Traditional characters, the same valid ID in lower-case-free form.
                person_row(记录编号="RS1", 姓名="張三豐", 身份证号=ZHANG),
                # A mistyped ID number: found through name, birth date and phone.
                person_row(
                    记录编号="RS2",
                    姓名="李娟娟",
                    身份证号=LI_TYPO,
                    出生日期="1990-02-03",
                    手机号="13800000002",
                ),
                # A common name with nothing else in common: a stranger.
                person_row(记录编号="RS3", 姓名="王伟", 工作单位="临洮县人民医院"),
            ]
        ),
    )
    await settled(c)
    found = {p["name"]: p for p in await persons(c)}
    assert len(await persons(c)) == 4
    assert sorted(found["张三丰"]["records"]) == ["civil-affairs:MZ1", "hrss:RS1"]
    assert sorted(found["李娟娟"]["records"]) == ["civil-affairs:MZ2", "hrss:RS2"]
    wangs = [p for p in await persons(c) if p["name"] == "王伟"]
    assert sorted(len(p["records"]) for p in wangs) == [1, 1]

    linked = {
        (e["data"]["a"], e["data"]["b"]): e["data"]
        for e in await census_events(c)
        if e["type"] == "RecordsLinked"
    }
    assert linked[("civil-affairs:MZ1", "hrss:RS1")]["rule"] == "same-valid-id"
    li = linked[("civil-affairs:MZ2", "hrss:RS2")]
    assert li["rule"] == "match-weight"
    assert li["evidence"]["birth_date"]["level"] == "exact"
    assert li["evidence"]["id"]["level"] == "one slip"  # the check character, fixable
    assert li["evidence"]["match_weight"] > 0 and li["score"] >= 0.95
    # The model that scored it is an event too, with its parameters.
    models = [e for e in await census_events(c) if e["type"] == "CensusModelAdopted"]
    assert all(m["data"]["m"]["id"] for m in models)

    # A person's page explains the merge and shows where the records disagree.
    page = (await c.get(f"/census/persons/{found['张三丰']['person_id']}")).json()
    assert {r["department"] for r in page["record_details"]} == {"civil-affairs", "hrss"}
    assert sorted(page["disagreements"]["name"]) == sorted(["張三豐", "张三丰"])
    assert [link["rule"] for link in page["links"]] == ["same-valid-id"]
    assert (await c.get("/census/persons/nobody:0")).status_code == 404


async def test_a_clerks_decision_sticks_through_later_imports(city) -> None:
    c = city.client
    # Same birth date, one character of the name dropped, nothing else: the model is unsure.
    a = [person_row(记录编号="A1", 姓名="赵明远", 出生日期="1985-07-07", 工作单位="岷县社工协会")]
    b = [person_row(记录编号="B1", 姓名="赵明", 出生日期="1985-07-07", 工作单位="漳县民政局")]
    await import_roster(c, "civil-affairs", roster(a))
    await import_roster(c, "education", roster(b))
    await settled(c)
    queue = (await c.get("/census/review")).json()
    assert queue["total"] == 1
    pair = queue["pairs"][0]
    assert (pair["a"]["key"], pair["b"]["key"]) == ("civil-affairs:A1", "education:B1")
    assert pair["reason"] == "match probability uncertain"
    assert REVIEW_AT <= pair["score"] < LINK_AT
    assert pair["evidence"]["name"]["level"] == "one character"
    assert len(await persons(c, q="赵明")) == 2

    r = await c.post(
        "/census/review",
        json={"a": "education:B1", "b": "civil-affairs:A1", "same": True, "note": "电话核实"},
        headers={"X-Actor": "clerk-wang"},
    )
    assert r.status_code == 202, r.text
    await settled(c)
    merged = await persons(c, q="赵明")
    assert len(merged) == 1 and sorted(merged[0]["records"]) == [
        "civil-affairs:A1",
        "education:B1",
    ]
    assert (await c.get("/census/review")).json()["total"] == 0
    clerk_links = [e for e in await census_events(c) if e["data"].get("rule") == "clerk"]
    assert clerk_links and clerk_links[-1]["data"]["evidence"]["by"] == "clerk-wang"

    # Re-importing, even with a changed organisation, keeps the clerk's decision.
    b[0]["工作单位"] = "漳县教育局"
    report = await import_roster(c, "education", roster(b))
    assert report["changed"] == 1
    await settled(c)
    assert len(await persons(c, q="赵明")) == 1

    # The clerk changes their mind: "not the same" splits them, and it sticks too.
    r = await c.post(
        "/census/review", json={"a": "civil-affairs:A1", "b": "education:B1", "same": False}
    )
    assert r.status_code == 202
    await settled(c)
    assert len(await persons(c, q="赵明")) == 2
    unlinked = [e for e in await census_events(c) if e["type"] == "RecordsUnlinked"]
    assert unlinked[-1]["data"]["reason"] == "clerk decided not the same"
    assert (await c.get("/census/review")).json()["total"] == 0


@pytest.mark.parametrize("own_process", [True, False], ids=["census-process", "in-service"])
async def test_the_model_is_learned_on_request_published_and_explained(
    database_url: str, start_node, monkeypatch: pytest.MonkeyPatch, own_process: bool
) -> None:
    city = await start_node(database_url, census=True, registry_census_process=own_process)
    c = city.client
    # Learning runs off the event loop's thread (the service answers meanwhile): in the
    # census's own process (the default), else on a thread of the service's.
    learned_on: list[str] = []
    train = census_training.train

    def recording_train(*args: Any, **kwargs: Any) -> Any:
        learned_on.append(threading.current_thread().name)
        return train(*args, **kwargs)

    monkeypatch.setattr(census_training, "train", recording_train)
    rows = [
        person_row(记录编号=f"M{i}", 姓名=name, 身份证号=resident_id(date(1980, 1, 1 + i), i))
        for i, name in enumerate(("陈晓东", "林美玲", "高建华", "罗文静"))
    ]
    await import_roster(c, "civil-affairs", roster(rows))
    await import_roster(c, "hrss", roster([dict(r, 记录编号="H" + r["记录编号"]) for r in rows]))
    await settled(c)
    before = (await c.get("/census/model")).json()
    assert before["learned"] is False and before["version"] == 0
    assert set(before["weights"]) == {
        "id",
        "name",
        "birth_date",
        "sex",
        "phone",
        "organization",
        "region",
        "certificate",
            "age",
    }
    assert before["weights"]["id"]["exact"] > 10 > before["weights"]["id"]["else"]

    r = await c.post("/census/model/train", headers={"X-Actor": "clerk-li"})
    assert r.status_code == 202, r.text
    await settled(c)
    after = (await c.get("/census/model")).json()
    assert after["learned"] is True and after["version"] == 1
    census = next(r for r in city.runtime.runners if r.name == "census")
    if own_process:
        # Nothing of the census ran in the service's process: the worker did it all.
        assert census in city.runtime.elsewhere and census.applied_total == 0
        assert not learned_on
        (worker,) = [j for j in city.runtime.jobs if isinstance(j, ProjectionProcess)]
        assert worker.process is not None and worker.process.returncode is None
        assert worker.process.pid != os.getpid()
    else:
        assert not city.runtime.elsewhere and census.applied_total > 0
        assert learned_on and threading.main_thread().name not in learned_on
    assert after["records"] == 8
    adopted = [e for e in await census_events(c) if e["type"] == "CensusModelAdopted"]
    assert [e["data"]["version"] for e in adopted] == [1]
    assert adopted[0]["data"]["m"] == after["m"] and adopted[0]["data"]["u"] == after["u"]
    # Relearning moves nobody here: four persons, each with their two records.
    assert sorted(len(p["records"]) for p in await persons(c)) == [2, 2, 2, 2]


async def test_kept_rows_problems_reach_the_quality_report(city) -> None:
    c = city.client
    bad_id = LI_TYPO
    rows = [
        person_row(记录编号="Q1", 姓名="周杰", 岗位类别="A-12", 入职日期="2021-02-30"),
        person_row(记录编号="Q2", 姓名="吴敏", 身份证号=bad_id),
        person_row(记录编号="Q3", 姓名="郑和", 证书等级="社会工作师"),  # no 取证日期
        person_row(记录编号="Q4", 姓名="孙悟"),  # nothing wrong
    ]
    report = await import_roster(c, "civil-affairs", roster(rows))
    assert (report["new"], report["rejected"]) == (4, [])
    await settled(c)
    quality = (await c.get("/census/quality")).json()
    listed = quality["rows_with_problems"]["civil-affairs"]
    assert listed["rows"] == 3
    by_id = {r["record_id"]: r for r in listed["first"]}
    assert sorted(by_id) == ["Q1", "Q2", "Q3"]
    assert by_id["Q1"]["row"] == 2
    assert {p.split(":")[0] for p in by_id["Q1"]["problems"]} == {"post", "hired_on"}
    assert by_id["Q2"]["problems"][0].startswith("id_number:")
    assert by_id["Q3"]["problems"][0].startswith("certified_on:")
    assert bad_id not in str(quality) and bad_id[:17] not in str(quality)
    # Fixed and imported again: the row leaves the list.
    rows[0] = person_row(记录编号="Q1", 姓名="周杰", 岗位类别="其他", 入职日期="2021-02-28")
    await import_roster(c, "civil-affairs", roster(rows))
    quality = (await c.get("/census/quality")).json()
    assert {r["record_id"] for r in quality["rows_with_problems"]["civil-affairs"]["first"]} == {
        "Q2",
        "Q3",
    }


async def test_two_people_under_one_record_id_are_both_census_records(city) -> None:
    # A workbook whose sheets each number their rows from 1, or a 记录编号 copied down by
    # mistake: two people under one key. Both rows are records and reach the census (the
    # second named by its worker id), neither takes the other's place.
    c = city.client
    rows = [
        person_row(记录编号="S1", 姓名="张三丰", 身份证号=ZHANG, 手机号="13800000001"),
        person_row(记录编号="S1", 姓名="李娟娟", 身份证号=LI, 手机号="13800000002"),
    ]
    report = await import_roster(c, "civil-affairs", roster(rows))
    assert (report["new"], report["rejected"]) == (2, [])
    # The clerk is not told they are one person: the census decides that.
    (said,) = [w["warning"] for w in report["warnings"] if w["row"] == 3]
    assert (
        "decides whether" in said and "是否同一人" in said and "counts the person once" not in said
    )
    await settled(c)
    found = {p["name"]: p["records"] for p in await persons(c)}
    assert sorted(found) == ["张三丰", "李娟娟"]
    assert found["张三丰"] == ["civil-affairs:S1"]
    (other,) = found["李娟娟"]
    assert other.startswith("civil-affairs:") and other != "civil-affairs:S1"
    status = (await c.get("/census/status")).json()
    assert status["records"] == 2
    # Importing the file again changes nothing.
    again = await import_roster(c, "civil-affairs", roster(rows))
    assert (again["new"], again["unchanged"]) == (0, 2)


async def test_every_number_of_a_phone_cell_is_linkage_evidence(city) -> None:
    # One department writes two mobiles and the office's landline in one cell (the first
    # mobile is kept as the contact); another lists the person by the second mobile, or
    # by the landline, beside the name only. The numbers reach the census as keyed
    # digests (never the digits) and link the records as the same phone.
    c = city.client
    cell = "0755-83451234；13800000005/+86 139 0000 0006"
    await import_roster(
        c,
        "civil-affairs",
        roster(
            [
                person_row(记录编号="MZ7", 姓名="欧阳雪梅", 手机号=cell),
                person_row(记录编号="MZ8", 姓名="司马青松", 手机号="13700000007\n13600000008"),
            ]
        ),
    )
    await import_roster(
        c,
        "hrss",
        roster(
            [
                person_row(记录编号="RS7", 姓名="欧阳雪梅", 手机号="13900000006"),
                person_row(记录编号="RS8", 姓名="司马青松", 手机号="136 0000 0008"),
            ]
        ),
    )
    await settled(c)
    found = {p["name"]: sorted(p["records"]) for p in await persons(c)}
    assert found == {
        "欧阳雪梅": ["civil-affairs:MZ7", "hrss:RS7"],
        "司马青松": ["civil-affairs:MZ8", "hrss:RS8"],
    }
    linked = {
        (e["data"]["a"], e["data"]["b"]): e["data"]
        for e in await census_events(c)
        if e["type"] == "RecordsLinked"
    }
    assert linked[("civil-affairs:MZ7", "hrss:RS7")]["evidence"]["phone"]["level"] == "exact"
    registered = [
        e["data"]
        for e in await census_events_of(c, "WorkerRegistered")
        if e["data"]["other_phones_hash"]
    ]
    assert len(registered) == 2
    assert all("13900000006" not in str(d) and "83451234" not in str(d) for d in registered)


async def test_an_id_number_with_two_digits_swapped_across_a_border_links(city) -> None:
    # The health commission's list typed the birth date's last digit after the order's
    # first (…0615231… as …0612531…) and took its 出生日期 from what it typed: two of the
    # number's four parts differ, and the birth dates. The digests of the number with the
    # border's two digits put in order (never the digits) say it is one slip.
    c = city.client
    right = resident_id(date(1985, 6, 15), 231)
    typo = right[:13] + right[14] + right[13] + right[14 + 1 :]
    await import_roster(
        c,
        "civil-affairs",
        roster([person_row(记录编号="MZ11", 姓名="陈静", 身份证号=right, 手机号="13500000011")]),
    )
    await import_roster(
        c,
        "health",
        roster(
            [
                person_row(
                    记录编号="WJ11",
                    姓名="陈静",
                    身份证号=typo,
                    出生日期="1985-06-12",
                    手机号="13500000011",
                )
            ]
        ),
    )
    await settled(c)
    found = {p["name"]: sorted(p["records"]) for p in await persons(c)}
    assert found == {"陈静": ["civil-affairs:MZ11", "health:WJ11"]}
    (link,) = [e["data"] for e in await census_events(c) if e["type"] == "RecordsLinked"]
    assert link["evidence"]["id"]["level"] == "one slip"
    registered = [e["data"] for e in await census_events_of(c, "WorkerRegistered")]
    assert all(d["id_number_swaps_hash"] for d in registered)
    assert all(right[6:] not in str(d) and typo[6:] not in str(d) for d in registered)


async def test_a_former_name_column_links_the_records_under_the_old_name(city) -> None:
    # A union's list gives the name now and the former one (曾用名); the civil-affairs
    # list still has the person under the old name, with the same mobile. One person.
    # Without a 曾用名 saying so, two names with the same phone wait for a clerk.
    c = city.client
    await import_roster(
        c,
        "civil-affairs",
        roster(
            [
                person_row(记录编号="MZ9", 姓名="沈琳斌", 手机号="13500000009"),
                person_row(记录编号="MZ10", 姓名="韩雪莹", 手机号="13500000010"),
            ]
        ),
    )
    union = "会员号,姓名,曾用名,手机\nGH9,沈超超,沈琳斌,13500000009\nGH10,韩雨欣,,13500000010\n"
    await import_roster(c, "trade-union", union.encode("utf-8-sig"))
    await settled(c)
    found = {p["name"]: sorted(p["records"]) for p in await persons(c)}
    assert ["civil-affairs:MZ9", "trade-union:GH9"] in found.values()
    assert ["civil-affairs:MZ10"] in found.values() and ["trade-union:GH10"] in found.values()
    linked = {
        (e["data"]["a"], e["data"]["b"]): e["data"]
        for e in await census_events(c)
        if e["type"] == "RecordsLinked"
    }
    assert linked[("civil-affairs:MZ9", "trade-union:GH9")]["evidence"]["name"]["level"] == "exact"


async def test_a_name_in_latin_letters_beside_the_characters_links_a_list_of_it(city) -> None:
    # The foreign-affairs office lists a foreigner by the Chinese transcription and the
    # passport's spelling (英文姓名); the red-cross list by the spelling alone, with the
    # same mobile and birth date. One person — as with a 曾用名 — not a pair for a clerk.
    c = city.client
    office = (
        "中文姓名,英文姓名,性别,出生日期,联系电话\n"
        "索菲·杜布瓦,Sophie Dubois,F,1988-04-02,13500000021\n"
        '郭美惠,"KUO, Mei-Hui",F,1979-05-06,13500000022\n'
    )
    await import_roster(c, "foreign-affairs", office.encode("utf-8"))
    cross = (
        "姓名,性别,出生日期,电话\n"
        "SOPHIE DUBOIS,F,1988-04-02,13500000021\n"
        '"KUO, Mei-Hui",F,1979-05-06,13500000022\n'
    )
    await import_roster(c, "red-cross", cross.encode("utf-8"))
    await settled(c)
    assert sorted(len(p["records"]) for p in await persons(c)) == [2, 2]
    linked = [e["data"] for e in await census_events(c) if e["type"] == "RecordsLinked"]
    assert [link["evidence"]["name"]["level"] for link in linked] == ["exact", "exact"]
    assert (await c.get("/census/review")).json()["total"] == 0


async def census_events_of(client: httpx.AsyncClient, kind: str) -> list[dict[str, Any]]:
    page = (await client.get("/events", params={"after": 0, "limit": 1000})).json()
    return [e for e in page["events"] if e["type"] == kind]


async def test_decisions_are_checked_at_the_edge(city) -> None:
    c = city.client
    rows = [
        person_row(记录编号="X1", 姓名="孙立", 身份证号=resident_id(date(1980, 1, 1), 5)),
        person_row(记录编号="X2", 姓名="孙立", 身份证号=resident_id(date(1981, 1, 1), 7)),
    ]
    await import_roster(c, "justice", roster(rows))
    await settled(c)
    same_ids = await c.post(
        "/census/review", json={"a": "justice:X1", "b": "justice:X2", "same": True}
    )
    assert same_ids.status_code == 409
    assert same_ids.json()["error"]["field"] == "same"
    unknown = await c.post(
        "/census/review", json={"a": "justice:X1", "b": "justice:NOPE", "same": True}
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "b"
    itself = await c.post(
        "/census/review", json={"a": "justice:X1", "b": "justice:X1", "same": True}
    )
    assert itself.status_code == 422


async def test_coverage_and_quality_per_department(city) -> None:
    c = city.client
    shared = person_row(记录编号="1", 姓名="钱学文", 身份证号=resident_id(date(1979, 3, 3), 9))
    only_a = person_row(记录编号="2", 姓名="周静怡", 身份证号=resident_id(date(1992, 8, 8), 4))
    bad_id = person_row(记录编号="3", 姓名="吴海峰", 身份证号=LI_TYPO, 出生日期="1990-02-03")
    await import_roster(c, "health", roster([shared, only_a, bad_id]))
    await import_roster(c, "justice", roster([{**shared, "记录编号": "J1"}]))
    await settled(c)
    matrix = (await c.get("/census/coverage")).json()
    assert matrix["persons"] == {"health": 3, "justice": 1}
    assert matrix["missing_from"]["health"]["justice"] == 2
    assert matrix["missing_from"]["justice"]["health"] == 0
    detail = (await c.get("/census/coverage", params={"a": "health", "b": "justice"})).json()
    assert sorted(p["name"] for p in detail["persons"]) == ["吴海峰", "周静怡"]
    assert (await c.get("/census/coverage", params={"a": "health", "b": "nope"})).status_code == 404

    quality = (await c.get("/census/quality")).json()["departments"]
    assert quality["health"]["records"] == 3 and quality["health"]["invalid_id"] == 1
    assert quality["health"]["missing"]["phone_masked"] == 3
    assert quality["justice"]["invalid_id"] == 0


def _indicator_rows() -> list[dict[str, str]]:
    common = {"工作单位": "东关社区居民委员会", "单位类型": "社区", "所属区县": "安定区"}
    return [
        # A social-work post since 2023, certified (intermediate) in 2024.
        person_row(
            记录编号="P1",
            姓名="冯佳琪",
            身份证号=resident_id(date(1990, 1, 1), 1),
            岗位类别="社会工作岗位",
            入职日期="2023-03-01",
            证书等级="社会工作师",
            取证日期="2024-06-01",
            **common,
        ),
        # A community worker hired in 2024.
        person_row(
            记录编号="P2",
            姓名="韩东升",
            身份证号=resident_id(date(1991, 1, 1), 3),
            岗位类别="社区工作者",
            入职日期="2024-05-01",
            **common,
        ),
        # A social-work post who left in 2024.
        person_row(
            记录编号="P3",
            姓名="唐国庆",
            身份证号=resident_id(date(1970, 1, 1), 5),
            岗位类别="社会工作岗位",
            入职日期="2015-01-01",
            离职日期="2024-02-01",
            **common,
        ),
    ]


async def test_workforce_indicators_from_the_merged_census(city) -> None:
    c = city.client
    await import_roster(c, "civil-affairs", roster(_indicator_rows()))
    # The same certified person also in another department's certificate list: counted once.
    cert_list = [
        person_row(
            记录编号="C1",
            姓名="冯佳琪",
            身份证号=resident_id(date(1990, 1, 1), 1),
            证书等级="社会工作师",
            取证日期="2024-06-01",
        )
    ]
    await import_roster(c, "social-work", roster(cert_list))
    await settled(c)
    r = await c.get("/indicators/workforce", params={"year": 2024})
    assert r.status_code == 200, r.text
    ind = r.json()
    assert ind["professionals"] == 1 and ind["professionals_prev"] == 2
    assert ind["professionals_yoy"] == pytest.approx(-0.5)
    assert (ind["certified"], ind["newly_certified"], ind["new_professionals"]) == (1, 1, 0)
    assert (ind["community_workers"], ind["new_community_workers"]) == (1, 1)
    assert ind["certified_in_community"] == 1
    assert ind["by_level"] == {"assistant": 0, "intermediate": 1, "senior": 0}
    assert ind["as_of"]["positions"] and ind["as_of"]["census_version"] > 0

    # As of a day of the year: P3 has not left yet, P1 holds no certificate yet.
    r = await c.get("/indicators/workforce", params={"year": 2024, "as_of": "2024-01-31"})
    mid = r.json()
    assert mid["as_of_date"] == "2024-01-31" and ind["as_of_date"] == "2024-12-31"
    assert (mid["professionals"], mid["professionals_prev"], mid["certified"]) == (2, 1, 0)
    assert (mid["new_professionals"], mid["new_community_workers"]) == (0, 0)
    bad = {"year": 2024, "as_of": "2023-12-31"}
    assert (await c.get("/indicators/workforce", params=bad)).status_code == 422

    table = await c.get("/indicators/workforce", params={"year": 2024, "format": "table"})
    assert "社会工作专业人才" in table.text and "-50.0 %" in table.text

    # A late correction (the 2015 hire was really 2024-01-10) changes the 2023 figures.
    before_2023 = (await c.get("/indicators/workforce", params={"year": 2023})).json()
    assert before_2023["professionals"] == 2
    rows = _indicator_rows()
    rows[2]["入职日期"] = "2024-01-10"
    await import_roster(c, "civil-affairs", roster(rows))
    await settled(c)
    after_2023 = (await c.get("/indicators/workforce", params={"year": 2023})).json()
    assert after_2023["professionals"] == 1
    assert after_2023["as_of"]["positions"] != before_2023["as_of"]["positions"]

    assert (
        await c.get("/indicators/workforce", params={"year": 2024, "region": "火星"})
    ).status_code == 404


async def test_indicators_count_a_likely_queued_pair_as_one_person_until_a_clerk_decides(
    city,
) -> None:
    c = city.client
    # 赵明远 holds a social-work post; 赵明, same birth date, one character short, another
    # employer and no hire date, holds a certificate: the model is unsure they are one
    # person, so a clerk should say.
    post = person_row(
        记录编号="A1",
        姓名="赵明远",
        出生日期="1985-07-07",
        工作单位="岷县社工协会",
        岗位类别="社会工作岗位",
        入职日期="2023-03-01",
    )
    cert = person_row(
        记录编号="B1",
        姓名="赵明",
        出生日期="1985-07-07",
        工作单位="漳县民政局",
        证书等级="社会工作师",
        取证日期="2024-06-01",
    )
    await import_roster(c, "civil-affairs", roster([post]))
    await import_roster(c, "education", roster([cert]))
    await settled(c)
    queue = (await c.get("/census/review")).json()
    assert queue["total"] == 1 and REVIEW_AT <= queue["pairs"][0]["score"] < LINK_AT

    async def indicators(**params: str) -> dict[str, Any]:
        r = await c.get("/indicators/workforce", params={"year": 2024, **params})
        assert r.status_code == 200, r.text
        return r.json()

    best, linked = await indicators(), await indicators(basis="linked")
    waiting = {"queued_pairs": 1, "counted_as_one": 1, "persons_linked": 2, "persons_estimated": 1}
    assert best["basis"] == "best_estimate" and best["review"] == waiting
    assert linked["basis"] == "linked" and linked["review"] == waiting
    # Best estimate: one professional, certified this year; linked: the certificate
    # belongs to a second person who holds no post, so nobody is certified.
    assert (best["professionals"], best["certified"], best["newly_certified"]) == (1, 1, 1)
    assert (linked["professionals"], linked["certified"], linked["newly_certified"]) == (1, 0, 0)
    # Nobody is left out of every figure for want of a hire date while the pair counts as
    # one; linked only, 赵明's record (no hire date) employs nobody, and the answer says so.
    assert (best["without_employment"], linked["without_employment"]) == (0, 1)
    table = (await c.get("/indicators/workforce", params={"year": 2024, "format": "table"})).text
    assert table.splitlines()[0].startswith("口径：最佳估计") and "1 of 1 pairs" in table
    linked_table = await c.get(
        "/indicators/workforce", params={"year": 2024, "format": "table", "basis": "linked"}
    )
    assert linked_table.text.splitlines()[0].startswith("口径：已确认链接")
    assert linked_table.text.splitlines()[1].startswith("注意：1 人没有同时填写工作单位和入职日期")
    bad = {"year": 2024, "basis": "guess"}
    assert (await c.get("/indicators/workforce", params=bad)).status_code == 422

    # The clerk's decision wins: "not the same" and the estimate follows the persons.
    r = await c.post(
        "/census/review", json={"a": "civil-affairs:A1", "b": "education:B1", "same": False}
    )
    assert r.status_code == 202, r.text
    await settled(c)
    best = await indicators()
    assert best["review"] == {
        "queued_pairs": 0,
        "counted_as_one": 0,
        "persons_linked": 2,
        "persons_estimated": 2,
    }
    assert (best["professionals"], best["certified"]) == (1, 0)
    assert (await indicators(basis="linked"))["certified"] == 0
    table = (await c.get("/indicators/workforce", params={"year": 2024, "format": "table"})).text
    assert "口径" not in table
    assert table.startswith("注意：1 人") and "1 person has no record with both" in table


async def test_expert_pool_admits_only_intermediate_or_above(city) -> None:
    c = city.client
    senior_id = resident_id(date(1975, 5, 5), 15)
    junior_id = resident_id(date(1995, 5, 5), 16)
    await import_roster(
        c,
        "civil-affairs",
        roster(
            [
                person_row(
                    记录编号="E1",
                    姓名="邓丽华",
                    身份证号=senior_id,
                    证书等级="社会工作师",
                    取证日期="2020-01-01",
                ),
                person_row(
                    记录编号="E2",
                    姓名="萧飞",
                    身份证号=junior_id,
                    证书等级="助理社会工作师",
                    取证日期="2021-01-01",
                ),
            ]
        ),
    )
    await settled(c)
    pool = (
        "姓名,身份证号,入库日期\n"
        f"邓丽华,{senior_id},2023-01-01\n"
        f"萧飞,{junior_id},2023-01-01\n"
        f"邓丽华,{resident_id(date(1960, 1, 1), 1)},2023-01-01\n"
        "邓丽华,123,2019-01-01\n"
    ).encode()

    async def upload() -> dict[str, Any]:
        r = await c.post("/imports/expert-pool", files={"file": ("experts.csv", pool, "text/csv")})
        assert r.status_code == 200, r.text
        return r.json()

    report = await upload()
    assert (report["rows_read"], report["admitted"], report["rejected_rows"]) == (4, 1, 3)
    reasons = {r["row"]: r for r in report["rejected"]}
    assert reasons[3]["field"] == "admitted_on" and "助理社会工作师" in reasons[3]["reason"]
    assert "人员库中没有此人" in reasons[4]["reason_zh"]
    assert reasons[5]["field"] == "id_number"
    again = await upload()
    assert (again["admitted"], again["unchanged"], again["events"]) == (0, 1, 0)
    await settled(c)
    ind = (await c.get("/indicators/workforce", params={"year": 2023})).json()
    assert ind["expert_pool"] == 1


async def test_rebuilding_the_census_gives_the_same_persons_and_writes_no_new_links(city) -> None:
    c = city.client
    rows, truth = generate_city(60, ["civil-affairs", "hrss", "education"], seed=3)
    for dept, data in roster_files(rows, truth).items():
        await import_roster(c, dept, data)
    await settled(c)
    before = sorted(sorted(p["records"]) for p in await persons(c))
    links_before = len(await census_events(c))
    # A rebuild runs with the census stopped (``python -m shegong.registry rebuild``): here
    # its worker process, else the worker's next batch races the rebuild for the positions.
    for job in city.runtime.jobs:
        if isinstance(job, ProjectionProcess):
            await job.stop()
            await job.wait_stopped()
    [runner] = [r for r in city.runtime.runners if r.name == "census"]
    await runner.rebuild()
    after = sorted(sorted(p["records"]) for p in await persons(c))
    assert after == before
    assert len(await census_events(c)) == links_before


@pytest.mark.parametrize("seed", [7])
async def test_merge_precision_and_recall_through_the_real_pipeline(city, seed: int) -> None:
    """Six departments' messy rosters of 400 humans, imported as files: the persons the
    census makes are scored pair by pair against the generator's truth."""
    c = city.client
    departments = ["social-work", "civil-affairs", "hrss", "education", "health", "youth-league"]
    rows, truth = generate_city(400, departments, seed=seed)
    for dept, data in roster_files(rows, truth).items():
        report = await import_roster(c, dept, data)
        assert report["rejected_rows"] == 0, report["rejected"][:3]
    await settled(c)
    export = (await c.get("/census/export", params={"format": "json"})).json()
    clusters = {p["person_id"]: p["records"] for p in export}
    assert sum(len(v) for v in clusters.values()) == len(rows)
    precision, recall = pairwise_precision_recall(clusters, truth)
    assert precision >= 0.995, precision
    assert recall >= 0.98, recall
    humans = len(set(truth.values()))
    # Same-name strangers kept apart, the same human in several rosters counted once.
    assert abs(len(clusters) - humans) <= humans * 0.02
    assert Counter(len(v) for v in clusters.values())[1] < len(clusters)


async def test_a_department_nodes_records_reach_the_city_census(
    start_node, sqlite_url: str, tmp_path
) -> None:
    """A department runs its own registry node (own database, census off); the city's node
    links its records with the city's own, over the bus and the department's feed."""
    city = await start_node(sqlite_url, census=True)
    dept = await start_node(f"sqlite:///{tmp_path}/hrss.db", department="hrss", census=False)
    assert (await dept.client.get("/census/status")).status_code == 404
    shared = resident_id(date(1983, 3, 3), 31)
    await import_roster(
        city.client,
        "civil-affairs",
        roster([person_row(记录编号="C1", 姓名="林晓东", 身份证号=shared)]),
    )
    await import_roster(
        dept.client, "hrss", roster([person_row(记录编号="H1", 姓名="林曉東", 身份证号=shared)])
    )

    async def merged() -> bool:
        found = await persons(city.client, q="林")
        return len(found) == 1 and sorted(found[0]["records"]) == ["civil-affairs:C1", "hrss:H1"]

    await eventually(merged, timeout=60)
    status = (await city.client.get("/census/status")).json()
    assert set(status["as_of"]["positions"]) == {"/shegong/registry/city", "/shegong/registry/hrss"}


async def test_a_name_search_takes_percent_and_underscore_as_themselves(city) -> None:
    """``q`` is part of a name: ``%`` or ``_`` is that character, never a SQL wildcard that
    lists every person of the census."""
    c = city.client
    await import_roster(
        c,
        "civil-affairs",
        roster([person_row(记录编号="W1", 姓名="王五"), person_row(记录编号="W2", 姓名="赵六")]),
    )
    await settled(c)
    assert len(await persons(c, q="王")) == 1
    assert await persons(c, q="%") == [] and await persons(c, q="_") == []


async def test_a_number_gone_from_a_reimported_cell_is_no_longer_the_persons(city) -> None:
    # The civil-affairs roster listed two mobiles in 王晓东's cell; its next export lists
    # only the first (the second was given up, and is someone else's now). Re-imported,
    # the record keeps no trace of the old number: the census does not count it as
    # evidence that its new owner is 王晓东 (the rare name alone still weighs).
    c = city.client
    unit = {"工作单位": "东关社区居委会", "所属区县": "安定区"}
    first = person_row(记录编号="MZ31", 姓名="王晓东", 手机号="13900000031、13500000032", **unit)
    await import_roster(c, "civil-affairs", roster([first]))
    await settled(c)
    again = {**first, "手机号": "13900000031"}
    assert (await import_roster(c, "civil-affairs", roster([again])))["changed"] == 1
    await import_roster(
        c,
        "hrss",
        roster([person_row(记录编号="RS31", 姓名="王晓东", 手机号="13500000032", **unit)]),
    )
    await settled(c)
    linked = [e["data"] for e in await census_events(c) if e["type"] == "RecordsLinked"]
    assert linked, "a rare name alone may link them, but not by the number"
    assert all(d["evidence"]["phone"]["level"] != "exact" for d in linked)


async def test_the_export_names_a_persons_county_as_the_region_tree_names_it_now(city) -> None:
    # 仁和县 became 仁和区 last year; the civil-affairs list was written before, the
    # social-work list after. The export's 所属区县 is the county of the published tree
    # (found by the township the old list names), not whichever text most records carry.
    c = city.client
    regions = "区县,乡镇街道,社区村,城镇常住人口\n仁和区,,,200000\n仁和区,大田镇,大田村,3000\n"
    resp = await c.post("/imports/regions", files={"file": ("r.csv", regions.encode())})
    assert resp.status_code == 200, resp.text
    old = {"所属区县": "仁和县", "乡镇街道": "大田镇", "社区村": "大田村"}
    await import_roster(
        c,
        "civil-affairs",
        roster(
            [
                person_row(记录编号="MZ41", 姓名="杨雪梅", 身份证号=LI, **old),
                person_row(记录编号="MZ42", 姓名="罗志刚", 身份证号=ZHANG, **old),
            ]
        ),
    )
    await import_roster(
        c, "social-work", roster([person_row(记录编号="SG41", 姓名="杨雪梅", 身份证号=LI)])
    )
    await settled(c)
    export = (await c.get("/census/export", params={"format": "json"})).json()
    assert sorted((p["name"], p["county"]) for p in export) == [
        ("杨雪梅", "仁和区"),
        ("罗志刚", "仁和区"),
    ]
