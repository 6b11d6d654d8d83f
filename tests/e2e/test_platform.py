"""The README's first command, as a newcomer runs it: ``shegong demo`` and ``shegong up``.

Real processes: the command starts its own Redis and the services, and must leave
nothing running when it ends.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest
import redis

SHEGONG = [sys.executable, "-m", "shegong.platform.cli"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(extra)
    return env


def _children_of(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def test_demo_runs_end_to_end_and_leaves_nothing_running(tmp_path: Path) -> None:
    result = subprocess.run(
        [*SHEGONG, "demo", "--data-dir", str(tmp_path / "data")],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "registered 张伟" in out and "社会工作师" in out
    assert "no raw ID number or phone on the stream" in out
    assert "active on 2024-12-31: 6 of 7" in out
    assert "first upload (new department created): rows 4 · new 3" in out
    assert "same file again: rows 4 · new 0 · unchanged 3" in out
    # The census: a messy city merged, a pair reviewed, the indicators printed.
    assert "civil-affairs:MZ-01 hrss:RS-01 social-work:SG-01" in out
    assert "civil-affairs:MZ-02 womens-federation:FL-01" in out
    assert "a clerk decides: not the same person" in out
    assert "admitted 1" in out and "社会工作师及以上证书" in out
    assert "社会工作专业人才（年末） professionals, end of year" in out
    state = tmp_path / "data" / "redis" / "bus-server.json"
    if state.exists():  # the bus we started must be gone
        pid = json.loads(state.read_text()).get("pid")
        assert pid is None or not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"


def test_up_serves_until_interrupted_then_stops_everything(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [*SHEGONG, "up", "--data-dir", str(tmp_path / "data")],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Press Ctrl-C to stop" in line:
                break
        text = "".join(lines)
        assert "shegong is up" in text, text
        registry = next(w for w in text.split() if w.startswith("http://127.0.0.1:"))
        redis_url = next(w for w in text.split() if w.startswith("redis://"))
        assert httpx.get(f"{registry}/ready", timeout=5).json()["ready"] is True
        children = _children_of(proc.pid)
        assert children, "the services and the bus run as child processes"
        resp = httpx.post(f"{registry}/workers", json={"name": "测试", "post": "社区工作者"})
        assert resp.status_code == 201, resp.text
        r = redis.Redis.from_url(redis_url)
        deadline = time.monotonic() + 10
        while r.xlen("registry.events") < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert r.xlen("registry.events") == 1
        r.close()
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, "".join(lines) + rest
    assert "nothing left running" in rest
    time.sleep(0.5)
    alive = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"left running: {alive}"


def test_up_with_postgres_uses_a_database_per_service(tmp_path: Path, postgres_url: str) -> None:
    pytest.importorskip("psycopg")
    proc = subprocess.Popen(
        [*SHEGONG, "up", "--data-dir", str(tmp_path / "data")],
        env=_env(DATABASE_URL=postgres_url + "_{service}"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        text = ""
        deadline = time.monotonic() + 90
        while "Press Ctrl-C" not in text and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            text += line
        assert "shegong is up" in text, text
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
        import psycopg
        from sqlalchemy.engine import make_url

        url = make_url(postgres_url)
        admin = url.set(drivername="postgresql", database="postgres")
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{url.database}_registry" WITH (FORCE)')
    assert proc.returncode == 0
