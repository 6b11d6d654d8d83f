"""Volunteers counted right: programme check-ins add hours to the ledger; a team's hours
go to the members who served; a volunteer's national number (志愿者编号) stays in the
vault, keyed on the bus; the hours record follows its documented template (CSV, XLSX),
formula-safe, numbers in full only for the volunteer's own department. A running
matching service with API keys, real Redis, SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from shegong.kernel.testing import RoleKeys
from shegong.matching.application.volunteer_record import HEADER, TEMPLATE

from .conftest import COMMUNITY, Matching
from .test_access import as_, events, ok, place, refused, volunteer

ROOT = Path(__file__).resolve().parents[3]
NUMBER, OTHER_NUMBER = "31010520240001", "31010520240002"


@pytest.fixture
def keys(tmp_path: Path) -> RoleKeys:
    return RoleKeys(tmp_path / "api-keys.json")


@pytest.fixture
async def m(database_url: str, start_matching: Any, keys: RoleKeys) -> Matching:
    matching: Matching = await start_matching(database_url, api_keys_file=str(keys.file.path))
    return matching


async def team(client: httpx.AsyncClient, name: str) -> str:
    body = {"kind": "volunteer_team", "name": name, "region": COMMUNITY, "organisation": "东关社区"}
    return ok(await client.post("/providers", json=body))["provider_id"]  # type: ignore[no-any-return]


async def programme(client: httpx.AsyncClient) -> str:
    today = datetime.now(UTC).date()
    body = {
        "title": "八段锦晨练",
        "community": COMMUNITY,
        "service_type": "health_management",
        "rrule": "FREQ=DAILY",
        "starts_on": (today - timedelta(days=7)).isoformat(),
    }
    return ok(await client.post("/programmes", json=body))["programme_id"]  # type: ignore[no-any-return]


async def ledger(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    return ok(await client.get("/hours"))["entries"]  # type: ignore[no-any-return]


def error(resp: httpx.Response, status: int, field: str) -> str:
    assert resp.status_code == status, resp.text
    body = resp.json()["error"]
    assert body["field"] == field, body
    return str(body["message"])


async def test_programme_check_ins_of_who_served_add_hours_to_the_ledger(
    m: Matching, keys: RoleKeys
) -> None:
    today = datetime.now(UTC).date()
    async with as_(m, keys.civil) as civil, as_(m, keys.hrss) as hrss:
        helper = await volunteer(civil, "王志愿")
        theirs = await volunteer(hrss, "人社志愿者")
        pid = await programme(civil)
        url = f"/programmes/{pid}/check-ins"

        ok(await civil.post(url, json={"occurrence": str(today), "participant": "张阿姨"}))
        assert await ledger(civil) == []  # attending is not serving
        served = {"occurrence": str(today), "provider_id": helper, "hours": 1.5}
        assert ok(await civil.post(url, json=served))["recorded"] is True
        assert ok(await civil.post(url, json=served))["recorded"] is False  # once
        (entry,) = await ledger(civil)
        assert entry["programme_id"] == pid and entry["request_id"] is None
        assert (entry["provider_id"], entry["person"], entry["hours"]) == (helper, "王志愿", 1.5)
        assert entry["service_type"] == "health_management" and entry["community"] == COMMUNITY
        started = datetime.fromisoformat(entry["started_at"])
        assert started.astimezone(UTC).hour == 1  # 09:00 Beijing time
        assert datetime.fromisoformat(entry["finished_at"]) - started == timedelta(hours=1.5)
        exported = _csv((await civil.get("/hours/export.csv")).content)
        assert exported[1][1] == "王志愿" and exported[1][-1] == ""  # no 回访 to wait for

        # Another department's volunteer is not the programme's to count (not named).
        msg = error(
            await civil.post(url, json={**served, "provider_id": theirs}), 422, "provider_id"
        )
        assert "人社志愿者" not in msg
        msg = error(
            await civil.post(url, json={"occurrence": str(today), "participant": "x", "hours": 2}),
            422,
            "provider_id",
        )
        assert "服务时长与服务方须同时填写" in msg
        error(await civil.post(url, json={"occurrence": str(today)}), 422, "participant")
        late = {**served, "started_at": f"{today + timedelta(days=1)}T10:00:00+08:00"}
        error(await civil.post(url, json=late), 422, "started_at")
        assert len(await ledger(civil)) == 1


async def test_a_teams_hours_go_to_the_members_who_served(m: Matching, keys: RoleKeys) -> None:
    today = datetime.now(UTC).date()
    async with as_(m, keys.civil) as civil, as_(m, keys.hrss) as hrss:
        drums = await team(civil, "社区非洲鼓队")
        rid = (await place(civil))["request_id"]  # offered to the team, nobody else yet
        ok(await civil.post(f"/requests/{rid}/accept", json={"provider_id": drums}))
        a, b = await volunteer(civil, "队员甲"), await volunteer(civil, "队员乙")
        outsider = await volunteer(hrss, "外单位志愿者")

        wrong = {"hours": 2, "members": [a, outsider]}
        msg = error(await civil.post(f"/requests/{rid}/finish", json=wrong), 422, "members[1]")
        assert "外单位志愿者" not in msg and "第2位队员" in msg
        twice = {"hours": 2, "members": [a, a]}
        error(await civil.post(f"/requests/{rid}/finish", json=twice), 422, "members")
        assert await ledger(civil) == []  # nothing kept from a refused finish

        ok(await civil.post(f"/requests/{rid}/finish", json={"hours": 2, "members": [a, b]}))
        entries = await ledger(civil)
        assert sorted((e["provider_id"], e["person"]) for e in entries) == sorted(
            [(a, "队员甲"), (b, "队员乙")]
        )
        assert {(e["team"], e["team_id"], e["hours"], e["provider_kind"]) for e in entries} == {
            ("社区非洲鼓队", drums, 2.0, "volunteer")
        }
        totals = ok(await civil.get("/hours"))["totals"]
        assert totals["person"] == {"队员甲": 2.0, "队员乙": 2.0}  # person-hours
        # The follow-up rates the delivery: every member's entry of it.
        ok(await civil.post(f"/requests/{rid}/follow-up", json={"satisfaction": 4}))
        assert {e["satisfaction"] for e in await ledger(civil)} == {4}

        # The indicators count that delivery and its rating once, its hours per member.
        for rating in (2, None):
            other = (await place(civil))["request_id"]
            assign = {"provider_id": a, "staff": "王主任"}
            ok(await civil.post(f"/requests/{other}/assign", json=assign))
            ok(await civil.post(f"/requests/{other}/finish", json={"hours": 1}))
            if rating:
                ok(await civil.post(f"/requests/{other}/follow-up", json={"satisfaction": rating}))
        year = {"year": datetime.now(UTC).year}
        figures = ok(await civil.get("/indicators/services", params=year))
        assert figures["mean_satisfaction"] == 3.0  # (4 + 2) / 2, not (4 + 4 + 2) / 3
        assert figures["follow_up_coverage"] == 0.6667  # 2 / 3, not 3 / 4
        assert figures["hours"]["volunteer"] == 2 + 2 + 1 + 1

        # At a programme too; members only for a team.
        pid = await programme(civil)
        url = f"/programmes/{pid}/check-ins"
        served = {"occurrence": str(today), "provider_id": drums, "hours": 1, "members": [b]}
        ok(await civil.post(url, json=served))
        solo = {"occurrence": str(today), "provider_id": a, "hours": 1, "members": [b]}
        error(await civil.post(url, json=solo), 422, "members")
        assert len(await ledger(civil)) == 5

        credited = [e for e in await events(m) if e.type == "TeamHoursCredited"]
        assert [c.data["members"] for c in credited] == [[a, b], [b]]
        assert "队员" not in json.dumps([c.data for c in credited], ensure_ascii=False)


async def test_a_volunteers_national_number_stays_in_the_vault(m: Matching, keys: RoleKeys) -> None:
    async with as_(m, keys.civil) as civil, as_(m, keys.hrss) as hrss:
        helper, other = await volunteer(civil, "王志愿"), await volunteer(civil, "李志愿")
        drums = await team(civil, "鼓队")
        url = f"/providers/{helper}/volunteer-number"

        refused(await hrss.put(url, json={"number": NUMBER}))
        msg = error(await civil.put(url, json={"number": "12 3"}), 422, "number")
        assert "志愿者编号" in msg
        error(
            await civil.put(f"/providers/{drums}/volunteer-number", json={"number": NUMBER}),
            422,
            "provider_id",
        )
        shown = ok(await civil.put(url, json={"number": f" {NUMBER.lower()} "}))
        assert shown == {"provider_id": helper, "number_masked": "31**********01"}
        taken = await civil.put(f"/providers/{other}/volunteer-number", json={"number": NUMBER})
        assert taken.status_code == 409 and "王志愿" not in taken.text
        # Another department's volunteer with the same number: no answer tells it whose
        # (or whether anyone's) it is — the same human may volunteer there too.
        elsewhere = await volunteer(hrss, "王志愿")
        shown = ok(
            await hrss.put(f"/providers/{elsewhere}/volunteer-number", json={"number": NUMBER})
        )
        assert shown == {"provider_id": elsewhere, "number_masked": "31**********01"}

        (event, _) = [e for e in await events(m) if e.type == "VolunteerNumberSet"]
        assert event.department == "civil-affairs"
        assert event.data["number_masked"] == "31**********01"
        assert len(event.data["number_hash"]) == 32
        wire = json.dumps([e.data for e in await events(m)], ensure_ascii=False)
        assert NUMBER not in wire


def _csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8").lstrip("\ufeff"))))


async def test_the_hours_record_follows_its_template_and_shows_numbers_to_their_department(
    m: Matching, keys: RoleKeys
) -> None:
    today = datetime.now(UTC).date()
    async with (
        as_(m, keys.civil) as civil,
        as_(m, keys.hrss) as hrss,
        as_(m, keys.admin) as admin,
        as_(m, keys.auditor) as auditor,
    ):
        ours = await volunteer(civil, '=HYPERLINK("http://x")')
        theirs = await volunteer(hrss, "人社志愿者")
        ok(await civil.put(f"/providers/{ours}/volunteer-number", json={"number": NUMBER}))
        ok(await hrss.put(f"/providers/{theirs}/volunteer-number", json={"number": OTHER_NUMBER}))
        for client, who in ((civil, ours), (hrss, theirs)):
            pid = await programme(client)
            served = {"occurrence": str(today), "provider_id": who, "hours": 2}
            ok(await client.post(f"/programmes/{pid}/check-ins", json=served))
        rid = (await place(civil))["request_id"]
        ok(await civil.post(f"/requests/{rid}/accept", json={"provider_id": ours}))
        ok(await civil.post(f"/requests/{rid}/finish", json={"hours": 1}))

        # Its own volunteers, numbers in full, as XLSX (the default).
        resp = await civil.get("/volunteers/hours-record", params={"year": today.year})
        assert resp.status_code == 200 and "spreadsheetml" in resp.headers["content-type"]
        sheet = load_workbook(io.BytesIO(resp.content)).active
        assert sheet is not None
        rows = [[c.value for c in r] for r in sheet.iter_rows()]
        assert tuple(rows[0]) == HEADER
        assert [r[2] for r in rows[1:]] == [NUMBER, NUMBER]
        assert [r[6] for r in rows[1:]] == ["常态化项目", "订单"]
        assert [r[11] or "" for r in rows[1:]] == ["", "待回访"]  # programmes: no rating
        name_cell = sheet.cell(row=2, column=2)
        assert name_cell.value == '=HYPERLINK("http://x")' and name_cell.data_type == "s"

        # The administrator: everyone, masked; as CSV, formula-safe.
        body = (await admin.get("/volunteers/hours-record", params={"format": "csv"})).content
        table = _csv(body)
        assert tuple(table[0]) == HEADER
        assert sorted(r[2] for r in table[1:]) == sorted(
            ["31**********01", "31**********01", "31**********02"]
        )
        assert {r[1] for r in table[1:]} == {'\'=HYPERLINK("http://x")', "人社志愿者"}
        one = _csv(
            (
                await auditor.get(
                    "/volunteers/hours-record",
                    params={"format": "csv", "department": "hrss"},
                )
            ).content
        )
        assert [(r[1], r[2]) for r in one[1:]] == [("人社志愿者", "31**********02")]

        # Another department's volunteers are not a department's to export.
        refused(await hrss.get("/volunteers/hours-record", params={"department": "civil-affairs"}))
        mine = _csv((await hrss.get("/volunteers/hours-record", params={"format": "csv"})).content)
        assert [(r[1], r[2]) for r in mine[1:]] == [("人社志愿者", OTHER_NUMBER)]

        log = ok(await auditor.get("/audit/access", params={"type": "AccessRecorded"}))
        exports = [i for i in log["items"] if i["data"]["what"] == "volunteer_hours_record"]
        assert len(exports) >= 4


def test_the_documented_template_is_the_codes() -> None:
    doc = (ROOT / "docs" / "volunteer-hours-template.md").read_text()
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$", doc, re.M)
    documented = [(int(n), zh.strip(), en.strip(), what.strip()) for n, zh, en, what in rows]
    assert documented == [(i, c.zh, c.en, c.content) for i, c in enumerate(TEMPLATE, start=1)]
