"""The census cannot be asked "which of these phones (ID numbers) is this person's?".

Every department sees the merged census, so a department that lists a person's name with
every phone the shown mask ``139****0002`` allows learns the whole phone from the one
record the census links (round 4 measured it on ``shegong up``: 10,000 rows from ``hrss``,
15.6 s, 13909310002). A department now lists at most ``PHONES_PER_MASK`` different phones
behind one mask — counted over everything it ever listed, so changing one record's phone
again and again counts too — and a few ID numbers per region and birth date or year; past
that a roster row keeps everything but that number (a warning naming row and field, in
both languages, in the report and the quality notes) and a command is a 422. Honest
rosters — a person listed twice, namesakes, five phones that share a mask, a certificate
list with one ID number on several rows — are not touched.

Real components: the city's registry with the census, its keys file, real Redis and
SQLite, over HTTP.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.kernel.testing import RoleKeys
from shegong.registry.adapters.listed_numbers import (
    BIRTHS_PER_NAME_YEAR,
    IDS_PER_DAY,
    MASKED_PER_NAME,
    PHONES_PER_MASK,
)

from .conftest import Node, StartNode, as_
from .test_census import import_roster, persons, resident_id, roster, settled

TARGET_PHONE = "13909310002"
CHEN = "621126197501180351"  # 陈建国, born 1975-01-18 in 岷县 (621126)
GUESSES = [f"139{n:04d}0002" for n in range(900, 940)]  # the target is the 32nd


async def city_with_chen(start_node: StartNode, sqlite_url: str, keys: RoleKeys) -> Node:
    city = await start_node(
        sqlite_url, census=True, registry_census_process=False, api_keys_file=str(keys.file.path)
    )
    async with as_(city, keys.civil) as civil:
        await import_roster(
            civil,
            "civil-affairs",
            roster(
                [{"记录编号": "MZ-02", "姓名": "陈建国", "身份证号": CHEN, "手机号": TARGET_PHONE,
                  "工作单位": "岷县民政局", "所属区县": "岷县"}]
            ),
        )  # fmt: skip
    return city


async def chen_records(client: httpx.AsyncClient) -> set[str]:
    """The records the census put beside civil-affairs's 陈建国."""
    found = [p for p in await persons(client, q="陈建国") if "civil-affairs:MZ-02" in p["records"]]
    assert len(found) == 1
    return set(found[0]["records"]) - {"civil-affairs:MZ-02"}


def warned(report: dict[str, Any], field: str) -> list[int]:
    """The rows whose ``field`` was left out as a guess."""
    return [
        w["row"]
        for w in report["warnings"]
        if w["warning"].startswith(f"{field}:") and "is not stored" in w["warning"]
    ]


async def test_a_roster_of_guessed_phones_does_not_tell_which_is_the_persons(
    start_node: StartNode, sqlite_url: str, keys: RoleKeys
) -> None:
    city = await city_with_chen(start_node, sqlite_url, keys)
    rows = [{"记录编号": f"P{g[3:7]}", "姓名": "陈建国", "手机号": g, "所属区县": "岷县"}
            for g in GUESSES]  # fmt: skip
    async with as_(city, keys.hrss) as hrss, as_(city, keys.service) as service:
        report = await import_roster(hrss, "hrss", roster(rows))
        await settled(service)
        assert "hrss:P0931" not in await chen_records(hrss)  # it was, before
        # Every row is a record; the phones past the fifth behind 139****0002 are not.
        assert report["new"] == len(GUESSES) and report["rejected"] == []
        assert warned(report, "phone") == list(range(2 + PHONES_PER_MASK, 2 + len(GUESSES)))
        note = next(w["warning"] for w in report["warnings"] if w["warning"].startswith("phone:"))
        assert "139****0002" in note and "手机号码" in note and TARGET_PHONE not in note
        # The quality notes name the rows too (the clerk sees why a phone is missing).
        quality = (await hrss.get("/census/quality", params={"department": "hrss"})).text
        assert "139****0002" in quality and TARGET_PHONE not in quality
        # Sending the file again changes nothing and stores no phone it left out.
        again = await import_roster(hrss, "hrss", roster(rows))
        assert again["unchanged"] == len(GUESSES) and again["events"] == 0
        # One at a time over the API: refused, naming the field, in both languages.
        resp = await hrss.post("/workers", json={"name": "陈建国", "phone": TARGET_PHONE})
        assert resp.status_code == 422, resp.text
        body = resp.json()["error"]
        assert body["field"] == "phone" and "139****0002" in body["message_zh"]
        assert TARGET_PHONE not in resp.text


