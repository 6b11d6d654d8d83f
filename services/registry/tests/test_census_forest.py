"""The census announces a spanning forest of each person: a person of n records is n − 1
``RecordsLinked``, a link goes (``RecordsUnlinked``) only when it was announced, a person
that still holds after an announced link went gets a replacement, a clerk's decision
still wins, and the announced set is what the log says, through a rebuild too.

Whoever follows the log makes persons as the connected components of the announced links
(training's ``tr_links``, matching's ``mx_links``, :func:`log_components` here as they
do it): those components must be the census's persons."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from shegong.kernel.events.census_links import Components
from shegong.kernel.ops.db import create_engine, reading, writing
from shegong.kernel.ops.worker import ProjectionProcess
from shegong.registry.census.announce import announce_batch, fold_log
from shegong.registry.census.linkage import Decision, Link, Linker, Unlink
from shegong.registry.census.tables import announced, metadata
from shegong.registry.census.writes import write_pairs
from shegong.testkit.census_city import generate_city, roster_files

from .test_census import (
    census_events,
    import_roster,
    person_row,
    persons,
    resident_id,
    roster,
    settled,
)
from .test_linkage import ID_A, ID_B, rec

Pair = tuple[str, str]


def log_components(events: Iterable[dict[str, Any]]) -> dict[Pair, bool]:
    """The announced links as a consumer keeps them: pair → linked (the latest event)."""
    links: dict[Pair, bool] = {}
    for e in events:
        if e["type"] in ("RecordsLinked", "RecordsUnlinked"):
            a, b = sorted((e["data"]["a"], e["data"]["b"]))
            links[(a, b)] = e["type"] == "RecordsLinked"
    return links


def partition_of(links: dict[Pair, bool], keys: Iterable[str]) -> set[frozenset[str]]:
    parts = Components()
    for key in keys:
        parts.find(key)
    for (a, b), linked in links.items():
        if linked:
            parts.union(a, b)
    groups: dict[str, set[str]] = {}
    for key in list(parts.parent):
        groups.setdefault(parts.find(key), set()).add(key)
    return {frozenset(g) for g in groups.values()}


async def census_partition(client: httpx.AsyncClient) -> set[frozenset[str]]:
    return {frozenset(p["records"]) for p in await persons(client)}


def assert_forest(events: list[dict[str, Any]], census: set[frozenset[str]]) -> None:
    """The log's links are a spanning forest of the census's persons: their components
    are the persons, and there are exactly records − persons of them; every unlink undid
    a link announced before it."""
    links = log_components(events)
    keys = {k for p in census for k in p}
    assert partition_of(links, keys) == census
    assert sum(links.values()) == len(keys) - len(census)
    live: set[Pair] = set()
    for e in events:
        if e["type"] in ("RecordsLinked", "RecordsUnlinked"):
            pair = tuple(sorted((e["data"]["a"], e["data"]["b"])))
            if e["type"] == "RecordsLinked":
                live.add(pair)  # type: ignore[arg-type]
            else:
                assert pair in live, f"{pair} unlinked, never announced"
                live.discard(pair)  # type: ignore[arg-type]


async def clerk_same(client: httpx.AsyncClient, a: str, b: str, actor: str) -> list[dict[str, Any]]:
    """A clerk says ``a`` and ``b`` are one person; the census's events once it settled."""
    r = await client.post(
        "/census/review", json={"a": a, "b": b, "same": True}, headers={"X-Actor": actor}
    )
    assert r.status_code == 202, r.text
    await settled(client)
    return await census_events(client)


async def test_a_fresh_import_announces_records_minus_persons_links(city) -> None:
    c = city.client
    rows, truth = generate_city(80, ["civil-affairs", "hrss", "education", "health"], seed=5)
    for dept, data in roster_files(rows, truth).items():
        await import_roster(c, dept, data)
    await settled(c)
    census = await census_partition(c)
    assert max(map(len, census)) >= 3  # persons whose records a tree links in fewer links
    events = await census_events(c)
    linked = [e for e in events if e["type"] == "RecordsLinked"]
    assert not [e for e in events if e["type"] == "RecordsUnlinked"]
    records = sum(map(len, census))
    assert len(linked) == records - len(census)
    assert_forest(events, census)
    # The explanation still has every link the linker made, announced or not.
    biggest = max(await persons(c), key=lambda p: len(p["records"]))
    page = (await c.get(f"/census/persons/{biggest['person_id']}")).json()
    n = len(biggest["records"])
    assert len(page["links"]) >= n - 1
    announced_here = [e for e in linked if e["data"]["a"] in biggest["records"]]
    assert len(announced_here) == n - 1


CHEN = resident_id(date(1979, 4, 9), 51)


