# ruff: noqa: E501  (roster lines are kept whole, as a department's CSV has them)
"""The census part of ``shegong demo``: a small city of departments with overlapping, messy
rosters — traditional characters, stray spaces, a mistyped ID number, an old 15-digit one, a
lower-case x, same-name strangers — imported, merged into persons, one pair decided by a
clerk, the expert pool admitted, and the workforce indicator table printed. HTTP only."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from shegong.platform.client import positions_text

LEVEL_ZH = {"assistant": "助理社会工作师", "intermediate": "社会工作师", "senior": "高级社会工作师"}

REGIONS = """区县,乡镇街道,社区村,城镇常住人口
安定区,,,210000
安定区,永定路街道,,52000
安定区,永定路街道,东关社区,9800
安定区,中华路街道,,48000
安定区,中华路街道,西岩社区,7600
岷县,,,96000
临洮县,,,120000
"""

COLUMNS = (
    "记录编号,姓名,身份证号,性别,出生日期,手机号,工作单位,单位类型,岗位类别,"
    "所属区县,乡镇街道,社区村,入职日期,证书等级,取证日期"
)


def census_rosters(rid: Callable[[str, str, str], str]) -> dict[str, list[str]]:
    """Department → roster lines. ``rid(region, birth, serial)`` makes a valid ID number."""
    ma = rid("621102", "19900412", "128")
    chen = rid("621126", "19750118", "035")
    yang = rid("621102", "19960301", "226")
    ma_typo = ma[:-1] + ("1" if ma[-1] != "1" else "2")
    chen_old = chen[:6] + chen[8:17]  # the 15-digit form of the same number
    return {
        "civil-affairs": [
            f"MZ-01,马晓燕,{ma},女,,13909310001,东关社区居委会,社区,社区工作者,安定区,永定路街道,东关社区,2021-03-01,,",
            f"MZ-02,陈建国,{chen},男,,13909310002,红叶社会工作服务中心,社会工作服务机构,社会工作岗位,岷县,岷阳镇,,2016-05-01,社会工作师,2019-06-30",
            "MZ-03,王伟,,男,,,安定区民政局,其他,社会工作岗位,安定区,中华路街道,,2024-04-01,,",
            f"MZ-04,杨 柳,{yang},女,,13909310004,永定路街道社工站,社工站,社会工作岗位,安定区,永定路街道,,2024-02-01,助理社会工作师,2024-09-20",
        ],
        "social-work": [
            # Traditional characters, a stray space, the number with a lower-case x kept as is.
            f"SG-01,馬 曉燕,{ma.lower()},女,,,東關社區居委會,社区,社区工作者,安定区,永定路街道,东关社区,2021-03-01,助理社会工作师,2023-06-30",
            "SG-02,刘思远,,男,1993-09-09,13909310006,岷县社工协会,社会工作服务机构,社会工作岗位,岷县,,,2022-08-01,,",
        ],
        "hrss": [
            # A mistyped ID number: found again through name, birth date and phone.
            f"RS-01,马晓燕,{ma_typo},女,1990-04-12,13909310001,东关社区,社区,社区工作者,安定区,永定路街道,东关社区,2021-03-01,,",
        ],
        "womens-federation": [
            f"FL-01,陈建国,{chen_old},男,,,红叶社工中心,社会工作服务机构,社会工作岗位,岷县,岷阳镇,,2016-05-01,,",
        ],
        "education": [
            # The same common name, a different human: never merged.
            "JY-01,王伟,,男,,,临洮县第一中学,学校,社会工作岗位,临洮县,洮阳镇,,2020-09-01,,",
            # 刘思 / 刘思远 born the same day, their own phones (not one slip apart), schools in other counties:
            # the model cannot settle it; a clerk checks and says they are two people.
            "JY-02,刘思,,男,1993-09-09,13893271546,临洮县第二中学,学校,社会工作岗位,临洮县,,,2023-09-01,,",
        ],
    }


def expert_ids(rid: Callable[[str, str, str], str]) -> tuple[str, str]:
    return rid("621126", "19750118", "035"), rid("621102", "19960301", "226")


def run_census_demo(
    http: httpx.Client, console: Console, step: Callable[[str], None], rid: Callable[..., str]
) -> list[str]:
    """Returns the raw ID numbers and phones it used (for the leak check)."""
    step("The region tree with urban population (城镇常住人口) is loaded")
    report = _ok(http.post("/imports/regions", files={"file": ("regions.csv", REGIONS.encode())}))
    console.print(f"   {report['nodes']} regions, {report['events']} events")

    step("Five departments send overlapping, messy rosters (应统尽统、不漏不重)")
    rosters = census_rosters(rid)
    for dept, lines in rosters.items():
        data = ("\n".join([COLUMNS, *lines]) + "\n").encode("utf-8-sig")
        r = _ok(
            http.post(
                "/imports/roster",
                files={"file": (f"{dept}.csv", data)},
                data={"department": dept},
                headers={"X-Actor": "demo-clerk"},
            )
        )
        console.print(
            f"   {dept:<18} rows {r['rows_read']} · new {r['new']} · rejected {r['rejected_rows']}"
        )
    records = sum(len(v) for v in rosters.values())
    status = _settle(http, records)

    step("The census links records into persons; each link is an event with its rule")
    persons = _ok(http.get("/census/persons", params={"limit": 100}))["persons"]
    table = Table("人员 person", "部门记录 department records", "证书 cert")
    for p in sorted(persons, key=lambda p: (sorted(p["records"])[0], p["name"])):
        cert = LEVEL_ZH.get(p["highest_certificate"], p["highest_certificate"] or "—")
        table.add_row(p["name"], " ".join(sorted(p["records"])), cert)
    console.print(table)
    console.print(
        f"   {status['records']} department records (these {records} and the ones above) → "
        f"{status['persons']} persons"
    )

    review = _ok(http.get("/census/review"))
    for pair in review["pairs"]:
        a, b = pair["a"], pair["b"]
        console.print(
            f"   review 待判定: {a['key']} {a['name']} ({a['organization']}) ⟷ {b['key']} "
            f"{b['name']} ({b['organization']}): {pair['reason']}"
        )
        _ok(
            http.post(
                "/census/review",
                json={"a": a["key"], "b": b["key"], "same": False, "note": "不同单位、电话核实"},
                headers={"X-Actor": "demo-clerk"},
            )
        )
        console.print("   a clerk decides: not the same person (it sticks through later imports)")
    if review["pairs"]:
        status = _settle(http, records, review=0)

    step("The expert pool (专家库) admits 社会工作师 and above, and says why not")
    chen, yang = expert_ids(rid)
    pool = f"姓名,身份证号,入库日期\n陈建国,{chen},2023-03-01\n杨柳,{yang},2024-12-01\n"
    r = _ok(http.post("/imports/expert-pool", files={"file": ("专家库.csv", pool.encode())}))
    console.print(f"   admitted {r['admitted']}")
    for rej in r["rejected"]:
        console.print(f"   row {rej['row']} refused — {rej['reason_zh']}")
    _settle(http, records, review=0)

    step("Workforce indicators 2024 (社会工作人才指标), computed from the merged census")
    console.print(
        _ok_text(http.get("/indicators/workforce", params={"year": 2024, "format": "table"})),
        markup=False,
        highlight=False,
    )
    figures = _ok(http.get("/indicators/workforce", params={"year": 2024}))
    rate = figures["conversion_rate"]
    if rate is not None:
        console.print(
            f"   持证转化率 = 本年新增持证 ÷ 本年新增专业人才 = {figures['newly_certified']} ÷ "
            f"{figures['new_professionals']} = {rate:.1%}: the conversion rate counts everyone "
            "certified in 2024, also those who joined before 2024, against those who joined "
            "in 2024 — so it can pass 100 %"
        )
    console.print(f"   as of event positions {positions_text(figures['as_of']['positions'])}")
    console.print(
        "   the same table from the command line, while a platform runs (shegong up, or "
        "shegong demo --keep): uv run shegong report workforce --year 2024"
    )
    return personal_data_used(rid)


def personal_data_used(rid: Callable[[str, str, str], str]) -> list[str]:
    """The raw ID numbers and phones this part of the demo sends (for the leak checks)."""
    found = [
        field
        for lines in census_rosters(rid).values()
        for line in lines
        for i, field in enumerate(line.split(","))
        if i in (2, 5) and field
    ]
    return [*found, *expert_ids(rid)]


def _settle(
    http: httpx.Client, records: int, review: int | None = None, timeout: float = 30
) -> dict[str, Any]:
    """Wait until the census has applied every event of the registry's store."""
    deadline = time.monotonic() + timeout
    # The head once: a read of the feed by a person's key is itself recorded (an access
    # record on the same store), so polling it would move the head each time.
    head = http.get("/events", params={"after": 0, "limit": 1}).json()["head"]
    while True:
        status = http.get("/census/status").json()
        applied = max(status["as_of"]["positions"].values(), default=0)
        if (
            applied >= head
            and status["records"] >= records
            and (review is None or status["in_review"] == review)
        ):
            return dict(status)
        if time.monotonic() > deadline:
            raise SystemExit(f"the census did not catch up in {timeout:.0f}s: {status}")
        time.sleep(0.1)


def _ok(resp: httpx.Response) -> Any:
    if resp.is_error:
        raise SystemExit(
            f"demo step failed: {resp.request.method} {resp.request.url} → "
            f"HTTP {resp.status_code}: {resp.text}"
        )
    return resp.json()


def _ok_text(resp: httpx.Response) -> str:
    if resp.is_error:
        raise SystemExit(f"demo step failed: {resp.request.url} → HTTP {resp.status_code}")
    return resp.text