async def test_changing_one_records_phone_again_and_again_counts_every_phone(
    start_node: StartNode, sqlite_url: str, keys: RoleKeys
) -> None:
    city = await city_with_chen(start_node, sqlite_url, keys)
    async with as_(city, keys.hrss) as hrss, as_(city, keys.service) as service:
        resp = await hrss.post("/workers", json={"name": "陈建国", "region": {"county": "岷县"}})
        worker = resp.json()["worker"]["worker_id"]
        codes = []
        for guess in GUESSES:
            resp = await hrss.patch(f"/workers/{worker}", json={"phone": guess})
            codes.append(resp.status_code)
        assert codes == [200] * PHONES_PER_MASK + [422] * (len(GUESSES) - PHONES_PER_MASK)
        # A phone it listed before is not a new guess.
        assert (await hrss.patch(f"/workers/{worker}", json={"phone": GUESSES[1]})).is_success
        # His phone never reached the census: no event of the record carries its digest.
        feed = (await service.get("/events", params={"limit": 5000})).json()["events"]
        hashes = {e["data"].get("phone_hash") for e in feed if e["data"].get("worker_id") == worker}
        assert len(hashes - {None}) == PHONES_PER_MASK
        assert PersonalDataHasher("k" * 32).phone(TARGET_PHONE) not in hashes


async def guessed(
    city: Node, keys: RoleKeys, rows: list[dict[str, str]], *, kept: int, guesses: int
) -> dict[str, Any]:
    """``hrss`` imports ``rows`` whose first ``guesses`` are guesses at 陈建国's number:
    all rows are new, the first ``kept`` guesses keep theirs, and the census does not
    put any of them beside him (without the bound, the right guess links him)."""
    async with as_(city, keys.hrss) as hrss, as_(city, keys.service) as service:
        report = await import_roster(hrss, "hrss", roster(rows))
        await settled(service)
        assert not await chen_records(hrss)
        assert report["new"] == len(rows)
        assert warned(report, "id_number") == list(range(2 + kept, 2 + guesses))
    return report


async def test_guessed_id_numbers_are_bounded_per_birth_date(
    start_node: StartNode, sqlite_url: str, keys: RoleKeys
) -> None:
    city = await city_with_chen(start_node, sqlite_url, keys)
    # Every number of a man born 1975-01-18 in 岷县, the day known from elsewhere.
    guesses = [resident_id(date(1975, 1, 18), n, "621126") for n in range(1, 400, 2)]
    guesses = [g for g in reversed(guesses) if g[-1] == CHEN[-1]]  # what the mask shows
    assert CHEN in guesses and guesses.index(CHEN) >= IDS_PER_DAY
    rows = [{"记录编号": f"G{i}", "姓名": f"探{i}", "身份证号": g} for i, g in enumerate(guesses)]
    async with as_(city, keys.hrss) as hrss:
        await guessed(city, keys, rows, kept=IDS_PER_DAY, guesses=len(guesses))
        resp = await hrss.post("/workers", json={"name": "陈建国", "id_number": CHEN})
        assert resp.status_code == 422 and resp.json()["error"]["field"] == "id_number", resp.text
        assert CHEN not in resp.text


async def test_guessed_masked_id_numbers_are_bounded_per_name(
    start_node: StartNode, sqlite_url: str, keys: RoleKeys
) -> None:
    """A published mask shows the region, order and check digits the census links by: a
    department listing his name with every order and check behind 621126******** would
    learn them from the one the census links. Past a few masks of one name and region
    the row is kept without its number."""
    city = await city_with_chen(start_node, sqlite_url, keys)
    tails = [f"{n:03d}{c}" for n in range(1, 12, 2) for c in "0123456789X"]  # not his
    tails.insert(2 * MASKED_PER_NAME, CHEN[-4:])  # the right one, past the limit
    masks = [f"{CHEN[:6]}{'*' * 8}{t}" for t in tails]
    # The name written as it sounds (fuzzy pinyin's 陈/程 too), or in traditional
    # characters, is the same name.
    names = ("陈建国", "陈建果", "陳建國", "陈 建国", "程建国", "陈剑国")
    rows = [
        {"记录编号": f"M{i}", "姓名": names[i % len(names)], "身份证号": m}
        for i, m in enumerate(masks)
    ]
    # Namesakes of other names behind masks, as an honest list has them: all kept.
    rows += [{"记录编号": f"H{i}", "姓名": f"王{i}华", "身份证号": f"{CHEN[:6]}{'*' * 8}{t}"}
             for i, t in enumerate(tails[:20])]  # fmt: skip
    report = await guessed(city, keys, rows, kept=MASKED_PER_NAME, guesses=len(masks))
    assert CHEN not in str(report)


