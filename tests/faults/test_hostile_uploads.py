"""Hostile spreadsheets posted to every import endpoint of the running services (started as
their containers start them): each is refused with a 4xx naming the limit, in English and
Chinese, quickly; ``/health`` keeps answering meanwhile; the process survives with flat
memory. Before the guarded reader, the 1.6 KB far-cell file killed the process (calamine
asked for 549,755,813,888 bytes) and the zip bomb blocked ``/health`` for seconds."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from shegong.kernel.data import hostile_files as hostile

from .conftest import service_env

ENDPOINTS: dict[str, list[tuple[str, dict[str, str]]]] = {
    "registry": [
        ("/imports/roster", {"department": "civil-affairs"}),
        ("/imports/regions", {}),
        ("/imports/expert-pool", {}),
    ],
    "training": [("/sessions/s-1/signin-sheet", {}), ("/imports/exam-results", {})],
    "matching": [("/imports/needs-survey", {})],
}

FILES = {
    "far-cell": (hostile.far_cell, "max_rows"),
    "zip-bomb": (lambda: hostile.zip_bomb(350), "max_uncompressed"),
    "far-column": (lambda: hostile.cells_at("A1", "XFD1"), "max_columns"),
    "area": (lambda: hostile.cells_at("A1", "IP20000"), "max_cells"),
    "rows-bomb": (lambda: hostile.zip_bomb(150), "max_rows"),
    "lying-bomb": (lambda: hostile.lying_zip_bomb(350), None),
    "laughs": (hostile.entity_expansion, None),
    # 99 KB: one cell of 100 million characters (Excel allows 32,767) stalled /health 13.6 s.
    "long-cell": (hostile.long_cell, "max_cell_chars"),
    "too-big": (lambda: os.urandom(33 * 1024 * 1024), "max_bytes"),
    # A CSV line of 30 MiB of commas: parsed as one row of 31 million cells (+449 MiB,
    # the process stalled) and then skipped as blank; 30 million empty lines.
    "wide-csv": (lambda: "姓名,身份证号\n".encode() + b"," * (30 * 1024 * 1024), "max_columns"),
    "empty-lines": (lambda: "姓名,身份证号\n".encode() + b"\n" * (30 * 1024 * 1024), "max_rows"),
}
# The client names the file: a path, an escape sequence, a bidi override, a phone.
NAME = "../../{}\x1b[31m\u202e13800138000.xlsx"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.parametrize("service", sorted(ENDPOINTS))
async def test_hostile_spreadsheets_are_refused_and_the_service_survives(
    service: str,
    redis: Redis,
    service_process,
    redis_url: str,
    stream_prefix: str,
    tmp_path: Path,
) -> None:
    env = service_env(f"sqlite:///{tmp_path}/{service}.db", redis_url, stream_prefix)
    svc = service_process(f"shegong.{service}", env, tmp_path / f"{service}.log")
    svc.start()
    assert svc.process is not None
    pid = svc.process.pid
    files = {name: (make(), limit) for name, (make, limit) in FILES.items()}
    slowest = 0.0
    stop = asyncio.Event()

    async def watch_health(client: httpx.AsyncClient) -> None:
        nonlocal slowest
        while not stop.is_set():
            started = time.monotonic()
            r = await client.get(f"{svc.url}/health", timeout=30)
            assert r.status_code == 200
            slowest = max(slowest, time.monotonic() - started)
            await asyncio.sleep(0.05)

    async with httpx.AsyncClient() as client:
        baseline = rss_mib(pid)
        watcher = asyncio.create_task(watch_health(client))
        try:
            for path, form in ENDPOINTS[service]:
                for name, (data, limit) in files.items():
                    started = time.monotonic()
                    r = await client.post(
                        f"{svc.url}{path}",
                        data=form,
                        files={"file": (NAME.format(name), data)},
                        timeout=120,
                    )
                    took = time.monotonic() - started
                    assert r.status_code in (413, 422), (path, name, r.status_code, r.text)
                    error = r.json()["error"]
                    assert error["field"] == "file", (path, name, error)
                    assert error["message"] and error["message_zh"], (path, name, error)
                    said = error["message"] + error["message_zh"]
                    for raw in ("../", "\x1b", "\u202e", "13800138000"):
                        assert raw not in said, (path, name, raw, error)
                    if limit:
                        assert limit in error["message"], (path, name, error)
                        assert limit in error["message_zh"], (path, name, error)
                    assert took < 30, (path, name, took)
                    assert svc.process.poll() is None, f"{service} died on {name}"
        finally:
            stop.set()
            await watcher
        assert (await client.get(f"{svc.url}/health")).json()["status"] == "ok"
    grown = rss_mib(pid) - baseline
    assert grown < 150, f"{service} grew by {grown:.0f} MiB"
    assert slowest < 2.0, f"/health took {slowest:.2f} s during the uploads"
