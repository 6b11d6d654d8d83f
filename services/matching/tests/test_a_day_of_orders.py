"""What a day of unscripted orders found (issue 19): a hand assignment follows the offer
rules wherever the provider serves; each delivery carries its own rating in the hours
ledger; mean satisfaction counts every rating and follow-up coverage every delivery;
a programme occurrence is one programme on one day; a worker leaving next month is
active until then."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shegong.contracts.registry import WorkerLeft
from shegong.kernel.testing import eventually

from .conftest import COMMUNITY, Matching, Producer

ELSEWHERE = "临洮县/洮阳镇/城关社区"  # another district


async def register(m: Matching, name: str, region: str = COMMUNITY, **body: Any) -> str:
    body = {"kind": "volunteer", "name": name, "region": region, **body}
    return str((await m.ok("POST", "/providers", body, 201))["provider_id"])


async def test_a_hand_assignment_beyond_the_district_follows_the_offer_rules(
    database_url: str, start_matching: Any
) -> None:
    m = await start_matching(database_url)
    rehab = (await m.place(service_type="康复"))["request"]["request_id"]
    care = (await m.place(service_type="课后托管", target_group="一小"))["request"]["request_id"]

    unskilled = await register(m, "王志愿", ELSEWHERE)
    refused = await m.client.post(
        f"/requests/{rehab}/assign", json={"provider_id": unskilled, "staff": "district-clerk"}
    )
    assert refused.status_code == 409, refused.text
    assert "lacks skill" in refused.text and refused.json()["error"]["field"] == "provider_id"

    unsupervised = await register(m, "赵志愿", ELSEWHERE, skills=["after_school_care"])
    refused = await m.client.post(
        f"/requests/{care}/assign", json={"provider_id": unsupervised, "staff": "district-clerk"}
    )
    assert refused.status_code == 409 and "unsupervised" in refused.text

    skilled = await register(m, "钱康复", ELSEWHERE, skills=["康复"])
    assigned = await m.ok(
        "POST", f"/requests/{rehab}/assign", {"provider_id": skilled, "staff": "district-clerk"}
    )
    assert assigned["request"]["status"] == "accepted"
    assert assigned["request"]["provider_id"] == skilled
    for rid in (rehab, care):  # nothing was taken by the refused assignments
        assert (await m.request(rid))["provider_id"] in (None, skilled)
    listed = {p["provider_id"]: p for p in await m.ok("GET", "/providers")}
    assert listed[unskilled]["open_assignments"] == 0 and listed[skilled]["open_assignments"] == 1


def evaluations(text: str) -> dict[str, str]:
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    return {line[1]: line[10] for line in lines[1:]}


async def test_each_delivery_carries_its_own_rating_and_every_rating_counts(
    database_url: str, start_matching: Any
) -> None:
    m = await start_matching(database_url)
    first = await register(m, "甲")
    rid = (await m.place(service_type="meal_help"))["request"]["request_id"]
    await m.ok("POST", f"/requests/{rid}/accept", {"provider_id": first})
    await m.ok("POST", f"/requests/{rid}/finish", {"hours": 2})
    await m.ok("POST", f"/requests/{rid}/follow-up", {"satisfaction": 1, "reopen": True})
    row = await m.request(rid)
    assert row["followed_up_on"] is None and row["reopened"] == 1  # not for the next one

    second = await register(m, "乙")
    await m.ok("POST", f"/requests/{rid}/assign", {"provider_id": second, "staff": "clerk"})
    await m.ok("POST", f"/requests/{rid}/finish", {"hours": 1})
    # The re-delivery awaits its 回访: it shows no rating, the first keeps its own.
    ledger = {e["person"]: e for e in (await m.ok("GET", "/hours"))["entries"]}
    assert (ledger["甲"]["satisfaction"], ledger["乙"]["satisfaction"]) == (1, None)
    assert ledger["乙"]["followed_up_on"] is None
    assert evaluations((await m.client.get("/hours/export.csv")).text) == {
        "甲": "满意度 1/5",
        "乙": "待回访",
    }
    year = datetime.now(UTC).year
    figures = await m.ok("GET", f"/indicators/services?year={year}")
    assert figures["follow_up_coverage"] == 0.5  # two deliveries, one followed up
    assert figures["mean_satisfaction"] == 1.0

    await m.ok("POST", f"/requests/{rid}/follow-up", {"satisfaction": 5})
    ledger = {e["person"]: e for e in (await m.ok("GET", "/hours"))["entries"]}
    assert (ledger["甲"]["satisfaction"], ledger["乙"]["satisfaction"]) == (1, 5)
    assert evaluations((await m.client.get("/hours/export.csv")).text) == {
        "甲": "满意度 1/5",
        "乙": "满意度 5/5",
    }
    figures = await m.ok("GET", f"/indicators/services?year={year}")
    assert figures["follow_up_coverage"] == 1.0
    assert figures["mean_satisfaction"] == 3.0  # (1 + 5) / 2, as the providers' scores count
    assert figures["completed"] == 1 and figures["hours"]["total"] == 3.0
    states = {p["provider_id"]: p for p in await m.ok("GET", "/providers")}
    ratings = [
        (states[p]["satisfaction_sum"], states[p]["satisfaction_n"]) for p in (first, second)
    ]
    assert ratings == [(1, 1), (5, 1)]


async def test_two_programmes_on_one_day_are_two_occurrences(
    sqlite_url: str, start_matching: Any
) -> None:
    m = await start_matching(sqlite_url)
    today = datetime.now(UTC).date()
    made = []
    for title in ("八段锦", "社区非洲鼓队排练"):
        body = {
            "title": title,
            "community": COMMUNITY,
            "service_type": "健康管理",
            "rrule": "FREQ=DAILY",
            "starts_on": str(today - timedelta(days=3)),
        }
        made.append((await m.ok("POST", "/programmes", body, 201))["programme_id"])
    for pid in made:
        for who in ("张阿姨", "李大爷"):
            await m.ok(
                "POST",
                f"/programmes/{pid}/check-ins",
                {"occurrence": str(today), "participant": who},
            )
    await m.ok(
        "POST",
        f"/programmes/{made[0]}/check-ins",
        {"occurrence": str(today - timedelta(days=1)), "participant": "张阿姨"},
    )
    figures = await m.ok("GET", f"/indicators/services?year={today.year}")
    yesterday = int((today - timedelta(days=1)).year == today.year)  # not on 1 January
    assert figures["programme_attendance"] == {
        "check_ins": 4 + yesterday,
        "occurrences": 2 + yesterday,
        "programmes": 2,
    }


async def test_a_worker_leaving_next_month_is_active_until_then(
    database_url: str, start_matching: Any, producers: dict[str, Producer]
) -> None:
    m = await start_matching(database_url)
    registry = producers["registry"]
    today = datetime.now(UTC).date()
    leaving, gone = await registry.worker("李娜"), await registry.worker("王伟")
    for wid, day in ((leaving, today + timedelta(days=31)), (gone, today)):
        await registry.emit(wid, "worker", [WorkerLeft(worker_id=wid, left_on=day)])

    async def both_left() -> dict[str, dict[str, Any]] | None:
        listed = {p["provider_id"]: p for p in await m.ok("GET", "/providers")}
        ok = all(listed.get(w, {}).get("left_on") for w in (leaving, gone))
        return listed if ok else None

    listed = await eventually(both_left)
    assert listed is not None
    assert date.fromisoformat(listed[leaving]["left_on"]) > today
    assert listed[leaving]["active"] is True  # until the day they leave
    assert listed[gone]["active"] is False  # a departure today: no longer active
    # And the ranking agrees: the one leaving next month is offered the order.
    order = await m.place(service_type="meal_help")
    assert order["request"]["offered"] == [leaving]


async def test_the_migration_gives_each_past_delivery_its_own_rating(
    sqlite_url: str, start_matching: Any
) -> None:
    """matching_0004's backfill, from the event store, on a ledger written before it."""
    from sqlalchemy import update

    from shegong.kernel.ops.db import writing
    from shegong.matching.adapters.tables import hours_ledger, requests
    from shegong.matching.migrations.matching_0004_ledger_follow_up import _backfill

    m = await start_matching(sqlite_url)
    first, second = await register(m, "甲"), await register(m, "乙")
    rid = (await m.place(service_type="meal_help"))["request"]["request_id"]
    await m.ok("POST", f"/requests/{rid}/accept", {"provider_id": first})
    await m.ok("POST", f"/requests/{rid}/finish", {"hours": 2})
    await m.ok(
        "POST",
        f"/requests/{rid}/follow-up",
        {"satisfaction": 2, "reopen": True, "followed_up_on": "2026-03-02"},
    )
    await m.ok("POST", f"/requests/{rid}/assign", {"provider_id": second, "staff": "clerk"})
    await m.ok("POST", f"/requests/{rid}/finish", {"hours": 1})
    engine = m.app.state.runtime.engine
    async with writing(engine) as conn:  # as the tables were before matching_0004
        await conn.execute(update(hours_ledger).values(satisfaction=None, followed_up_on=None))
        await conn.execute(update(requests).values(followed_up_on=date(2026, 3, 2)))
        await conn.run_sync(_backfill)
    ledger = {e["person"]: e for e in (await m.ok("GET", "/hours"))["entries"]}
    assert (ledger["甲"]["satisfaction"], ledger["甲"]["followed_up_on"]) == (2, "2026-03-02")
    assert (ledger["乙"]["satisfaction"], ledger["乙"]["followed_up_on"]) == (None, None)
    assert (await m.request(rid))["followed_up_on"] is None
