"""A birth date is shown whole only to who may see personal data; every other key reads
the year (DOMAIN: "publish the birth year (or an age band) at most where a mask is
shown").

Beside ``6****************1``, the sex and the county, a whole birth date leaves ~45 ID
numbers (a department that registers all 45 learns from the census which one is the
person's); the year leaves ~16,000. The test plays another department and an auditor over
every answer that carries a worker or a census person — the worker list and pages, the
feed, the census's persons, pages, review queue, coverage, export (CSV and JSON) and its
data-quality notes (an import's note quoted the date a clerk typed) — and looks for the
dates in any form; the administrator and the worker's own department still see them.

Real components: the city's registry with the census, its keys file, real Redis and
SQLite, over HTTP.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from shegong.kernel.testing import RoleKeys

from .conftest import StartNode, as_
from .test_census import import_roster, resident_id, roster, settled

CHEN = "621126197501180351"  # 陈建国, born 1975-01-18 in 岷县
LI = resident_id(date(1992, 8, 17), 22)  # 李娜


def date_forms(day: date) -> list[str]:
    return [
        day.isoformat(),
        f"{day:%Y%m%d}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.year}-{day.month}-{day.day}",
        f"{day:%Y/%m/%d}",
        f"{day:%Y.%m.%d}",
    ]


async def everything(client: httpx.AsyncClient) -> str:
    """Every answer a key can read about workers and census persons, as one text."""
    texts = []

    async def get(path: str, **params: Any) -> Any:
        resp = await client.get(path, params=params)
        assert resp.status_code == 200, (path, resp.text)
        texts.append(resp.text)
        return resp.json() if "json" in resp.headers["content-type"] else None

    for worker in (await get("/workers", limit=1000))["items"]:
        await get(f"/workers/{worker['worker_id']}")
    await get("/events", limit=5000)
    for person in (await get("/census/persons", limit=500))["persons"]:
        await get(f"/census/persons/{person['person_id']}")
    await get("/census/review")
    await get("/census/coverage")
    await get("/census/coverage", a="civil-affairs", b="hrss")
    await get("/census/coverage", a="hrss", b="civil-affairs")
    await get("/census/export", format="json")
    await get("/census/export", format="csv")
    await get("/census/quality")
    return "\n".join(texts)


async def test_a_birth_date_is_whole_only_for_who_may_see_personal_data(
    start_node: StartNode, sqlite_url: str, keys: RoleKeys
) -> None:
    city = await start_node(
        sqlite_url, census=True, registry_census_process=False, api_keys_file=str(keys.file.path)
    )
    async with (
        as_(city, keys.civil) as civil,
        as_(city, keys.hrss) as hrss,
        as_(city, keys.service) as service,
    ):
        await import_roster(
            civil,
            "civil-affairs",
            roster(
                [
                    # The typed date contradicts the number: the import's note quotes it.
                    {"记录编号": "MZ-1", "姓名": "陈建国", "身份证号": CHEN,
                     "出生日期": "1975-01-19", "手机号": "13909310002", "所属区县": "岷县"},
                    {"记录编号": "MZ-2", "姓名": "李娜", "身份证号": LI, "所属区县": "岷县"},
                ]
            ),
        )  # fmt: skip
        await import_roster(
            hrss,
            "hrss",
            roster(
                [
                    {"记录编号": "RS-1", "姓名": "陈建国", "出生日期": "1975-01-18",
                     "手机号": "13909310002", "所属区县": "岷县"},
                    {"记录编号": "RS-2", "姓名": "王芳", "出生日期": "1988-03-05",
                     "性别": "女", "所属区县": "岷县"},
                ]
            ),
        )  # fmt: skip
        await settled(service)  # its reads are not recorded: the head stays put

        own = (await hrss.get("/census/persons/hrss:RS-2")).json()
        assert own["birth_date"] == "1988-03-05"  # its own worker: whole
        together = (await hrss.get("/census/persons", params={"q": "陈建国"})).json()["persons"]
        assert [(p["birth_date"], p["birth_year"]) for p in together] == [(None, 1975)]
        page = (await hrss.get(f"/census/persons/{together[0]['person_id']}")).json()
        shown = {r["key"]: (r["birth_date"], r.get("birth_year")) for r in page["record_details"]}
        assert shown == {"hrss:RS-1": ("1975-01-18", None), "civil-affairs:MZ-1": (None, 1975)}
        seen_by_hrss = await everything(hrss)
        for day in (date(1975, 1, 19), date(1992, 8, 17)):
            for form in date_forms(day):
                assert form not in seen_by_hrss, form
        assert "1992" in seen_by_hrss  # the year is still there

    async with as_(city, keys.auditor) as auditor:
        seen = await everything(auditor)
        for day in (date(1975, 1, 18), date(1975, 1, 19), date(1992, 8, 17), date(1988, 3, 5)):
            for form in date_forms(day):
                assert form not in seen, form
        years = {
            p["name"]: p["birth_year"]
            for p in (await auditor.get("/census/persons")).json()["persons"]
        }
        assert years == {"陈建国": 1975, "李娜": 1992, "王芳": 1988}

    async with as_(city, keys.admin) as admin:
        seen = await everything(admin)
        for day in (date(1975, 1, 18), date(1992, 8, 17), date(1988, 3, 5)):
            assert day.isoformat() in seen


async def test_a_note_on_a_mistyped_id_number_quotes_none_of_it_to_another_department(
    start_node: StartNode, sqlite_url: str, keys: RoleKeys
) -> None:
    """Round 13, on ``shegong up``: ``hrss`` read on ``/census/quality`` the notes on
    ``civil-affairs``'s rows: "birth date digits 19881305 are not a real date" (the birth
    date of a person whose day and month were swapped, which the record's mask and year
    hide) and "check character is 3, expected 5" (a number with its last two characters
    swapped: 3 is the right number's sex digit). Another department and an auditor now
    read that the number is not valid; the department itself and the administrator the
    details."""
    swapped_date = "620102198813051231"  # born 1988-05-13, typed 1988-13-05
    swapped_end = CHEN[:16] + CHEN[17] + CHEN[16]  # ...0351 typed ...0315
    city = await start_node(
        sqlite_url, census=True, registry_census_process=False, api_keys_file=str(keys.file.path)
    )
    async with as_(city, keys.civil) as civil:
        await import_roster(
            civil,
            "civil-affairs",
            roster(
                [
                    {"记录编号": "MZ-1", "姓名": "孙八", "身份证号": swapped_date},
                    {"记录编号": "MZ-2", "姓名": "陈建国", "身份证号": swapped_end},
                ]
            ),
        )
    hidden = ("19881305", "1305", "is 5", "is 1", "应为", "expected")
    for key, sees in ((keys.civil, True), (keys.admin, True), (keys.hrss, False),
                      (keys.auditor, False)):  # fmt: skip
        async with as_(city, key) as client:
            quality = (await client.get("/census/quality")).json()
        notes = [
            p
            for row in quality["rows_with_problems"]["civil-affairs"]["first"]
            for p in row["problems"]
            if p.startswith("id_number")
        ]
        assert len(notes) == 2, quality
        if sees:
            assert any("19881305" in n for n in notes) and any("is 5" in n for n in notes)
        else:
            assert not [h for h in hidden for n in notes if h in n], notes
            assert all("not a valid ID number" in n and "号码无效" in n for n in notes)
