"""Indicators computed from the data, and the hours ledger exported safely."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from shegong.matching.application.hours_export import safe_cell
from shegong.matching.application.indicators import percentile

from .conftest import COMMUNITY, OTHER_STREET


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 90) is None
    assert percentile([5.0], 90) == 5.0
    assert percentile([float(i) for i in range(1, 11)], 90) == 9.0
    assert percentile([float(i) for i in range(1, 11)], 50) == 5.0


def test_formula_cells_are_neutralised() -> None:
    for bad in ('=HYPERLINK("x")', "+1", "-2+3", "@SUM(A1)", "\tx"):
        assert safe_cell(bad).startswith("'")
    assert safe_cell("张伟") == "张伟" and safe_cell(None) == "" and safe_cell(1.5) == "1.5"


async def test_indicators_and_the_volunteer_record_export(
    sqlite_url: str, start_matching: Any
) -> None:
    m = await start_matching(sqlite_url, matching_offer_top=5)
    vol = (
        await m.ok(
            "POST",
            "/providers",
            {
                "kind": "volunteer",
                "name": "=cmd|' /C calc'!A0",
                "region": COMMUNITY,
                "organisation": "红十字志愿者协会",
            },
            201,
        )
    )["provider_id"]
    team = (
        await m.ok(
            "POST",
            "/providers",
            {
                "kind": "volunteer_team",
                "name": "社区非洲鼓队",
                "region": OTHER_STREET,
                "capacity": 5,
            },
            201,
        )
    )["provider_id"]
    a = (await m.place(service_type="助餐"))["request"]["request_id"]
    b = (await m.place(service_type="探访", target_group="一残"))["request"]["request_id"]
    c = (await m.place(service_type="助餐", community=OTHER_STREET))["request"]["request_id"]
    await m.place(service_type="康复")  # nobody has the skill: escalated at once
    await m.ok("POST", f"/requests/{a}/accept", {"provider_id": vol})
    await m.ok("POST", f"/requests/{b}/accept", {"provider_id": team})
    await m.ok("POST", f"/requests/{c}/accept", {"provider_id": team})
    await m.ok("POST", f"/requests/{a}/finish", {"hours": 2})
    await m.ok("POST", f"/requests/{b}/finish", {"hours": 1.5})
    await m.ok("POST", f"/requests/{a}/follow-up", {"satisfaction": 4})

    year = datetime.now(UTC).year
    r = await m.ok("GET", f"/indicators/services?year={year}")
    assert r["requests"] == 4
    assert r["by_service_type"]["meal_help"]["requests"] == 2
    assert r["by_service_type"]["rehabilitation"]["label_zh"] == "康复"
    assert r["by_target_group"]["disability"]["requests"] == 1
    assert r["acceptance_rate"] == 0.75
    assert r["time_to_accept_s"]["median"] is not None
    assert r["time_to_accept_s"]["p90"] >= r["time_to_accept_s"]["median"]
    assert r["escalation_rate"] == {"community": 0.25, "street": 0.0, "district": 0.0}
    assert r["completion_rate"] == 0.5
    assert r["follow_up_coverage"] == 0.5
    assert r["mean_satisfaction"] == 4.0
    assert r["hours"] == {
        "total": 3.5,
        "volunteer": 3.5,
        "by_provider_kind": {"volunteer": 2.0, "volunteer_team": 1.5},
    }
    assert r["as_of"]["positions"]["matching"] > 0
    # As of a day: today's figures are the year's so far; yesterday nothing was placed yet.
    today = datetime.now(UTC).date()
    now = await m.ok("GET", f"/indicators/services?year={year}&as_of={today}")
    assert {**now, "as_of_date": None} == {**r, "as_of_date": None}
    if today.timetuple().tm_yday > 1:
        before = await m.ok("GET", f"/indicators/services?year={year}&as_of={today - timedelta(1)}")
        assert (before["requests"], before["hours"]["total"], before["as_of_date"]) == (
            0, 0, str(today - timedelta(1)))  # fmt: skip
    wrong = await m.client.get(f"/indicators/services?year={year - 1}&as_of={today}")
    assert wrong.status_code == 422
    street = await m.ok("GET", f"/indicators/services?year={year}&region=安定区/中华路街道")
    assert street["requests"] == 1 and street["acceptance_rate"] == 1.0
    assert (await m.ok("GET", f"/indicators/services?year={year - 1}"))["requests"] == 0

    overdue = await m.ok("GET", "/requests/follow-ups/overdue")
    assert overdue == []  # due in 7 days

    resp = await m.client.get("/hours/export.csv")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(resp.text.lstrip("\ufeff"))))
    assert lines[0][1] == "姓名 person" and len(lines) == 3
    by_person = {line[1]: line for line in lines[1:]}
    injected = by_person["'=cmd|' /C calc'!A0"]
    assert injected[4] == "红十字志愿者协会" and injected[5] == "助餐"
    assert injected[9] == "2" and injected[10] == "满意度 4/5"
    assert (
        by_person["社区非洲鼓队"][3] == "社区非洲鼓队" and by_person["社区非洲鼓队"][10] == "待回访"
    )
    hours = await m.ok("GET", "/hours")
    assert hours["totals"]["team"] == {"社区非洲鼓队": 1.5}
