"""Programmes with RRULE occurrences and check-ins (打卡); needs surveys into the needs
register; unmet needs; the suggestion to make a programme when a need repeats."""

from __future__ import annotations

import io
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import openpyxl
import pytest

from shegong.contracts.matching import ProgrammeCreated, ServiceType
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.testing import longest_stall
from shegong.matching.domain.programme import Programme, occurrences, parse_rule

from .conftest import COMMUNITY, SAME_STREET

SURVEY = (
    "区县,街道,社区,户号,服务对象,服务需求\n"
    "安定区,永定路街道,东关社区,3-501,一老,助餐、健康管理\n"
    "安定区,永定路街道,东关社区,3-502,elderly,助餐\n"
    "安定区,永定路街道,东关社区,4-101,一小,课后托管\n"
    "安定区,永定路街道,,5-101,一老,助餐\n"
    "安定区,永定路街道,西关社区,1-1,老人,探访\n"
    "安定区,永定路街道,西关社区,1-2,一残,理发\n"
)


async def test_a_weekly_programme_lists_occurrences_and_counts_check_ins(
    sqlite_url: str, start_matching: Any
) -> None:
    m = await start_matching(sqlite_url)
    today = datetime.now(UTC).date()
    start = today - timedelta(days=21)
    weekday = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][today.weekday()]
    drums = await m.ok(
        "POST",
        "/programmes",
        {
            "title": "社区非洲鼓队排练",
            "community": COMMUNITY,
            "service_type": "亲子活动",
            "rrule": f"FREQ=WEEKLY;BYDAY={weekday}",
            "starts_on": start.isoformat(),
        },
        201,
    )
    pid = drums["programme_id"]
    assert await m.ok("GET", "/programmes") == [
        {
            "programme_id": pid,
            "title": "社区非洲鼓队排练",
            "community": COMMUNITY,
            "service_type": "parent_child",
            "target_group": None,
            "rrule": f"FREQ=WEEKLY;BYDAY={weekday}",
            "starts_on": start.isoformat(),
            "provider_id": None,
        }
    ]
    days = await m.ok(
        "GET", f"/programmes/{pid}/occurrences?start={start}&end={today + timedelta(days=7)}"
    )
    assert [d["occurrence"] for d in days] == [
        (start + timedelta(days=7 * i)).isoformat() for i in range(5)
    ]
    for who in ("张阿姨", "李大爷", "张阿姨"):
        done = await m.ok(
            "POST", f"/programmes/{pid}/check-ins", {"occurrence": str(today), "participant": who}
        )
    assert done == {"recorded": False, "occurrence": str(today), "check_ins": 2}
    wrong = await m.client.post(
        f"/programmes/{pid}/check-ins",
        json={"occurrence": str(today - timedelta(days=1)), "participant": "x"},
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "occurrence"
    bad = await m.client.post(
        "/programmes",
        json={
            "title": "x",
            "community": COMMUNITY,
            "service_type": "助餐",
            "rrule": "FREQ=SOMETIMES",
            "starts_on": str(today),
        },
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "rrule"
    report = await m.ok("GET", f"/indicators/services?year={today.year}")
    assert report["programme_attendance"]["check_ins"] == 2


async def test_needs_survey_import_unmet_needs_and_programme_suggestions(
    sqlite_url: str, start_matching: Any
) -> None:
    m = await start_matching(sqlite_url)
    files = {"file": ("需求调查.csv", SURVEY.encode("gbk"))}
    resp = await m.client.post("/imports/needs-survey", files=files)
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["rows_read"] == 6 and report["recorded"] == 4
    assert sorted((r["row"], r["field"]) for r in report["rejected"]) == [
        (5, "community"),
        (6, "target_group"),
        (7, "needs"),
    ]
    again = (await m.client.post("/imports/needs-survey", files=files)).json()
    assert again["recorded"] == 0 and again["already_known"] == 4

    unmet = await m.ok("GET", "/needs/unmet")
    east = next(u for u in unmet if u["community"] == COMMUNITY)
    assert east["unmet"]["meal_help"] == {"label_zh": "助餐", "households": 2}
    assert set(east["unmet"]) == {"meal_help", "health_management", "after_school_care"}

    # A meal order in the same community, served: meal help there is no longer unmet.
    vol = (
        await m.ok(
            "POST", "/providers", {"kind": "volunteer", "name": "甲", "region": SAME_STREET}, 201
        )
    )["provider_id"]
    rid = (await m.place(service_type="助餐"))["request"]["request_id"]
    await m.ok("POST", f"/requests/{rid}/accept", {"provider_id": vol})
    await m.ok("POST", f"/requests/{rid}/finish", {"hours": 1})
    east = next(u for u in await m.ok("GET", "/needs/unmet") if u["community"] == COMMUNITY)
    assert "meal_help" not in east["unmet"]

    # Meal help keeps coming from 东关社区: 2 surveyed + 1 order → suggest a programme.
    suggestions = await m.ok("GET", "/programmes/suggestions?min_repeats=3")
    assert [(s["community"], s["service_type"]) for s in suggestions] == [(COMMUNITY, "meal_help")]
    await m.ok(
        "POST",
        "/programmes",
        {
            "title": "长者食堂",
            "community": COMMUNITY,
            "service_type": "助餐",
            "rrule": "FREQ=DAILY",
            "starts_on": str(datetime.now(UTC).date()),
        },
        201,
    )
    assert await m.ok("GET", "/programmes/suggestions?min_repeats=3") == []


async def test_a_needs_survey_below_a_title_is_read_and_one_without_its_columns_is_refused(
    sqlite_url: str, start_matching: Any
) -> None:
    m = await start_matching(sqlite_url)
    titled = "2025年永定路街道需求调查\n" + SURVEY
    resp = await m.client.post(
        "/imports/needs-survey", files={"file": ("需求调查.csv", titled.encode("utf-16"))}
    )
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["rows_read"] == 6 and report["recorded"] == 4
    rejected = {r["row"]: r for r in report["rejected"]}
    assert set(rejected) == {6, 7, 8}  # the title line counts: the clerk's row numbers
    assert rejected[7]["reason_zh"].startswith("服务对象：“老人”不在可选值中")
    assert rejected[8]["reason_zh"].startswith("服务需求：“理发”不是服务类型")

    no_needs = "区县,街道,社区,户号,服务对象\n安定区,永定路街道,东关社区,3-501,一老\n"
    resp = await m.client.post(
        "/imports/needs-survey", files={"file": ("需求调查.csv", no_needs.encode())}
    )
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["field"] == "file" and "needs (服务需求)" in error["message"]
    assert "缺少必填列“服务需求”" in error["message_zh"]


async def test_a_needs_survey_with_a_sheet_per_street_reads_every_sheet(
    sqlite_url: str, start_matching: Any
) -> None:
    m = await start_matching(sqlite_url)
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["每户一行"])
    east = book.create_sheet("永定路街道")
    east.append(["区县", "街道", "社区", "户号", "服务对象", "服务需求"])
    east.append(["安定区", "永定路街道", "东关社区", "3-501", "一老", "助餐"])
    west = book.create_sheet("中华路街道")  # the columns in another order
    west.append(["服务需求", "户号", "服务对象", "社区", "街道", "区县"])
    west.append(["课后托管", "8-1", "一小", "北街社区", "中华路街道", "安定区"])
    west.append(["理发", "8-2", "一残", "北街社区", "中华路街道", "安定区"])
    out = io.BytesIO()
    book.save(out)
    resp = await m.client.post(
        "/imports/needs-survey", files={"file": ("需求调查.xlsx", out.getvalue())}
    )
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert (report["rows_read"], report["recorded"]) == (3, 2)
    (bad,) = report["rejected"]
    assert (bad["sheet"], bad["row"], bad["field"]) == ("中华路街道", 3, "needs")


async def test_a_programme_meets_on_days_and_a_look_at_its_calendar_is_bounded(
    sqlite_url: str, start_matching: Any
) -> None:
    """Round 8: ``FREQ=DAILY;INTERVAL=0`` made dateutil loop for ever and one look at the
    programme's calendar (the console's programme page, or ``GET …/occurrences``) held
    matching's event loop for good; ``FREQ=SECONDLY`` asked for 31 million seconds a
    year, and a rule that never meets (30 February) searched day by day to the year 9999
    (18 s a look). Rules finer than a day are refused, naming ``rrule`` in both
    languages; a look at any calendar ends within one 400-year cycle."""
    m = await start_matching(sqlite_url)
    today = datetime.now(UTC).date()
    body = {"title": "x", "community": COMMUNITY, "service_type": "助餐"}
    for rule, starts_on in [
        ("FREQ=SECONDLY", today),
        ("FREQ=MINUTELY", today),
        ("FREQ=HOURLY", today),
        ("FREQ=DAILY;INTERVAL=0", today),
        ("FREQ=DAILY;BYHOUR=8,9,10", today),
        ("FREQ=YEARLY;BYEASTER=0", today),
        ("FREQ=DAILY", date(1900, 1, 1)),
    ]:
        resp = await m.client.post(
            "/programmes", json={**body, "rrule": rule, "starts_on": str(starts_on)}
        )
        assert resp.status_code == 422, (rule, resp.text)
        error = resp.json()["error"]
        assert error["field"] == "rrule" and "重复规则" in error["message_zh"], error
    assert await m.ok("GET", "/programmes") == []

    # A rule that never meets is refused too; one stored before is looked at in bounded
    # time (the occurrences' test below: one 400-year cycle at most, not to 9999).
    never = {**body, "rrule": "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "starts_on": str(today)}
    began = time.monotonic()
    resp = await m.client.post("/programmes", json=never)
    assert resp.status_code == 422 and "四年内" in resp.json()["error"]["message_zh"]
    assert time.monotonic() - began < 6  # 18 s of dateutil's search before, idle
    assert await m.ok("GET", "/programmes") == []


def test_occurrences_moved_by_whole_cycles_are_dateutils_own() -> None:
    """The bounded calendar gives the days dateutil gives, leap days, weekdays, ends,
    counts and every-other-week included — and a rule that never meets (stored before
    it was refused) is looked at within one cycle, not to the year 9999."""
    never = parse_rule("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", date(2026, 1, 1))
    began = time.monotonic()
    assert occurrences(never, date(2026, 1, 1), date(2026, 12, 31)) == []
    assert time.monotonic() - began < 6  # dateutil's own search: 16.6 s on the same machine
    rules = [
        "FREQ=DAILY",
        "FREQ=DAILY;INTERVAL=3",
        "FREQ=WEEKLY;BYDAY=SA",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=MONTHLY;BYMONTHDAY=29,31",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=DAILY;COUNT=40",
        "FREQ=WEEKLY;UNTIL=20280301;BYDAY=SU",
    ]
    for text in rules:
        for starts_on in (date(2000, 2, 29), date(2023, 11, 5), date(2026, 3, 1)):
            rule = parse_rule(text, starts_on)
            for start, end in [
                (date(2024, 1, 1), date(2024, 12, 31)),
                (date(2027, 6, 1), date(2028, 5, 31)),
                (date(2000, 2, 1), date(2000, 3, 31)),
            ]:
                direct = rule.between(
                    datetime.combine(start, datetime.min.time()),
                    datetime.combine(end, datetime.min.time()),
                    inc=True,
                )
                assert occurrences(rule, start, end) == [d.date() for d in direct], text


def test_a_stored_rule_finer_than_a_day_is_refused_when_read() -> None:
    """A programme stored before the check keeps its rule in its event: reading it is a
    422 naming ``rrule``, not a loop."""
    created = ProgrammeCreated(
        programme_id="p",
        title="x",
        community=COMMUNITY,
        service_type=ServiceType.MEAL_HELP,
        rrule="FREQ=DAILY;INTERVAL=0",
        starts_on=date(2026, 1, 1),
    )
    programme = Programme.rehydrate("p", [created])
    with pytest.raises(DomainError) as refused:
        programme.rule  # noqa: B018
    assert refused.value.field == "rrule"


async def test_a_household_keyed_by_a_phone_is_refused_row_by_row(
    sqlite_url: str, start_matching: Any
) -> None:
    """Round 8: a survey whose 户号 is the resident's phone (or ID number) put it onto
    ``matching.events`` and every department's needs register whole; the row is refused
    now, naming row and field in both languages, without quoting the number, and the
    other rows are kept."""
    m = await start_matching(sqlite_url)
    survey = (
        "区县,街道,社区,户号,服务对象,服务需求\n"
        "安定区,永定路街道,东关社区,13909310002,一老,助餐\n"
        "安定区,永定路街道,东关社区,139 0931 0003,一老,助餐\n"
        "安定区,永定路街道,东关社区,621126197501180351,一老,探访\n"
        "安定区,永定路街道,东关社区,3-501,一老,助餐\n"
    )
    files = {"file": ("需求调查.csv", survey.encode())}
    report = (await m.client.post("/imports/needs-survey", files=files)).json()
    assert report["recorded"] == 1
    assert [(r["row"], r["field"]) for r in report["rejected"]] == [
        (2, "household"),
        (3, "household"),
        (4, "household"),
    ]
    assert all("手机号或身份证号" in r["reason_zh"] for r in report["rejected"])
    stored = [e.model_dump_json() for e in await m.app.state.runtime.store.read_after(0, 10_000)]
    text = "\n".join([*stored, str(report)])
    for number in ("13909310002", "139 0931 0003", "621126197501180351"):
        assert number not in text


async def test_a_large_needs_survey_leaves_the_event_loop_free_between_chunks(
    sqlite_url: str, start_matching: Any
) -> None:
    """Round 9: a needs survey was stored in one transaction after reading every known
    need, and SQLite's statements run on the loop's thread — on ``shegong up`` a 10,000-row
    survey (any department key) held matching's ``/health`` 14 s, a 99,000-row one more
    than 5 minutes. Now its needs go in chunks with the loop free between them; the
    register is the same, and importing the file again adds nothing."""
    m = await start_matching(sqlite_url)

    def survey(building: int) -> dict[str, Any]:
        lines = ["区县,街道,社区,户号,服务对象,服务需求"] + [
            f"安定区,永定路街道,东关社区,{i}-{building},一老,助餐、探访、健康管理"
            for i in range(3000)
        ]
        return {"file": ("需求调查.csv", "\n".join(lines).encode())}

    # Two surveys, the better one judged: on a loaded machine another process (a browser
    # test beside this one) may take the core for a second (CI saw 1.09 s of 2.35 s once).
    stalls = []
    for building in (501, 502):
        longest, took, resp = await longest_stall(
            lambda b=building: m.client.post("/imports/needs-survey", files=survey(b)),
            tick=0.01,
        )
        assert resp.status_code == 200, resp.text[:300]
        assert resp.json()["recorded"] == 9000
        print(f"longest loop stall {longest:.2f} s of {took:.2f} s")
        stalls.append(longest / took)
    # Before: the loop stood still for the whole import (5.8 s of 6.2 s here).
    assert min(stalls) < 0.4, stalls
    files = survey(501)
    again = (await m.client.post("/imports/needs-survey", files=files)).json()
    assert again["recorded"] == 0 and again["already_known"] == 9000
    east = next(u for u in await m.ok("GET", "/needs/unmet") if u["community"] == COMMUNITY)
    assert east["unmet"]["meal_help"]["households"] == 6000
