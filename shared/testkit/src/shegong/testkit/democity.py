"""A Dingxi-like city put into a running platform over HTTP only, for the report's tests
and its sample in ``docs/``: seven counties with urban population, 18 departments'
overlapping, messy rosters (the registry's synthetic city: ``generate_city``) whose hires
grow about half year on year, certificates, departures, the expert pool; a training year
(a city base and three practice bases, sessions of every kind, sign-in sheets, exam
results); and — when the year is this year, since orders are stamped when placed — residents'
orders taken, delivered and followed up.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import httpx

from shegong.kernel.data.identity import PersonalDataError, parse_resident_id
from shegong.registry.census.linkage import TRADITIONAL_TO_SIMPLIFIED
from shegong.testkit.census_city import RosterRow, generate_city, roster_files

__all__ = ["populate", "settle"]

# Urban residents per county for a city of 600 workers, scaled with its size (the city
# about meets 18 community workers per 10,000; some counties do, some do not).
POPULATION = {
    "安定区": 30000,
    "通渭县": 12000,
    "陇西县": 26000,
    "渭源县": 9000,
    "临洮县": 20000,
    "漳县": 6000,
    "岷县": 14000,
}
_LEVELS = ("助理社会工作师", "社会工作师", "高级社会工作师")


async def _ok(resp: Any) -> Any:
    response = await resp
    if response.is_error:
        raise RuntimeError(
            f"{response.request.method} {response.request.url}: "
            f"HTTP {response.status_code} {response.text[:300]}"
        )
    return response.json()


def _job(human: str, year: int, seed: int) -> dict[str, str]:
    """Post, hire, certificate and departure of a human: hires grow ~50 % a year."""
    rng = random.Random(f"{seed}:{human}")
    post = rng.choices(("社会工作岗位", "社区工作者", "其他"), weights=(0.5, 0.4, 0.1))[0]
    hired_year = rng.choices(range(year - 6, year + 1), weights=(3, 3, 4, 5, 7, 10, 16))[0]
    hired = date(hired_year, 1, 1) + timedelta(days=rng.randrange(365))
    hired = min(hired, date(year, 12, 20))
    job = {
        "岗位类别": post,
        "入职日期": hired.isoformat(),
        "证书等级": "",
        "取证日期": "",
        "离职日期": "",
    }
    if rng.random() < 0.36:
        certified = hired + timedelta(days=rng.randrange(60, 900))
        if certified <= date(year, 12, 31):
            level = rng.choices(_LEVELS, weights=(0.62, 0.37, 0.01))[0]
            job.update({"证书等级": level, "取证日期": certified.isoformat()})
    if rng.random() < 0.04:
        job["离职日期"] = (hired + timedelta(days=rng.randrange(200, 2000))).isoformat()
    return job


def _clean(row: RosterRow) -> str | None:
    """The row's ID number when it is valid and its name as a clerk would type it."""
    if not row.id_number or any(c in TRADITIONAL_TO_SIMPLIFIED or c.isspace() for c in row.name):
        return None
    try:
        return parse_resident_id(row.id_number).number
    except PersonalDataError:
        return None


def _rosters(
    rows: list[RosterRow], truth: dict[str, str], year: int, seed: int
) -> dict[str, bytes]:
    return roster_files(
        rows, truth, job=lambda human: _job(human, year, seed), extra_columns=("离职日期",)
    )


def _regions(rows: Iterable[RosterRow], scale: float) -> bytes:
    places = sorted(
        {
            (r.county, r.township, r.community)
            for r in rows
            if r.county and r.township and r.community
        }
    )
    lines = ["区县,乡镇街道,社区村,城镇常住人口"]
    lines += [f"{county},,,{round(pop * scale)}" for county, pop in POPULATION.items()]
    lines += sorted({f"{c},{t},," for c, t, _ in places})
    lines += [f"{c},{t},{m}," for c, t, m in places]
    return ("\n".join(lines) + "\n").encode()