async def test_a_split_and_clerks_decisions_keep_the_log_a_forest_of_the_persons(city) -> None:
    c = city.client
    chen = {"姓名": "陈建国", "出生日期": "1979-04-09", "所属区县": "安定区"}
    await import_roster(
        c,
        "civil-affairs",
        roster(
            [
                person_row(记录编号="MZ1", 身份证号=CHEN, 手机号="13800000011", **chen),
                person_row(
                    记录编号="A1", 姓名="赵明远", 出生日期="1985-07-07", 工作单位="岷县社工协会"
                ),
            ]
        ),
    )
    await import_roster(
        c,
        "hrss",
        roster([person_row(记录编号="RS1", 身份证号=CHEN, 手机号="13800000012", **chen)]),
    )
    await import_roster(
        c,
        "education",
        roster(
            [
                person_row(记录编号="JY1", 手机号="13800000011", **chen),
                person_row(
                    记录编号="B1", 姓名="赵明", 出生日期="1985-07-07", 工作单位="漳县民政局"
                ),
            ]
        ),
    )
    await settled(c)
    census = await census_partition(c)
    trio = frozenset({"civil-affairs:MZ1", "hrss:RS1", "education:JY1"})
    assert trio in census
    assert_forest(await census_events(c), census)

    # A clerk joins two persons: the clerk's link is announced, as a clerk's.
    events = await clerk_same(c, "education:B1", "civil-affairs:A1", "clerk-wang")
    last = [e for e in events if e["type"] == "RecordsLinked"][-1]["data"]
    assert (last["a"], last["b"], last["rule"]) == ("civil-affairs:A1", "education:B1", "clerk")
    assert last["evidence"]["by"] == "clerk-wang"
    assert_forest(events, await census_partition(c))

    # A clerk's "same" inside a person already connected: no new link on the log, and the
    # person's page shows the clerk's link as before.
    before = len([e for e in events if e["type"] == "RecordsLinked"])
    events = await clerk_same(c, "civil-affairs:MZ1", "education:JY1", "clerk-li")
    linked = [e["data"] for e in events if e["type"] == "RecordsLinked"]
    assert len(linked) - before <= 1  # at most the announced pair, again as the clerk's
    assert all(d["rule"] == "clerk" for d in linked[before:])
    page = (await c.get("/census/persons/civil-affairs:MZ1")).json()
    clerk = [x for x in page["links"] if x["rule"] == "clerk"]
    assert [(x["a"], x["b"]) for x in clerk] == [("civil-affairs:MZ1", "education:JY1")]
    assert_forest(events, await census_partition(c))

    # The clerk changes their mind: "not the same" splits the person; only announced
    # links are undone, and the log's components are the persons again.
    r = await c.post(
        "/census/review",
        json={"a": "civil-affairs:MZ1", "b": "education:JY1", "same": False},
        headers={"X-Actor": "clerk-li"},
    )
    assert r.status_code == 202, r.text
    await settled(c)
    census = await census_partition(c)
    assert frozenset({"education:JY1"}) in census
    assert frozenset({"civil-affairs:MZ1", "hrss:RS1"}) in census
    events = await census_events(c)
    assert [e for e in events if e["type"] == "RecordsUnlinked"]
    assert_forest(events, census)


async def test_a_rebuild_gives_the_same_announced_links_folded_from_the_log(city) -> None:
    c = city.client
    rows, truth = generate_city(60, ["civil-affairs", "hrss", "education"], seed=3)
    for dept, data in roster_files(rows, truth).items():
        await import_roster(c, dept, data)
    await settled(c)
    engine = city.runtime.engine

    async def stored() -> set[tuple[str, str, str]]:
        async with reading(engine) as conn:
            return {tuple(r) for r in await conn.execute(select(announced))}  # type: ignore[misc]

    before = await stored()
    events = await census_events(c)
    links = log_components(events)
    assert {(a, b) for a, b, _ in before} == {p for p, linked in links.items() if linked}
    async with reading(engine) as conn:
        assert {(a, b, rule) for (a, b), rule in (await fold_log(conn)).items()} == before
    for job in city.runtime.jobs:
        if isinstance(job, ProjectionProcess):
            await job.stop()
            await job.wait_stopped()
    [runner] = [r for r in city.runtime.runners if r.name == "census"]
    await runner.rebuild()
    assert await stored() == before
    assert len(await census_events(c)) == len(events)


# --------------------------------------------------------------------------- the linker


class Census:
    """A linker and ``rm_census_announced`` on SQLite, batch by batch as the projection
    runs them; the events it would append, in order."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.linker = Linker()
        self.events: list[dict[str, Any]] = []

    async def batch(self, decisions: list[Decision]) -> list[Decision]:
        async with writing(self.engine) as conn:
            out, rows = await announce_batch(conn, self.linker, decisions, refold=False)
            await write_pairs(conn, announced, rows)
        for d in out:
            kind = "RecordsLinked" if isinstance(d, Link) else "RecordsUnlinked"
            if isinstance(d, Link | Unlink):
                self.events.append({"type": kind, "data": {"a": d.a, "b": d.b, "rule": d.rule}})
        return out

    def persons(self) -> set[frozenset[str]]:
        return {frozenset(keys) for keys in self.linker.persons().values()}


async def test_a_person_that_holds_when_its_announced_links_go_gets_a_replacement(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/census.db")
    async with writing(engine) as conn:
        await conn.run_sync(metadata.create_all)
    census = Census(engine)
    one = {"birth": date(1985, 6, 15), "phone": "13812345678", "community": "东关社区"}
    # Four records of one valid ID number: six links in the linker, three announced.
    for key in ("hrss:1", "jy:1", "mz:1", "ws:1"):
        await census.batch(census.linker.add(rec(key, "王建军", id_number=ID_A, **one)))
    (person,) = census.persons()
    assert len(person) == 4
    assert sum(len(census.linker.links(k)) for k in person) // 2 == 6
    assert_forest(census.events, census.persons())
    # A batch that repeats what the log holds announces nothing.
    assert await census.batch(census.linker.add(rec("xx:9", "李四", id_number=ID_B))) == []

    # The record every announced link went through is corrected to another ID number:
    # it leaves, its announced links go, and the three left get announced links anew.
    hub = max(
        person, key=lambda k: sum(k in (e["data"]["a"], e["data"]["b"]) for e in census.events)
    )
    moved = rec(hub, "王建军", id_number=ID_B, **one)
    out = await census.batch(census.linker.update(moved))
    assert {(d.a, d.b) for d in out if isinstance(d, Unlink)} <= {
        tuple(sorted((e["data"]["a"], e["data"]["b"]))) for e in census.events[:3]
    }
    assert person - {hub} in census.persons()
    assert_forest(census.events, census.persons())
    await engine.dispose()