async def test_guessed_birth_dates_are_bounded_per_name_and_year(
    start_node: StartNode, sqlite_url: str, keys: RoleKeys
) -> None:
    """His birth year stands beside his mask; with no number at all, a department listing
    his name, sex and county with every day of that year learned the day from the one
    record the census linked (round 8: ``hrss:G17``, 1975-01-18). Past a few dates of one
    name and year the row is kept without its date; renaming a record to his name counts
    the same."""
    city = await city_with_chen(start_node, sqlite_url, keys)
    days = [date(1975, 1, d) for d in range(28, 0, -1)]  # his, the 18th, past the limit
    assert days.index(date(1975, 1, 18)) >= BIRTHS_PER_NAME_YEAR
    names = ("陈建国", "陈建果", "程建国")  # as it sounds, fuzzy pinyin's 程 too
    rows = [
        {"记录编号": f"B{i}", "姓名": names[i % 3], "性别": "男", "出生日期": d.isoformat(),
         "所属区县": "岷县"}
        for i, d in enumerate(days)
    ]  # fmt: skip
    async with as_(city, keys.hrss) as hrss, as_(city, keys.service) as service:
        report = await import_roster(hrss, "hrss", roster(rows))
        await settled(service)
        assert not await chen_records(hrss)
        assert report["new"] == len(rows)
        assert warned(report, "birth_date") == list(range(2 + BIRTHS_PER_NAME_YEAR, 2 + len(days)))
        # Over the API: a new record is refused, naming the field; so is a rename.
        resp = await hrss.post(
            "/workers", json={"name": "陈建国", "gender": "male", "birth_date": "1975-01-18"}
        )
        assert resp.status_code == 422 and resp.json()["error"]["field"] == "birth_date"
        resp = await hrss.post("/workers", json={"name": "路人甲", "birth_date": "1975-01-18"})
        assert resp.status_code == 201, resp.text
        worker = resp.json()["worker"]["worker_id"]
        resp = await hrss.patch(f"/workers/{worker}", json={"name": "陈建国"})
        assert resp.status_code == 422 and resp.json()["error"]["field"] == "birth_date"
        assert "1975-01-18" not in resp.text


async def test_an_honest_roster_keeps_every_number(
    start_node: StartNode, sqlite_url: str, keys: RoleKeys
) -> None:
    city = await city_with_chen(start_node, sqlite_url, keys)
    born = date(1980, 5, 6)
    twins = [resident_id(born, 11, "621126"), resident_id(born, 13, "621126")]
    rows = [
        # Five people whose phones share 139****0002 (a big roster has such).
        *({"记录编号": f"S{i}", "姓名": f"同尾{i}", "手机号": f"139{1000 + i:04d}0002"}
          for i in range(PHONES_PER_MASK)),
        # One person listed twice (a new phone on the second row), and a certificate list
        # with one ID number on several rows.
        {"记录编号": "T1", "姓名": "王芳", "身份证号": twins[0], "手机号": "13800000001"},
        {"记录编号": "T2", "姓名": "王芳", "身份证号": twins[0], "手机号": "13800000002"},
        {"记录编号": "T3", "姓名": "王芳", "身份证号": twins[0], "证书等级": "助理社会工作师",
         "取证日期": "2020-06-01"},
        {"记录编号": "T4", "姓名": "王芬", "身份证号": twins[1]},
        # Forty office landlines behind +86********34 (a landline's mask shows two digits).
        *({"记录编号": f"L{i}", "姓名": f"座机{i}", "手机号": f"0932-82{i:03d}34"}
          for i in range(40)),
    ]  # fmt: skip
    async with as_(city, keys.hrss) as hrss:
        report = await import_roster(hrss, "hrss", roster(rows))
        assert report["new"] == len(rows)
        assert warned(report, "phone") == [] and warned(report, "id_number") == []


async def test_guesses_written_as_a_cells_other_numbers_count_as_guesses(
    start_node: StartNode, sqlite_url: str, keys: RoleKeys
) -> None:
    # The other numbers of a phone cell are linkage evidence too (137… / 139…): written
    # there, the guesses count against the same limit as the phone itself.
    city = await city_with_chen(start_node, sqlite_url, keys)
    rows = [{"记录编号": f"Q{g[3:7]}", "姓名": "陈建国", "手机号": f"1370000{i:04d}/{g}",
             "所属区县": "岷县"} for i, g in enumerate(GUESSES)]  # fmt: skip
    async with as_(city, keys.hrss) as hrss, as_(city, keys.service) as service:
        report = await import_roster(hrss, "hrss", roster(rows))
        await settled(service)
        assert report["new"] == len(GUESSES) and report["rejected"] == []
        assert "hrss:Q0931" not in await chen_records(hrss)
        assert warned(report, "phone") == list(range(2 + PHONES_PER_MASK, 2 + len(GUESSES)))
        assert TARGET_PHONE not in str(report)
