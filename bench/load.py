"""Sustained load against the whole platform, the way it runs on a newcomer's machine.

    uv run python bench/load.py [--seconds 60] [--clients 8] [--data-dir DIR]
        [--redis-url URL] [--database-url postgresql://…/{service}] [--py-spy PREFIX]

Starts every service with the launcher ``shegong up`` uses (SQLite and its own Redis by
default), then for ``--seconds`` drives a realistic mix from ``--clients`` concurrent clients:

* roster imports (a department's file of 50 rows, every 20th operation),
* worker registrations and profile updates (registry),
* orders placed, taken (接单), delivered and followed up (回访) (matching),
* training sessions scheduled, workers enrolled (报名) and signed in (签到) (training),
* census and indicator reads.

Printed: per operation, count, throughput, p50/p99 latency; overall sustained throughput; the
consumer lag and pending count of every consumer group when the load stops, and how long the
lag took to return to zero (it must). The baseline in the same run is ``GET /health`` through
the same clients (what HTTP alone costs on this machine).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import itertools
import os
import random
import signal
import statistics
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import httpx
from bench_shared import start_sampler
from proc_cpu import children, cpu_s
from redis.asyncio import Redis

from shegong.platform.launcher import Platform

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
COMMUNITY = "安定区/永定路街道/东关社区"
_serial = itertools.count(1)


def resident_id(n: int) -> str:
    body = f"621102{date(1960, 1, 1) + timedelta(days=n % 20000):%Y%m%d}{n % 1000:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def roster(department: str, rows: int) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["记录编号", "姓名", "身份证号", "工作单位", "岗位类别", "所属区县", "入职日期"])
    for _ in range(rows):
        n = next(_serial)
        w.writerow([f"L{n}", f"负载{n}", resident_id(10_000 + n), "红叶社会工作服务中心",
                    "社会工作岗位", "安定区", "2024-01-01"])  # fmt: skip
    return out.getvalue().encode("utf-8-sig")


class Recorder:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)

    async def time(self, name: str, call: asyncio.Future | object) -> httpx.Response | None:
        start = time.perf_counter()
        try:
            response: httpx.Response = await call  # type: ignore[misc]
        except httpx.HTTPError:
            self.errors[name] += 1
            return None
        self.latency[name].append(time.perf_counter() - start)
        if response.is_error:
            self.errors[name] += 1
        return response


async def client_loop(
    n: int, urls: tuple[str, str, str, str], until: float, rec: Recorder, baseline: bool
) -> None:
    rng = random.Random(n)
    registry, matching, training, key = urls
    auth = {"Authorization": f"Bearer {key}"} if key else {}
    async with (
        httpx.AsyncClient(base_url=registry, timeout=60, headers=auth) as reg,
        httpx.AsyncClient(base_url=matching, timeout=60, headers=auth) as mat,
        httpx.AsyncClient(base_url=training, timeout=60, headers=auth) as trn,
    ):
        if baseline:
            while time.monotonic() < until:
                await rec.time("GET /health (baseline)", reg.get("/health"))
            return
        workers: list[str] = []
        providers: list[str] = []
        sessions = Sessions(n)
        for step in itertools.count():
            if time.monotonic() >= until:
                return
            kind = step % 20
            if kind == 0:
                dept = rng.choice(("civil-affairs", "hrss", "education"))
                await rec.time(
                    "import roster (50 rows)",
                    reg.post(
                        "/imports/roster",
                        files={"file": (f"{dept}.csv", roster(dept, 50))},
                        data={"department": dept},
                    ),
                )
            elif kind in (1, 2, 3):
                s = next(_serial)
                r = await rec.time(
                    "POST /workers",
                    reg.post(
                        "/workers",
                        json={
                            "name": f"工作者{s}",
                            "id_number": resident_id(s),
                            "department": "civil-affairs",
                            "organization": "东关社区居委会",
                            "post": "社区工作者",
                            "region": {"county": "安定区", "township": "永定路街道"},
                            "hired_on": "2024-03-01",
                        },
                    ),
                )  # fmt: skip
                if r is not None and r.status_code == 201:
                    workers.append(r.json()["worker"]["worker_id"])
            elif kind == 4 and workers:
                await rec.time(
                    "PATCH /workers/{id}",
                    reg.patch(f"/workers/{rng.choice(workers)}", json={"organization": "东关社区"}),
                )
            elif kind == 5 and len(providers) < 5:
                r = await rec.time(
                    "POST /providers",
                    mat.post(
                        "/providers",
                        json={"kind": "志愿者", "name": f"志愿者{n}-{step}", "region": COMMUNITY,
                              "capacity": 50},
                    ),
                )  # fmt: skip
                if r is not None and r.status_code in (200, 201):
                    providers.append(r.json()["provider_id"])
            elif kind in (6, 7, 8, 9) and providers:
                await order_cycle(mat, rng, providers, rec)
            elif kind in (10, 11):
                await rec.time(
                    "GET /census/persons", reg.get("/census/persons", params={"limit": 20})
                )
            elif kind in (13, 14) and len(workers) > 4:
                # Workers registered a while ago: training has heard of them by now.
                await sessions.sign_in(trn, rng.choice(workers[: len(workers) // 2]), rec)
            elif kind == 12:
                await rec.time(
                    "GET /indicators/workforce",
                    reg.get("/indicators/workforce", params={"year": 2024}),
                )
            else:
                await rec.time("GET /workers", reg.get("/workers", params={"limit": 20}))


class Sessions:
    """One client's training: a base, and a new session every 25 sign-ins (a real session
    is a few dozen people; its aggregate is replayed on each command)."""

    def __init__(self, n: int) -> None:
        self.n, self.base, self.session, self.seats = n, "", "", 0

    async def sign_in(self, trn: httpx.AsyncClient, worker: str, rec: Recorder) -> None:
        if not self.base:
            r = await rec.time(
                "POST /bases",
                trn.post("/bases", json={"name": f"负载培训基地{self.n}", "kind": "培训基地",
                                         "tier": "县级", "region": "安定区"}),
            )  # fmt: skip
            if r is None or r.is_error:
                return
            self.base = r.json()["base"]["base_id"]
        if not self.session or self.seats >= 25:
            r = await rec.time(
                "POST /sessions (排课)",
                trn.post("/sessions", json={"kind": "岗前培训", "title": "岗前培训（负载）",
                                            "held_on": date.today().isoformat(), "hours": 8,
                                            "base_id": self.base}),
            )  # fmt: skip
            if r is None or r.is_error:
                return
            self.session, self.seats = r.json()["session"]["session_id"], 0
        path = f"/sessions/{self.session}"
        r = await rec.time(
            "POST enrol (报名)", trn.post(f"{path}/enrolments", json={"worker_id": worker})
        )
        if r is None or r.is_error:
            return
        self.seats += 1
        await rec.time(
            "POST sign-in (签到)", trn.post(f"{path}/attendance", json={"worker_id": worker})
        )


async def order_cycle(
    mat: httpx.AsyncClient, rng: random.Random, providers: list[str], rec: Recorder
) -> None:
    r = await rec.time(
        "POST /requests (点单)",
        mat.post(
            "/requests",
            json={"community": COMMUNITY, "target_group": "一老", "service_type": "助餐"},
        ),
    )
    if r is None or r.is_error:
        return
    body = r.json()
    rid = body["request"]["request_id"]
    ranking = [c["provider_id"] for c in body.get("ranking", [])]
    if not ranking:
        return
    provider = rng.choice(ranking[:3])
    for name, path, body in (
        ("POST accept (接单)", "accept", {"provider_id": provider}),
        ("POST start", "start", {}),
        ("POST finish", "finish", {"hours": 1.5}),
        ("POST follow-up (回访)", "follow-up", {"satisfaction": rng.randint(3, 5)}),
    ):
        r = await rec.time(name, mat.post(f"/requests/{rid}/{path}", json=body))
        if r is None or r.is_error:
            return


async def group_lag(redis: Redis, prefix: str) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    async for key in redis.scan_iter(match=f"{prefix}*.events"):
        stream = key.decode()
        for g in await redis.xinfo_groups(stream):
            name = g["name"].decode() if isinstance(g["name"], bytes) else g["name"]
            out[f"{stream} {name}"] = (int(g.get("lag") or 0), int(g["pending"]))
    return out


def platform_cpu_s(platform: Platform) -> float:
    """User + system CPU seconds of every process the platform started and their children
    (a service's worker processes), so far (Linux; 0 elsewhere)."""
    started = [*platform.hosts, *platform.services]
    ours = {p.process.pid for p in started if p.process is not None}
    return sum(cpu_s(pid) or 0.0 for pid in ours | children(ours))


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 2 else values[0]


async def drive(args: argparse.Namespace, platform: Platform) -> None:
    urls = (
        platform.service("registry").url,
        platform.service("matching").url,
        platform.service("training").url,
        getattr(platform, "admin_key", "") or "",
    )
    rec = Recorder()
    until = time.monotonic() + 5
    cpu_at = platform_cpu_s(platform)
    await asyncio.gather(*(client_loop(i, urls, until, rec, True) for i in range(args.clients)))
    base = rec.latency.pop("GET /health (baseline)")
    base_rate = len(base) / 5
    base_cpu = (platform_cpu_s(platform) - cpu_at) / len(base)

    rec = Recorder()
    samplers = [
        start_sampler(p.process.pid, f"{args.py_spy}.{p.process.pid}")
        for p in [*platform.hosts, *platform.services]
        if args.py_spy and p.process is not None
    ]
    started = time.monotonic()
    until = started + args.seconds
    cpu_at = platform_cpu_s(platform)
    await asyncio.gather(*(client_loop(i, urls, until, rec, False) for i in range(args.clients)))
    elapsed = time.monotonic() - started
    cpu = platform_cpu_s(platform) - cpu_at
    for sampler in samplers:
        sampler.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        sampler.wait(30)
    assert platform.bus is not None
    redis = Redis.from_url(platform.bus.url)
    at_stop = await group_lag(redis, platform.stream_prefix)
    drained_at = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        lag = await group_lag(redis, platform.stream_prefix)
        if lag and all(v == (0, 0) for v in lag.values()):
            drained_at = time.monotonic()
            break
        await asyncio.sleep(0.2)
    final = await group_lag(redis, platform.stream_prefix)
    await redis.aclose()

    total = sum(len(v) for v in rec.latency.values())
    print(
        f"\nbaseline GET /health: {base_rate:,.0f} req/s, p50 {pct(base, 50) * 1e3:.1f} ms, "
        f"{base_cpu * 1e3:.2f} ms of the platform's CPU a request"
    )
    print(f"{'operation':<28}{'count':>7}{'per s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, values in sorted(rec.latency.items()):
        print(
            f"{name:<28}{len(values):>7}{len(values) / elapsed:>8.1f}"
            f"{pct(values, 50) * 1e3:>9.1f}{pct(values, 99) * 1e3:>9.1f}{rec.errors[name]:>8}"
        )
    print(
        f"sustained: {total:,} operations in {elapsed:.0f}s = {total / elapsed:,.1f}/s "
        f"({total / elapsed / base_rate:.3f} of the HTTP baseline) with {args.clients} clients"
    )
    print(
        f"the platform's CPU (its processes and their workers) while the load ran: {cpu:.1f} s, "
        f"{cpu / total * 1e3:.2f} ms an operation; load average {os.getloadavg()[0]:.1f}"
    )
    print("consumer groups when the load stopped (lag, pending) → after draining:")
    for group, value in sorted(at_stop.items()):
        print(f"  {group:<60} {value} → {final.get(group)}")
    if drained_at is None:
        raise SystemExit("consumer lag did not return to zero within 120 s")
    print(
        f"every group drained to lag 0, nothing pending, "
        f"{drained_at - started - elapsed:.1f}s after the load stopped"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument(
        "--py-spy",
        metavar="PREFIX",
        help="sample each platform process with py-spy while the load runs (PREFIX.PID, "
        "raw stacks: bench/profile_summary.py PREFIX.PID --per OPERATIONS)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        platform = Platform(
            data_dir=args.data_dir or Path(tmp),
            redis_url=args.redis_url,
            database_url=args.database_url,
            stream_prefix=f"load{os.getpid()}:" if args.redis_url else "",
            log_level="WARNING",
        )
        platform.start(progress=lambda _msg: None)
        try:
            platform.wait_ready()
            asyncio.run(drive(args, platform))
        finally:
            platform.stop()


if __name__ == "__main__":
    main()
