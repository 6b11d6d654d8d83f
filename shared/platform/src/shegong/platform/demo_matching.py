"""The matching part of ``shegong demo`` (居民点单、社工接单、社区响应): providers learned from
the registry's stream and volunteers joining, orders ranked and offered, one escalated
to the community, delivered with hours and followed up — and no resident's phone or
address on the bus."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from redis import Redis
from rich.console import Console

from shegong.platform.demo_census import _ok
from shegong.platform.launcher import Platform


def run_services_demo(platform: Platform, console: Console, step: Callable[[str], None]) -> None:
    """居民点单、社工接单、社区响应: orders placed, taken, one escalated, delivered, followed up."""
    http = httpx.Client(
        base_url=platform.service("matching").url,
        timeout=10,
        headers={"Authorization": f"Bearer {platform.admin_key}"},
    )
    east = "安定区/永定路街道/东关社区"
    west = "安定区/中华路街道/西岩社区"  # where the volunteer lives: the meal order is there

    step("Matching learns the workers from the registry's stream; volunteers join")
    providers = _wait_for_providers(http, {"张伟", "李娜"})
    by_name = {p["name"]: p for p in providers}
    for name in ("张伟", "李娜"):
        rank = by_name[name]["certificate_rank"]
        console.print(
            f"   {name}: social worker, {by_name[name]['region']}, certificate rank {rank}"
        )
    volunteer = _ok(
        http.post(
            "/providers",
            json={"kind": "志愿者", "name": "小王", "region": west, "capacity": 2},
        )
    )
    team = _ok(
        http.post(
            "/providers",
            json={
                "kind": "志愿服务队",
                "name": "红色文化服务队",
                "region": "安定区/永定路街道",
                "supervised": True,
                "capacity": 5,
            },
        )
    )
    console.print("   volunteer 小王 and the team 红色文化服务队 (supervised) joined")

    step("Residents order (点单); the best candidates are offered; 接单")
    psych = _ok(
        http.post(
            "/requests",
            json={
                "community": east,
                "target_group": "一老",
                "service_type": "心理支持",
                "notes": "独居老人，情绪低落",
                "resident_phone": "138 0931 8801",
                "resident_address": "永定路12号3单元501",
            },
        )
    )
    names = _Names(platform)
    psych_offers = _offers(psych["ranking"], names)
    best = psych_offers[0]
    console.print(
        f"   心理支持 for 一老 (needs 助理社会工作师; volunteers excluded): offered to "
        f"{_listed(psych_offers)}"
    )
    console.print(f"   {best['name']}'s score {best['score']:g} of 100: {_parts(best['parts'])}")
    meal = _ok(
        http.post(
            "/requests",
            json={"community": west, "target_group": "一老", "service_type": "助餐"},
        )
    )
    meal_offers = _offers(meal["ranking"], names)
    console.print(f"   助餐 for 一老: offered to {_listed(meal_offers)}")
    offered = {r["provider_id"]: r["name"] for r in meal_offers}
    # The volunteer takes the meal order when it was offered to them (the ranking may put
    # nearer or less loaded workers first); otherwise the best other candidate does.
    taker = (
        volunteer["provider_id"]
        if volunteer["provider_id"] in offered
        else next(p for p in offered if p != best["provider_id"])
    )
    orders = [
        (psych["request"]["request_id"], best["provider_id"], best["name"], 1.5, 5),
        (meal["request"]["request_id"], taker, offered[taker], 2.0, 4),
    ]
    for (rid, provider_id, name, _, _), what in zip(orders, ("心理支持", "助餐"), strict=True):
        _ok(http.post(f"/requests/{rid}/accept", json={"provider_id": provider_id}))
        console.print(f"   {name} took the {what} order (接单)")

    step("An order nobody takes escalates to the community (社区响应), which assigns it")
    visit = _ok(
        http.post(
            "/requests",
            json={
                "community": east,
                "target_group": "一残",
                "service_type": "探访",
                "accept_within_s": 2,
            },
        )
    )
    vid = visit["request"]["request_id"]
    console.print(f"   探访 for 一残: offered to {len(visit['ranking'])}, acceptance due in 2 s")
    deadline = time.monotonic() + 20
    while (row := _ok(http.get(f"/requests/{vid}")))["level"] is None:
        if time.monotonic() > deadline:
            raise SystemExit("the order did not escalate in time")
        time.sleep(0.2)
    console.print(f"   nobody accepted: escalated to the {row['level']} (社区) on time")
    _ok(
        http.post(
            f"/requests/{vid}/assign",
            json={"provider_id": team["provider_id"], "staff": "东关社区-网格员"},
        )
    )
    console.print("   community staff assigned it by hand to 红色文化服务队")
    orders.append((vid, team["provider_id"], "红色文化服务队", 3.0, 5))

    step("Delivered with hours, followed up (回访) with satisfaction")
    for rid, _, name, hours, satisfaction in orders:
        _ok(http.post(f"/requests/{rid}/start", json={}))
        _ok(http.post(f"/requests/{rid}/finish", json={"hours": hours}))
        _ok(
            http.post(
                f"/requests/{rid}/follow-up",
                json={"satisfaction": satisfaction, "notes": "回访：服务到位"},
            )
        )
        console.print(f"   {name}: {hours:g} h delivered, satisfaction {satisfaction}/5")

    step("Service indicators (GET /indicators/services) and the hours ledger")
    report = _ok(http.get("/indicators/services", params={"year": time.gmtime().tm_year}))
    console.print(
        f"   requests {report['requests']} · acceptance {report['acceptance_rate']:.0%} · "
        f"escalated to community {report['escalation_rate']['community']:.0%} · "
        f"completion {report['completion_rate']:.0%} · follow-up "
        f"{report['follow_up_coverage']:.0%} · satisfaction {report['mean_satisfaction']} · "
        f"volunteer hours {report['hours']['volunteer']:g} of {report['hours']['total']:g}"
    )
    csv_text = http.get("/hours/export.csv").text.lstrip("\ufeff").splitlines()
    console.print(f"   {len(csv_text) - 1} volunteer service records: {csv_text[0]}")
    assert platform.bus is not None
    stream = f"{platform.stream_prefix}matching.events"
    entries: list[Any] = Redis.from_url(platform.bus.url).xrange(stream)  # type: ignore[assignment]
    text = " ".join(v.decode(errors="replace") for _, f in entries for v in f.values())
    if "13809318801" in text or "12号3单元" in text:
        raise SystemExit("a resident's phone or address leaked onto the bus")
    console.print(
        f"   [green]✓ {len(entries)} events on '{stream}', no resident phone or address[/]"
    )


class _Names:
    """A provider's name as the census spells the person: one spelling per person (a worker
    offered through a traditional-character record is still 马晓燕)."""

    def __init__(self, platform: Platform) -> None:
        self.registry = httpx.Client(
            base_url=platform.service("registry").url,
            timeout=10,
            headers={"Authorization": f"Bearer {platform.admin_key}"},
        )
        persons = _ok(self.registry.get("/census/persons", params={"limit": 500}))["persons"]
        self.by_record = {record: p["name"] for p in persons for record in p["records"]}

    def __call__(self, offer: dict[str, Any]) -> str:
        resp = self.registry.get(f"/workers/{offer['provider_id']}")
        if resp.status_code != 200:  # a volunteer, a team: matching's own
            return str(offer["name"])
        worker = resp.json()
        key = f"{worker['department']}:{worker.get('record_id') or worker['worker_id']}"
        return self.by_record.get(key, str(offer["name"]))


def _offers(ranking: list[dict[str, Any]], names: _Names) -> list[dict[str, Any]]:
    """The offered candidates under their census names, best first; equal scores in name
    order (the service breaks ties by provider id, a random UUID: the same offers are shown
    the same way on every run)."""
    shown = [{**r, "name": names(r)} for r in ranking]
    return sorted(shown, key=lambda r: (-r["score"], r["name"]))


def _listed(offers: list[dict[str, Any]]) -> str:
    return "、".join(f"{r['name']} ({r['score']:g})" for r in offers)


PARTS_ZH = {
    "proximity": "就近 proximity",
    "load": "空闲 free capacity",
    "training": "近期培训 training",
    "satisfaction": "满意度 satisfaction",
    "fairness": "公平 fairness",
}


def _parts(parts: dict[str, float]) -> str:
    return " · ".join(f"{PARTS_ZH.get(k, k)} {v:g}" for k, v in parts.items())


def _wait_for_providers(
    http: httpx.Client, names: set[str], timeout: float = 20.0
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        rows = _ok(http.get("/providers"))
        seen = {r["name"] for r in rows if r.get("certificate_rank")}
        if names <= seen:
            return list(rows)
        if time.monotonic() > deadline:
            raise SystemExit(f"matching did not learn the workers in {timeout:.0f}s: {seen}")
        time.sleep(0.2)
