"""What the command and bus benches share: the registry's command (a worker with a real
ID number), a registry service in a process of its own (``Service``), the raw redis-py
baseline loop, a py-spy sampler, and the PostgreSQL databases a run makes and drops."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from proc_cpu import children, cpu_s
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
GROUP = "bench"


# --------------------------------------------------------------------------- commands


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红梅鹏飞斌宇浩凯"
COUNTIES = ("城关区", "七里河区", "西固区", "安宁区", "红古区", "榆中县", "皋兰县")


def id_number(i: int) -> str:
    """A valid, distinct 18-character resident ID (GB 11643) for worker ``i``: births
    spread over forty years, as in a city's workforce (not a thousand on one day)."""
    birth = dt.date(1965, 1, 1) + dt.timedelta(days=(i * 7919) % (40 * 365))
    body = f"110101{birth:%Y%m%d}{i % 1000:03d}"
    return body + CHECK[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def command(i: int) -> dict[str, Any]:
    """Worker ``i``'s registration: distinct people spread over 7 × 12 × 12 communities
    and forty years of birth dates, the shape of a city's roster (the census links each
    registration against the few records that share a block key with it)."""
    g = len(GIVEN)
    county, rest = COUNTIES[i % 7], i // 7
    return {
        "record_id": f"R{i:07d}",
        "name": SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % g] + GIVEN[(i // 11) % g],
        "id_number": id_number(i),
        "phone": f"139{i:08d}",
        "organization": f"{county}第{rest % 12 + 1}社会工作服务中心",
        "org_type": None,
        "post": "social_work_post",
        "region": {
            "county": county,
            "township": f"{county}第{rest % 12 + 1}街道",
            "community": f"第{rest // 12 % 12 + 1}社区",
        },
        "hired_on": "2021-03-01",
        "channel": "公开招聘",
    }


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


WATCHED = ("exec", "xadd", "xreadgroup", "xack", "xautoclaim")


async def command_calls(redis: Redis) -> dict[str, int]:
    """Server-wide call counters (INFO commandstats); deltas tell the batching."""
    stats = await redis.info("commandstats")
    return {c: int(stats.get(f"cmdstat_{c}", {}).get("calls", 0)) for c in WATCHED}


async def delete_prefix(redis: Redis, prefix: str) -> int:
    keys = [k async for k in redis.scan_iter(match=f"{prefix}*", count=1000)]
    if keys:
        await redis.delete(*keys)
    return len(keys)


# --------------------------------------------------------------------------- baseline


async def baseline(redis: Redis, stream: str, fields: dict[Any, Any], n: int) -> float:
    """Raw redis-py: XADD pipelined by 1,000, then XREADGROUP COUNT 1000 + XACK → entries/s."""
    await redis.delete(stream)
    await redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
    t0 = time.perf_counter()
    for start in range(0, n, 1000):
        async with redis.pipeline(transaction=False) as pipe:
            for _ in range(min(1000, n - start)):
                pipe.xadd(stream, fields)
            await pipe.execute()
    done = 0
    while done < n:
        reply = await redis.xreadgroup(GROUP, "c1", {stream: ">"}, count=1000)
        if not reply:
            raise RuntimeError("baseline: stream ran dry before all entries were read")
        ids = [entry_id for entry_id, _ in reply[0][1]]
        await redis.xack(stream, GROUP, *ids)
        done += len(ids)
    elapsed = time.perf_counter() - t0
    await redis.delete(stream)
    return n / elapsed


# --------------------------------------------------------------------------- the service


@dataclass
class Service:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def warnings(self) -> list[str]:
        """The service's WARNING and ERROR lines (a retried batch shows up here)."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return []
        return [ln for ln in text.splitlines() if " WARNING " in ln or " ERROR " in ln]

    def cpu_s(self) -> float | None:
        """User + system CPU seconds the service process has used so far (Linux)."""
        return cpu_s(self.proc.pid)

    def workerscpu_s(self) -> float:
        """The same for the service's worker processes (the census's), running now."""
        return sum(cpu_s(pid) or 0.0 for pid in children({self.proc.pid}))

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)  # uvicorn: graceful shutdown, lifespan exits
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def start_service(env_extra: dict[str, str], data_dir: Path, profile: str | None) -> Service:
    port = free_port()
    env = {**os.environ, **env_extra, "PORT": str(port), "HOST": "127.0.0.1"}
    log = data_dir / "registry.log"
    cmd = [sys.executable]
    if profile:
        cmd += ["-m", "cProfile", "-o", profile]
    cmd += ["-m", "shegong.registry"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Service(proc, f"http://127.0.0.1:{port}", log)


async def wait_ready(client: httpx.AsyncClient, service: Service, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.proc.poll() is not None:
            raise RuntimeError(f"registry exited ({service.proc.returncode}):\n{service.tail()}")
        with contextlib.suppress(httpx.HTTPError):
            if (await client.get("/ready")).status_code == 200:
                return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"registry not ready after {timeout}s:\n{service.tail()}")


async def read_model_total(client: httpx.AsyncClient) -> int:
    reply = await client.get("/workers", params={"limit": 1})
    reply.raise_for_status()
    return int(reply.json()["total"])


def start_sampler(pid: int, out: str, native: bool = False) -> subprocess.Popen[bytes]:
    """py-spy sampling the service's thread holding the GIL (Python CPU; C work done
    without the GIL, e.g. inside SQLite, is not sampled), without pausing it."""
    exe = shutil.which("py-spy")
    if exe is None:
        raise SystemExit("--py-spy needs py-spy on PATH (uv tool install py-spy)")
    cmd = [exe, "record", "--pid", str(pid), "--format", "raw", "--rate", "250", "--gil"]
    # --native reads C frames too (where a thread wake-up or a syscall costs), but has to
    # pause the process at each sample.
    cmd += ["--native"] if native else ["--nonblocking"]
    cmd += ["-o", out]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# --------------------------------------------------------------------------- databases


def create_pg_database(admin_url: str) -> tuple[str, str]:
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return name, url


def drop_pg_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_transactions(admin_url: str, name: str) -> int:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
            (name,),
        ).fetchone()
    return int(row[0]) if row else 0


def describe_pg(admin_url: str) -> str:
    import psycopg

    with psycopg.connect(admin_url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {row[0] if row else '?'}"
