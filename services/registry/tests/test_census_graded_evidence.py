"""A link's evidence grades personal fields only for who may see both records' data.

Round 15: the census's limits bound how many phones (birth dates) a department may list
behind another department's person, but each linked pair's evidence graded the listed
guess against the hidden value — ``phone: exact`` / ``one slip`` / ``else``, ``birth_date:
exact`` / ``day/month swapped`` — on the person's page, in ``RecordsLinked`` on the feed
and in the review queue, and the pair's score (with ``match_weight`` and ``probability``)
gave the same grade back as a number. So ``hrss`` listing 陈建国 with a guessed phone and
birth date read which guess was right and how near the wrong ones were. A caller that may
not see the personal data of both records reads those comparisons as ``withheld`` and no
score; the administrator, the services and a department on a pair of its own records
read them as before.

Real components: the city's registry with the census, its keys file, real Redis and
SQLite, over HTTP.
"""

from __future__ import annotations

from typing import Any

import httpx

from shegong.kernel.testing import RoleKeys

from .conftest import StartNode, as_
from .test_census import import_roster, persons, roster, settled
from .test_census_oracle import TARGET_PHONE, city_with_chen

PERSONAL = ("id", "birth_date", "phone", "certificate")
TOTALS = ("match_weight", "probability")


def chens_link(person: dict[str, Any]) -> dict[str, Any]:
    [link] = [x for x in person["links"] if {x["a"], x["b"]} == {"civil-affairs:MZ-02", "hrss:G1"}]
    return link


async def chen_person(client: httpx.AsyncClient) -> dict[str, Any]:
    r = await client.get("/census/persons/civil-affairs:MZ-02")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def linked_events(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """The feed's links of ``hrss:G1`` (one page: the store is small, and an auditor's
    every read of the feed is itself recorded there)."""
    page = (await client.get("/events", params={"after": 0, "limit": 5000})).json()
    linked = [e["data"] for e in page["events"] if e["type"] == "RecordsLinked"]
    return [data for data in linked if "hrss:G1" in (data["a"], data["b"])]


def assert_withheld(link: dict[str, Any]) -> None:
    evidence = link["evidence"]
    for field in PERSONAL:
        assert evidence[field] == {"level": "withheld", "weight": None}, (field, evidence)
    for total in TOTALS:
        assert evidence[total] is None, (total, evidence)
    assert link["score"] is None
    assert evidence["name"]["level"] == "exact"  # what both sides show stays graded


async def test_a_departments_guess_behind_anothers_person_is_not_graded(
    start_node: StartNode, sqlite_url: str, keys: RoleKeys
) -> None:
    city = await city_with_chen(start_node, sqlite_url, keys)
    # hrss lists 陈建国 with a guessed phone and birth date: the right ones, as it turns out.
    guess = {"记录编号": "G1", "姓名": "陈建国", "性别": "男", "出生日期": "1975-01-18",
             "手机号": TARGET_PHONE, "工作单位": "岷县民政局", "所属区县": "岷县"}  # fmt: skip
    async with (
        as_(city, keys.hrss) as hrss,
        as_(city, keys.civil) as civil,
        as_(city, keys.auditor) as auditor,
        as_(city, keys.admin) as admin,
        as_(city, keys.service) as service,
    ):
        await import_roster(hrss, "hrss", roster([guess]))
        await settled(service)
        for caller in (hrss, civil, auditor):
            person = await chen_person(caller)
            assert_withheld(chens_link(person))
            [event] = await linked_events(caller)
            assert_withheld(event)
        # The administrator (who may read both numbers) reads the grades.
        link = chens_link(await chen_person(admin))
        assert link["evidence"]["phone"]["level"] == "exact"
        assert link["evidence"]["birth_date"]["level"] == "exact"
        assert link["score"] > 0.99
        [event] = await linked_events(admin)
        assert event["evidence"]["phone"]["level"] == "exact"


async def test_a_near_guess_is_not_graded_one_slip_for_another_department(
    start_node: StartNode, sqlite_url: str, keys: RoleKeys
) -> None:
    city = await city_with_chen(start_node, sqlite_url, keys)
    # A near guess (a phone one digit off): linked, or a pair the census asks a clerk
    # about — either way graded ``one slip`` where it may be seen.
    guess = {"记录编号": "G1", "姓名": "陈建国", "性别": "男", "出生日期": "1975-01-18",
             "手机号": TARGET_PHONE[:-1] + "3", "工作单位": "岷县民政局",
             "所属区县": "岷县"}  # fmt: skip
    async with (
        as_(city, keys.hrss) as hrss,
        as_(city, keys.admin) as admin,
        as_(city, keys.service) as service,
    ):
        await import_roster(hrss, "hrss", roster([guess]))
        await settled(service)
        pairs = (await admin.get("/census/review")).json()["pairs"]
        pairs += [link for p in await _persons_of(admin, "hrss:G1") for link in p["links"]]
        assert pairs, "the guess is neither queued nor linked"
        assert {p["evidence"]["phone"]["level"] for p in pairs} == {"one slip"}
        shown = (await hrss.get("/census/review")).json()["pairs"]
        shown += [link for p in await _persons_of(hrss, "hrss:G1") for link in p["links"]]
        assert len(shown) == len(pairs)
        for pair in shown:
            assert pair["evidence"]["phone"] == {"level": "withheld", "weight": None}
            assert pair["evidence"]["birth_date"] == {"level": "withheld", "weight": None}
            assert pair["score"] is None


async def _persons_of(client: httpx.AsyncClient, key: str) -> list[dict[str, Any]]:
    """The census person holding record ``key`` with another record (its page)."""
    found = [p for p in await persons(client) if key in p["records"]]
    pages = [(await client.get(f"/census/persons/{p['person_id']}")).json() for p in found]
    return [page for page in pages if len(page["records"]) > 1]


async def test_a_department_reads_the_grades_of_a_pair_of_its_own_records(
    start_node: StartNode, sqlite_url: str, keys: RoleKeys
) -> None:
    city = await city_with_chen(start_node, sqlite_url, keys)
    rows = [{"记录编号": f"W{n}", "姓名": "欧阳明远", "性别": "男", "出生日期": "1980-03-04",
             "手机号": "13800001111", "工作单位": "安定区民政局", "所属区县": "安定区"}
            for n in (1, 2)]  # fmt: skip
    async with as_(city, keys.hrss) as hrss, as_(city, keys.service) as service:
        await import_roster(hrss, "hrss", roster(rows))
        await settled(service)
        [person] = await _persons_of(hrss, "hrss:W1")
        [link] = person["links"]
        assert link["evidence"]["phone"]["level"] == "exact"
        assert link["score"] > 0.99
