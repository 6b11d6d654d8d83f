"""The training part of ``shegong demo`` (培训—考核—晋升): bases and sessions, a full
session refusing one more, a sign-in sheet with a repeat and a stranger, an exam passed
in training — and the registry's certified count going up by itself, through events."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from stdnum.cn import ric

from shegong.platform.client import positions_text
from shegong.platform.launcher import Platform

# A valid ID number nobody registered: the sheet's stranger.
STRANGER = "62010219900101123" + ric.calc_check_digit("62010219900101123" + "0")


def run_training_demo(
    platform: Platform,
    console: Console,
    step: Callable[[str], None],
    ids: dict[str, str],
    workers: list[dict[str, Any]],
) -> None:
    auth = {"Authorization": f"Bearer {platform.admin_key}"}
    registry = httpx.Client(base_url=platform.service("registry").url, timeout=10, headers=auth)
    training = httpx.Client(base_url=platform.service("training").url, timeout=10, headers=auth)
    raw = {w["name"].replace(" ", ""): w for w in workers}
    zhang, li, wang = ids["张伟"], ids["李娜"], ids["王芳"]

    step("Training sees the workforce from the registry's events only (培训视角的人员库)")
    for name in ("张伟", "李娜", "王芳"):
        url = f"/workforce/{ids[name]}"
        seen = _until(lambda url=url: _get(training, url), f"{name} in training")  # type: ignore[misc]
        console.print(f"   {seen['name']}: {seen['organization']} · {seen['region']}")

    step("The training network: a city base and a practice base (培训基地 / 实践基地)")
    city = _ok(
        training.post(
            "/bases",
            json={
                "name": "定西市社会工作培训基地",
                "kind": "培训基地",
                "tier": "市级",
                "region": "安定区",
            },
        )
    )["base"]
    practice = _ok(
        training.post(
            "/bases",
            json={
                "name": "红叶社工中心实践基地",
                "kind": "实践基地",
                "tier": "县级",
                "region": "安定区",
            },
        )
    )["base"]
    console.print(f"   {city['name']} (市级) · {practice['name']} (县级)")

    step("Sessions are held; a full session refuses one more (名额已满)")
    prejob = _session(training, "岗前培训", "2025年新入职社工岗前培训", "2025-03-01", 16, city, 30)
    prep = _session(training, "考前冲刺", "社会工作师考前冲刺班", "2025-05-20", 24, city, 2)
    _session(training, "实践", "一老一小服务实践", "2025-06-10", 8, practice, 20)
    for worker_id in (zhang, wang):
        _ok(training.post(f"/sessions/{prep}/enrolments", json={"worker_id": worker_id}))
    refused = training.post(f"/sessions/{prep}/enrolments", json={"worker_id": li})
    console.print(f"   exam prep, capacity 2: 张伟 ✓ 王芳 ✓ 李娜 → HTTP {refused.status_code}:")
    console.print(f"   full: {refused.json()['error']['message'].split(' is full: ')[-1]}")

    step(
        "A sign-in sheet is imported (签到表, GBK CSV): a repeat counts once, a stranger "
        "is reported"
    )
    sheet = (
        "岗前培训签到表\n姓名,身份证号,手机号,签到时间\n"
        f"张伟,{raw['张伟']['id_number']},,2025-03-01 08:55\n"
        f"李娜,,{raw['李娜']['phone']},2025-03-01 09:01\n"
        f"张伟,,{raw['张伟']['phone']},2025-03-01 13:30\n"
        f"陌生人,{STRANGER},,2025-03-01 09:05\n"
    ).encode("gbk")
    report = _ok(
        training.post(f"/sessions/{prejob}/signin-sheet", files={"file": ("签到表.csv", sheet)})
    )
    console.print(
        f"   rows {report['rows_read']} · recorded {report['recorded']} · "
        f"counted once {len(report['repeated'])} · rejected {len(report['rejected'])}"
    )
    for r in report["repeated"]:
        console.print(f"   row {r['row']} {r['name']}: {r['reason_zh']}")
    for r in report["rejected"]:
        console.print(f"   row {r['row']} {r['name']}: {r['field']} — {r['reason_zh']}")
    prep_sheet = (
        "姓名,身份证号,签到时间\n"
        f"张伟,{raw['张伟']['id_number']},2025-05-20 08:50\n"
        f"王芳,{raw['王芳']['id_number']},2025-05-20 08:52\n"
    ).encode()
    _ok(training.post(f"/sessions/{prep}/signin-sheet", files={"file": ("prep.csv", prep_sheet)}))
    for sid in (prejob, prep):
        _ok(training.post(f"/sessions/{sid}/complete"))
    _ok(
        training.post(
            "/assessments",
            json={
                "worker_id": zhang,
                "period": "2024",
                "grade": "优秀",
                "assessed_on": "2025-01-10",
            },
        )
    )
    console.print("   both sessions completed (结业); 张伟's 2024 appraisal: 优秀")

    step("National exam results are imported in training; the registry certifies by itself")
    before = _certified(registry)
    console.print(f"   registry before: {before} workers hold 社会工作师 (intermediate)")
    exams = (
        "姓名,身份证号,考试年度,级别,是否通过,证书编号,取证日期\n"
        f"张伟,{raw['张伟']['id_number']},2025,社会工作师,是,SW2025-0312,2025-06-30\n"
        f"王芳,{raw['王芳']['id_number']},2025,社会工作师,否,,\n"
    ).encode("gbk")
    report = _ok(training.post("/imports/exam-results", files={"file": ("考试成绩.csv", exams)}))
    console.print(f"   exam results: rows {report['rows_read']} · recorded {report['recorded']}")
    after = _until(lambda: _certified(registry) if _certified(registry) > before else None, "cert")
    console.print(
        f"   [green]✓ registry after: {after} hold 社会工作师 — 张伟's certificate came from the "
        "exam result on training.events, nobody re-keyed it[/]"
    )

    step("The career ladder (三级进阶), rule by rule, from events")
    ladder = _ok(registry.get(f"/ladder/{zhang}"))
    table = Table("step 阶梯", "rule 条件", "met", "what 张伟 has")
    for s in ladder["steps"]:
        for r in s["rules"]:
            table.add_row(s["label_zh"], r["label_zh"], "✓" if r["met"] else "✗", r["detail"])
    console.print(table)
    for s in ladder["steps"]:
        console.print(
            f"   {s['label_zh']}: {'eligible 符合' if s['eligible'] else 'not yet 暂不符合'}"
        )

    step("Training indicators for 2025 (培训指标)")
    figures = _ok(training.get("/indicators/training", params={"year": 2025}))
    console.print(
        f"   sessions {figures['sessions']} · person-times {figures['person_times']} · trainees "
        f"{figures['trainees']} · hours {figures['hours']:g} · exam-prep pass rate "
        f"{figures['examprep_pass_rate']['numerator']}/{figures['examprep_pass_rate']['denominator']}"
    )
    console.print(f"   as of event positions {positions_text(figures['as_of'])}")


def _session(
    training: httpx.Client,
    kind: str,
    title: str,
    held_on: str,
    hours: float,
    base: dict[str, Any],
    capacity: int,
) -> str:
    body = {
        "kind": kind,
        "title": title,
        "held_on": held_on,
        "hours": hours,
        "base_id": base["base_id"],
        "capacity": capacity,
    }
    session = _ok(training.post("/sessions", json=body))["session"]
    return str(session["session_id"])


def _certified(registry: httpx.Client) -> int:
    page = registry.get("/workers", params={"certificate": "intermediate", "limit": 1}).json()
    return int(page["total"])


def _get(client: httpx.Client, url: str) -> Any:
    resp = client.get(url)
    return resp.json() if resp.status_code == 200 else None


def _until(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise SystemExit(f"demo: {what} did not happen within {timeout:.0f}s")
        time.sleep(0.2)


def _ok(resp: httpx.Response) -> Any:
    if resp.is_error:
        raise SystemExit(
            f"demo step failed: {resp.request.method} {resp.request.url} → "
            f"HTTP {resp.status_code}: {resp.text}"
        )
    return resp.json()