async def settle(registry: httpx.AsyncClient, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while True:
        head = (await _ok(registry.get("/events", params={"after": 0, "limit": 1})))["head"]
        status = await _ok(registry.get("/census/status"))
        if max(status["as_of"]["positions"].values(), default=0) >= head:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the census did not catch up in {timeout:.0f}s")
        await asyncio.sleep(0.2)


async def _caught_up(training: httpx.AsyncClient, head: int, year: int) -> None:
    deadline = time.monotonic() + 300
    while True:
        got = await _ok(training.get("/indicators/training", params={"year": year}))
        if max(got["as_of"]["training_workforce"].values(), default=0) >= head:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("training did not learn the registry's workers in time")
        await asyncio.sleep(0.2)


async def _workforce(
    registry: httpx.AsyncClient, persons: int, year: int, seed: int
) -> list[tuple[str, str, dict[str, str]]]:
    rows, truth = generate_city(persons, seed=seed)
    await _ok(
        registry.post(
            "/imports/regions", files={"file": ("regions.csv", _regions(rows, persons / 600))}
        )
    )
    for dept, data in sorted(_rosters(rows, truth, year, seed).items()):
        await _ok(
            registry.post(
                "/imports/roster", files={"file": (f"{dept}.csv", data)}, data={"department": dept}
            )
        )
    await settle(registry)
    people: dict[str, tuple[str, str, dict[str, str]]] = {}
    for row in rows:
        number = _clean(row)
        if number and truth[row.key] not in people:
            people[truth[row.key]] = (row.name, number, _job(truth[row.key], year, seed))
    pool = ["姓名,身份证号,入库日期"]
    for name, number, job in people.values():
        if job["证书等级"] in _LEVELS[1:] and not job["离职日期"]:
            admitted = max(date.fromisoformat(job["取证日期"]), date(year, 3, 1))
            if admitted <= date(year, 12, 31):
                pool.append(f"{name},{number},{admitted}")
    await _ok(
        registry.post(
            "/imports/expert-pool", files={"file": ("专家库.csv", "\n".join(pool).encode())}
        )
    )
    await settle(registry)
    return [p for _, p in sorted(people.items())]


_SESSIONS = (  # kind, title, month, hours, base index
    ("岗前培训", "新入职社工岗前培训（第一期）", 3, 16, 0),
    ("岗前培训", "新入职社工岗前培训（第二期）", 7, 16, 0),
    ("岗前培训", "新入职社区工作者岗前培训", 10, 16, 0),
    ("骨干培养", "社区骨干重点培养计划", 4, 24, 0),
    ("骨干培养", "社工站站长能力提升班", 9, 24, 0),
    ("考前冲刺", "社会工作职业资格考前冲刺班", 5, 32, 0),
    ("考前冲刺", "助理社会工作师考前动员", 5, 16, 1),
    ("专题讲座", "“一老一小”服务专题讲座", 4, 4, 0),
    ("专题讲座", "社会工作伦理专题讲座", 6, 4, 0),
    ("专题讲座", "基层治理与“五社联动”讲座", 8, 4, 0),
    ("专题讲座", "儿童保护前沿研究讲座", 11, 4, 0),
    ("实践", "红叶社工中心“一老”实践", 5, 8, 1),
    ("实践", "润梓社工中心“一小”实践", 6, 8, 2),
    ("实践", "岷县社会工作协会“一困一残”实践", 7, 8, 3),
    ("实践", "社区养老服务跟岗实践", 8, 8, 1),
    ("实践", "困境儿童个案实践", 9, 8, 2),
    ("实践", "残疾人康复服务实践", 10, 8, 3),
)
_BASES = (
    ("定西市委党校社会工作人才培训基地", "培训基地", "市级", "安定区"),
    ("定西市红叶社会工作服务中心实践基地", "实践基地", "县级", "安定区"),
    ("临洮县润梓社会工作服务中心实践基地", "实践基地", "县级", "临洮县"),
    ("岷县社会工作协会实践基地", "实践基地", "县级", "岷县"),
)


async def _training(training: httpx.AsyncClient, people: list[Any], year: int, seed: int) -> None:
    rng = random.Random(seed)
    bases = []
    for name, kind, tier, region in _BASES:
        base_body = {"name": name, "kind": kind, "tier": tier, "region": region}
        bases.append((await _ok(training.post("/bases", json=base_body)))["base"]["base_id"])
    prep_attended: set[int] = set()
    for kind, title, month, hours, base in _SESSIONS:
        held = date(year, month, 10 + rng.randrange(15))
        body: dict[str, Any] = {
            "kind": kind,
            "title": title,
            "held_on": held.isoformat(),
            "hours": hours,
            "base_id": bases[base],
            "capacity": 500,
        }
        sid = (await _ok(training.post("/sessions", json=body)))["session"]["session_id"]
        if kind == "岗前培训":  # the year's new hires, hired before the session
            chosen = [
                i
                for i, p in enumerate(people)
                if p[2]["入职日期"] >= f"{year}-01-01"
                and p[2]["入职日期"] < held.isoformat()
                and rng.random() < 0.85
            ]
        else:
            chosen = rng.sample(range(len(people)), min(len(people), rng.randrange(20, 60)))
        if kind == "考前冲刺":
            prep_attended.update(chosen)
        sheet = ["姓名,身份证号,签到时间"]
        sheet += [f"{people[i][0]},{people[i][1]},{held} 09:00" for i in chosen]
        await _ok(
            training.post(
                f"/sessions/{sid}/signin-sheet",
                files={"file": ("签到表.csv", "\n".join(sheet).encode())},
            )
        )
        await _ok(training.post(f"/sessions/{sid}/complete"))
    exams = ["姓名,身份证号,考试年度,级别,是否通过"]
    for i in sorted(prep_attended):
        passed = "是" if rng.random() < 0.45 else "否"
        exams.append(f"{people[i][0]},{people[i][1]},{year},助理社会工作师,{passed}")
    await _ok(
        training.post(
            "/imports/exam-results", files={"file": ("考试成绩.csv", "\n".join(exams).encode())}
        )
    )


async def _services(
    matching: httpx.AsyncClient, communities: list[str], seed: int, orders: int = 40
) -> None:
    rng = random.Random(seed)
    deadline = time.monotonic() + 120
    while len(await _ok(matching.get("/providers"))) < 20:
        if time.monotonic() > deadline:
            raise RuntimeError("matching did not learn the registry's workers in time")
        await asyncio.sleep(0.3)
    for i, community in enumerate(rng.sample(communities, min(8, len(communities)))):
        team = {
            "kind": "志愿服务队",
            "name": f"社区志愿服务队{i + 1}",
            "supervised": True,
            "region": community.rsplit("/", 1)[0],
            "capacity": 10,
        }
        await _ok(matching.post("/providers", json=team))
    await _programmes(matching, communities, rng)
    kinds = (
        ("一老", "助餐"),
        ("一老", "健康管理"),
        ("一小", "课后托管"),
        ("一小", "亲子活动"),
        ("一困", "政策帮办"),
        ("一残", "探访"),
    )
    for _ in range(orders):
        group, service = rng.choice(kinds)
        placed = await _ok(
            matching.post(
                "/requests",
                json={
                    "community": rng.choice(communities),
                    "target_group": group,
                    "service_type": service,
                },
            )
        )
        rid, ranking = placed["request"]["request_id"], placed["ranking"]
        if not ranking or rng.random() < 0.1:
            continue  # nobody near, or nobody takes it: it escalates in its own time
        taker = rng.choice(ranking[:3])["provider_id"]
        await _ok(matching.post(f"/requests/{rid}/accept", json={"provider_id": taker}))
        if rng.random() < 0.85:
            await _ok(matching.post(f"/requests/{rid}/start", json={}))
            await _ok(
                matching.post(f"/requests/{rid}/finish", json={"hours": rng.choice((1, 1.5, 2, 3))})
            )
            if rng.random() < 0.8:
                await _ok(
                    matching.post(
                        f"/requests/{rid}/follow-up",
                        json={"satisfaction": rng.choice((4, 5, 5, 5, 3))},
                    )
                )


async def _programmes(matching: httpx.AsyncClient, communities: list[str], rng: Any) -> None:
    """Two standing programmes (常态化项目): 八段锦 every day and the drum team's Saturday
    rehearsal, residents checking in on past days (every third day for the 八段锦)."""
    today = date.today()
    start = today - timedelta(days=min(60, today.timetuple().tm_yday - 1))
    for title, service, rule in (
        ("八段锦每日打卡", "健康管理", "FREQ=DAILY"),
        ("社区非洲鼓队排练", "亲子活动", "FREQ=WEEKLY;BYDAY=SA"),
    ):
        body = {
            "title": title,
            "community": rng.choice(communities),
            "service_type": service,
            "rrule": rule,
            "starts_on": start.isoformat(),
        }
        pid = (await _ok(matching.post("/programmes", json=body)))["programme_id"]
        day = start
        while day < today:
            held = (day - start).days % 3 == 0 if rule == "FREQ=DAILY" else day.weekday() == 5
            for n in range(rng.randrange(3, 9) if held else 0):
                check_in = {"occurrence": day.isoformat(), "participant": f"居民{n + 1}"}
                await _ok(matching.post(f"/programmes/{pid}/check-ins", json=check_in))
            day += timedelta(days=1)


async def populate(
    registry: httpx.AsyncClient,
    training: httpx.AsyncClient,
    matching: httpx.AsyncClient | None,
    year: int,
    persons: int = 600,
    seed: int = 20,
) -> None:
    """Put the city into the platform (its services' clients). Orders only when ``year``
    is this year and a matching client is given."""
    people = await _workforce(registry, persons, year, seed)
    head = (await _ok(registry.get("/events", params={"after": 0, "limit": 1})))["head"]
    await _caught_up(training, head, year)
    await _training(training, people, year, seed)
    if matching is not None and year == date.today().year:
        regions = await _ok(registry.get("/regions"))
        communities = [r["code"] for r in regions if r["level"] == "community"]
        await _services(matching, communities, seed)
