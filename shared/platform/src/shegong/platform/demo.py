"""The scripted scenario ``shegong demo`` plays against a running platform.

It talks to the services only over HTTP and reads the bus with a plain Redis client,
the way a department's clerk and an outside integration would. It grows as the
platform does (census, training, matching).
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from redis import Redis
from rich.console import Console
from rich.table import Table
from stdnum.cn import ric

from shegong.contracts.registry import CertificateLevel, Post
from shegong.kernel.data.identity import normalize_phone, parse_resident_id
from shegong.platform.credentials import keys_file
from shegong.platform.demo_census import _ok, run_census_demo
from shegong.platform.demo_census import personal_data_used as census_personal_data_used
from shegong.platform.demo_matching import run_services_demo
from shegong.platform.demo_training import run_training_demo
from shegong.platform.launcher import Platform


def resident_id(region: str, birth: str, serial: str) -> str:
    """A valid 18-character resident ID (GB 11643 check character) for the script."""
    body = f"{region}{birth}{serial}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit


WORKERS: list[dict[str, Any]] = [
    {
        "record_id": "MZ-101",
        "name": "张 伟",
        "id_number": resident_id("621102", "19880312", "123"),
        "phone": "138 0931 2001",
        "department": "civil-affairs",
        "post": "社区工作者",
        "organization": "永定路街道东关社区",
        "org_type": "社区",
        "region": {"county": "安定区", "township": "永定路街道", "community": "东关社区"},
        "hired_on": "2024-03-01",
        "channel": "定向招聘",
    },
    {
        "record_id": "MZ-102",
        "name": "李娜",
        "id_number": resident_id("621102", "19920817", "246"),
        "phone": "+86 139-0932-2002",
        "department": "civil-affairs",
        "post": "社会工作岗位",
        "organization": "红叶社工服务中心",
        "org_type": "社会工作服务机构",
        "region": {"county": "安定区", "township": "中华路街道", "community": "西岩社区"},
        "hired_on": "2022-07-15",
    },
    {
        "record_id": "RS-101",
        "name": "王芳",
        "id_number": "621121850607242",
        "phone": "13709313003",
        "department": "hrss",
        "post": "社会工作岗位",
        "organization": "岷县社工协会",
        "org_type": "社会工作服务机构",
        "region": {"county": "岷县", "township": "岷阳镇", "community": "北关村"},
        "hired_on": "2021-05-10",
    },
    {
        "record_id": "RS-102",
        "name": "赵磊",
        "id_number": resident_id("621122", "19951120", "017"),
        "department": "hrss",
        "post": "社区工作者",
        "organization": "十里镇社工站",
        "org_type": "社工站",
        "region": {"county": "岷县", "township": "十里镇"},
        "hired_on": "2024-09-01",
    },
]


ROSTER_COLUMNS = (
    "记录编号,姓名,身份证号,性别,手机号,工作单位,单位类型,岗位类别,所属区县,乡镇街道,社区村,"
    "入职日期,证书等级,取证日期"
)
ROSTER_ROWS = [  # one typed with a wrong check character, one with a bad post and date
    (
        "TW-01",
        "孙 丽",
        resident_id("621102", "19990502", "128"),
        "女",
        "15809312001",
        "安定区青年志愿者协会",
        "其他",
        "社会工作岗位",
        "安定区",
        "永定路街道",
        "东关社区",
        "2023/9/1",
        "助理社会工作师",
        "2024年6月30日",
    ),
    (
        "TW-02",
        "周磊",
        resident_id("621102", "19970211", "219"),
        "男",
        "158-0931-2002",
        "安定区团委",
        "其他",
        "社区工作者",
        "安定区",
        "中华路街道",
        "西岩社区",
        "2024/3/1",
        "",
        "",
    ),
    (
        "TW-03",
        "吳 強",
        resident_id("621121", "19960715", "031")[:-1] + "0",
        "男",
        "",
        "岷县青少年服务中心",
        "社会工作服务机构",
        "社会工作岗位",
        "岷县",
        "岷阳镇",
        "北关村",
        "2022-05-20",
        "",
        "",
    ),
    (
        "TW-04",
        "郑好",
        "",
        "女",
        "",
        "岷县团委",
        "其他",
        "待定",  # no post named: kept, the value left out and named
        "岷县",
        "",
        "",
        "2024-02-30",
        "",
        "",
    ),
]
ROSTER = "\n".join([ROSTER_COLUMNS, *(",".join(r) for r in ROSTER_ROWS)]) + "\n"


def personal_data_used() -> list[str]:
    """Every raw ID number and phone the demo sends — what must never leave the registry's
    vault: not onto the bus, not into a log (the end-to-end tests scan for them)."""
    raw_ids = [w["id_number"] for w in WORKERS]
    raw_ids += [parse_resident_id(w["id_number"]).number for w in WORKERS]
    raw_ids += [r[2] for r in ROSTER_ROWS if r[2]]  # including the mistyped one
    phones = [
        normalize_phone(p)
        for p in [w.get("phone") for w in WORKERS] + [r[4] for r in ROSTER_ROWS]
        if p
    ]
    return sorted({*raw_ids, *phones, *census_personal_data_used(resident_id)})


def run_demo(platform: Platform, console: Console) -> None:
    registry = platform.service("registry").url
    # The platform's local admin key (a clerk's department key would do for its own records).
    http = httpx.Client(
        base_url=registry,
        timeout=30,
        headers={"Authorization": f"Bearer {platform.admin_key}"},
    )
    step = _Steps(console)

    step("Two departments register their workers (民政 civil-affairs, 人社 hrss)")
    ids: dict[str, str] = {}
    for worker in WORKERS:
        body = _ok(http.post("/workers", json=worker, headers={"X-Actor": "demo-clerk"}))["worker"]
        ids[body["name"]] = body["worker_id"]
        console.print(
            f"   registered {body['name']} ({worker['department']}), ID "
            f"{body['id_number_masked']}, phone {body.get('phone_masked') or '—'}"
        )
    console.print("   (王芳's old 15-digit ID number was converted to 18 digits)")

    step("A row with a mistyped ID number is refused, naming the field")
    bad = {**WORKERS[0], "name": "钱七", "id_number": WORKERS[0]["id_number"][:-1] + "0"}
    resp = http.post("/workers", json=bad)
    err = resp.json()["error"]
    console.print(
        f"   HTTP {resp.status_code}: {err['field']}: {err['message']} / {err['message_zh']}"
    )

    step("Certificates are recorded (取证): 李娜 社会工作师, 张伟 助理社会工作师")
    for name, level, number in (
        ("李娜", "社会工作师", "SW2024-0091"),
        ("张伟", "助理社会工作师", "ASW2024-1377"),
    ):
        _ok(
            http.post(
                f"/workers/{ids[name]}/certificates",
                json={"level": level, "certified_on": "2024-06-30", "certificate_no": number},
            )
        )
        console.print(f"   {name}: {level} ({number})")

    step("赵磊 leaves (离职)")
    _ok(
        http.post(
            f"/workers/{ids['赵磊']}/departure",
            json={"left_on": "2024-12-20", "reason": "考取公务员"},
        )
    )
    console.print("   recorded departure on 2024-12-20")

    step("团委 youth-league uploads its roster (CSV exported from Excel, in GBK)")
    roster = ROSTER.encode("gbk")
    reports = []
    for attempt in ("first upload", "same file again"):
        report = _ok(
            http.post(
                "/imports/roster",
                files={"file": ("团委花名册.csv", roster)},
                data={"department": "youth-league", "department_name": "团市委"},
            )
        )
        reports.append(report)
        created = " (new department created)" if report["department_created"] else ""
        console.print(
            f"   {attempt}{created}: rows {report['rows_read']} · new {report['new']} · "
            f"unchanged {report['unchanged']} · rejected {report['rejected_rows']} · "
            f"events {report['events']}"
        )
    for r in reports[0]["rejected"]:
        console.print(f"   row {r['row']} refused — {r['reason_zh']}")
    for w in reports[0]["warnings"]:
        console.print(f"   row {w['row']} kept — {_chinese(w['warning'])}")

    step("The city-wide read model, built from the stream, shows everyone")
    items = _wait_for(
        http,
        len(WORKERS) + reports[0]["new"],  # the roster's rows too, or the count races them
        lambda rows: (
            any(r["highest_certificate"] == "intermediate" for r in rows)
            and any(r["left_on"] for r in rows)
        ),
    )
    table = Table(
        "姓名",
        "部门 dept",
        "岗位 post",
        "区县",
        "社区村",
        "证书 certificate",
        "身份证号 (masked)",
        "离职 left",
    )
    for row in items:
        cert = row["highest_certificate"]
        table.add_row(
            row["name"],
            row["department"],
            Post(row["post"]).zh,
            row["county"] or "",
            row["community"] or "",
            CertificateLevel(cert).zh if cert else "—",
            row["id_number_masked"] or "—",
            str(row["left_on"] or ""),
        )
    console.print(table)
    active = http.get("/workers", params={"active_on": "2024-12-31"}).json()["total"]
    console.print(f"   active on 2024-12-31: {active} of {len(items)}")

    run_census_demo(http, console, step, resident_id)

    step("Access: a department changes only its own records; full personal data is audited")
    hrss_key = keys_file(platform.data_dir).issue(
        "department", name="hrss-clerk", department="hrss"
    )
    resp = httpx.patch(
        f"{registry}/workers/{ids['张伟']}",
        json={"organization": "人社局"},
        headers={"Authorization": f"Bearer {hrss_key}"},
    )
    console.print(
        f"   hrss's key on civil-affairs' 张伟: HTTP {resp.status_code} "
        f"{resp.json()['error']['message_zh']}"
    )
    full = _ok(http.get(f"/workers/{ids['张伟']}/personal-data", headers={"X-Actor": "demo"}))
    viewed = [
        e
        for e in _ok(http.get("/events", params={"after": 0, "limit": 5000}))["events"]
        if e["type"] == "PersonalDataViewed"
    ]
    shown = " and ".join(k for k in ("id_number", "phone") if full[k])
    console.print(
        f"   the city admin sees 张伟's {shown} in full; "
        f"recorded: PersonalDataViewed by {viewed[-1]['data']['viewer']}"
    )

    step("What an integration sees on Redis: plain entries, CloudEvents fields")
    assert platform.bus is not None
    stream = f"{platform.stream_prefix}registry.events"
    redis = Redis.from_url(platform.bus.url)
    entries: list[Any] = redis.xrange(stream)  # type: ignore[assignment]
    for _, fields in entries[:3]:
        f = {k.decode(): v.decode() for k, v in fields.items()}
        data = json.loads(f["data"])
        console.print(
            f"   {f['type']:<16} source={f['source']}  sequence={f['sequence']}  "
            f"name={data.get('name', '')}  id_number={data.get('id_number_masked', '')}"
        )
    console.print(f"   … {len(entries)} entries on '{stream}'")
    text = " ".join(v.decode(errors="replace") for _, fields in entries for v in fields.values())
    leaked = [i for i in personal_data_used() if i in text]
    if leaked:
        raise SystemExit(f"personal data leaked onto the bus: {leaked}")
    console.print("   [green]✓ no raw ID number or phone on the stream — only hashes and masks[/]")
    port = platform.bus.url.rsplit(":", 1)[1].split("/")[0]
    console.print(f"   see for yourself: redis-cli -p {port} XRANGE {stream} - +")
    console.print(f"   the pull feed: {registry}/events?after=0   AsyncAPI: {registry}/asyncapi")
    run_training_demo(platform, console, step, ids, WORKERS)
    run_services_demo(platform, console, step)
    step.done()


def _chinese(warning: str) -> str:
    """The Chinese half of a bilingual "field: reason / 字段：原因" (either half may itself
    hold " / ", e.g. a list of allowed values)."""
    pieces = warning.split(" / ")
    first = next((i for i, p in enumerate(pieces) if "：" in p), len(pieces) - 1)
    return " / ".join(pieces[first:])


def _wait_for(http: httpx.Client, total: int, ok: Any, timeout: float = 20.0) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        page = http.get("/workers", params={"limit": 100}).json()
        if page["total"] >= total and ok(page["items"]):
            return list(page["items"])
        if time.monotonic() > deadline:
            raise SystemExit(f"read model did not catch up in {timeout:.0f}s: {page['total']} rows")
        time.sleep(0.1)


class _Steps:
    def __init__(self, console: Console) -> None:
        self.console, self.n, self.started = console, 0, time.monotonic()

    def __call__(self, title: str) -> None:
        self.n += 1
        self.console.print(f"\n[bold cyan]{self.n}. {title}[/]")

    def done(self) -> None:
        self.console.print(
            f"\n[bold green]demo finished in {time.monotonic() - self.started:.1f}s[/]"
        )
