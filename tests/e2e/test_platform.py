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
from typing import Any

import httpx
import psutil
import pytest
import redis

from shegong.platform.demo import personal_data_used, resident_id

pytestmark = pytest.mark.process

SHEGONG = [sys.executable, "-m", "shegong.platform.cli"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(extra)
    return env


ACCESS_LOG = {b"AccessRecorded", b"ApiKeyIssued", b"ApiKeyRevoked"}


def _records(r: redis.Redis, stream: str) -> int:
    """The stream's entries that are not access records."""
    entries: Any = r.xrange(stream)
    return sum(1 for _, fields in entries if fields.get(b"type") not in ACCESS_LOG)


def _credentials(config_home: Path, data_dir: Path) -> dict[str, Any]:
    """This platform's entry in the user's credentials file (one entry per data dir)."""
    path = config_home / "shegong" / "credentials.json"
    assert path.stat().st_mode & 0o077 == 0, "the credentials file is for its user only"
    found = json.loads(path.read_text())
    assert found["current"] == str(data_dir.resolve())
    return dict(found["platforms"][str(data_dir.resolve())])


def leaks_in_files(data_dir: Path, values: list[str]) -> dict[str, list[str]]:
    """Raw values found in the services' logs and in the files the bus's Redis wrote."""
    found = {}
    files = [*(data_dir / "logs").glob("*.log"), *(data_dir / "redis").rglob("*")]
    assert any(f.suffix == ".log" for f in files), f"no service log under {data_dir}"
    for path in files:
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="replace")
            if hits := [v for v in values if v in text]:
                found[str(path)] = hits
    return found


def leaks_in_streams(redis_url: str, values: list[str]) -> dict[str, list[str]]:
    """Raw values found in any entry of any stream on the Redis server."""
    found = {}
    r = redis.Redis.from_url(redis_url)
    try:
        streams = list(r.scan_iter(_type="STREAM", count=1000))
        assert streams, "no stream at all on the bus"
        for key in streams:
            text = " ".join(
                v.decode("utf-8", errors="replace")
                for _, fields in r.xrange(key)  # type: ignore[union-attr]
                for v in fields.values()
            )
            if hits := [v for v in values if v in text]:
                found[key.decode()] = hits
    finally:
        r.close()
    return found


def _children_of(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def test_demo_runs_end_to_end_and_leaves_nothing_running(tmp_path: Path) -> None:
    result = subprocess.run(
        [*SHEGONG, "demo", "--data-dir", str(tmp_path / "data")],
        env=_env(XDG_CONFIG_HOME=str(tmp_path / "config")),
        capture_output=True,
        text=True,
        timeout=180,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "registered 张伟" in out and "社会工作师" in out
    assert "no raw ID number or phone on the stream" in out
    assert "active on 2024-12-31: 6 of 8" in out
    assert "first upload (new department created): rows 4 · new 4" in out
    assert "same file again: rows 4 · new 0 · unchanged 4" in out
    assert "row 5 kept — 岗位类别：" in out  # the value left out, named in Chinese
    # The census: a messy city merged, a pair reviewed, the indicators printed.
    assert "civil-affairs:MZ-01 hrss:RS-01 social-work:SG-01" in out
    assert "civil-affairs:MZ-02 womens-federation:FL-01" in out
    assert "a clerk decides: not the same person" in out
    assert "admitted 1" in out and "社会工作师及以上证书" in out
    assert "社会工作专业人才（年末） professionals, end of year" in out
    assert "hrss's key on civil-affairs' 张伟: HTTP 403" in out
    assert "recorded: PersonalDataViewed by local-admin (demo)" in out
    # Human tables and sentences: no Python list or dict, no pointer to a deleted folder.
    assert "['" not in out and "{'" not in out, out
    assert "--data-dir <" not in out and "shegong-demo-" not in out
    # The same offers on every run, under one spelling per person, the rate explained.
    assert "offered to 孙丽 (77.5)、张伟 (77.5)、马晓燕 (77.5)" in out
    assert "馬曉燕" not in out.split("Residents order")[1]
    assert "so it can pass 100 %" in out
    assert not (tmp_path / "config" / "shegong").exists(), "the demo leaves `up`'s credentials"
    # After the run: no raw ID number or phone in the services' logs or anything Redis kept
    # (its append-only file holds every entry ever added, trimmed or not).
    assert not leaks_in_files(tmp_path / "data", personal_data_used())
    state = tmp_path / "data" / "redis" / "bus-server.json"
    if state.exists():  # the bus we started must be gone
        pid = json.loads(state.read_text()).get("pid")
        assert pid is None or not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"


def test_up_serves_until_interrupted_then_stops_everything(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [*SHEGONG, "up", "--data-dir", str(tmp_path / "data")],
        env=_env(XDG_CONFIG_HOME=str(tmp_path / "config")),
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
        worker = {"name": "测试", "post": "社区工作者"}
        assert httpx.post(f"{registry}/workers", json=worker).status_code == 401
        creds = _credentials(tmp_path / "config", tmp_path / "data")
        assert creds["services"]["registry"] == registry
        state = json.loads((tmp_path / "data" / "platform.json").read_text())
        assert state["services"]["registry"] == registry, "the discovery file names the URLs"
        auth = {"Authorization": f"Bearer {creds['api_key']}"}
        resp = httpx.post(f"{registry}/workers", json=worker, headers=auth)
        assert resp.status_code == 201, resp.text
        r = redis.Redis.from_url(redis_url)
        deadline = time.monotonic() + 10
        # (the access log's records travel too: the keys the registry accepts, issue 16)
        while _records(r, "registry.events") < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _records(r, "registry.events") == 1
        r.close()
        # At rest: the data dir (raw ID numbers, phones, addresses) is its owner's only.
        data = tmp_path / "data"
        assert data.stat().st_mode & 0o777 == 0o700
        databases = list(data.glob("*.db"))
        assert databases and all(db.stat().st_mode & 0o077 == 0 for db in databases), [
            (db.name, oct(db.stat().st_mode)) for db in databases
        ]
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, "".join(lines) + rest
    assert "nothing left running" in rest
    assert not (tmp_path / "data" / "platform.json").exists(), "a stopped platform is not found"
    time.sleep(0.5)
    alive = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"left running: {alive}"


def test_up_with_postgres_uses_a_database_per_service(tmp_path: Path, postgres_url: str) -> None:
    pytest.importorskip("psycopg")
    proc = subprocess.Popen(
        [*SHEGONG, "up", "--data-dir", str(tmp_path / "data")],
        env=_env(DATABASE_URL=postgres_url + "_{service}", XDG_CONFIG_HOME=str(tmp_path / "c")),
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


def _cli(*args: str, env: dict[str, str], cwd: Path | None = None) -> str:
    result = subprocess.run(
        [*SHEGONG, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_up_keys_credentials_cli_and_no_personal_data_in_streams_or_logs(tmp_path: Path) -> None:
    """``shegong up`` writes this user's credentials; the CLI issues, lists and revokes keys
    that the running services honour at once; after real traffic with personal data, no
    raw ID number or phone is on any stream, in any log, or in Redis's files."""
    data, config = tmp_path / "data", tmp_path / "config"
    env = _env(XDG_CONFIG_HOME=str(config))
    proc = subprocess.Popen(
        [*SHEGONG, "up", "--data-dir", str(data)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    text = ""
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 90
        while "Press Ctrl-C" not in text and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            text += line
        assert "shegong is up" in text, text
        redis_url = next(w for w in text.split() if w.startswith("redis://"))
        creds = _credentials(config, data)
        registry, admin = creds["services"]["registry"], creds["api_key"]
        assert admin.startswith("sgk_") and admin not in (data / "api-keys.json").read_text()
        # The commands find the platform started last (from anywhere), with its key.
        assert _cli("auth", "token", env=env, cwd=tmp_path).strip() == admin

        hrss = _cli(
            "auth",
            "issue",
            "--role",
            "department",
            "--department",
            "hrss",
            "--data-dir",
            str(data),
            env=env,
        ).strip()
        assert "hrss" in _cli("auth", "list", "--data-dir", str(data), env=env)
        assert "admin, writes all (keys)" in _cli("auth", "whoami", env=env, cwd=tmp_path)
        me = _cli("auth", "whoami", env={**env, "SHEGONG_API_KEY": hrss}, cwd=tmp_path)
        assert "department of hrss, writes own_department" in me, me
        as_admin = httpx.Client(base_url=registry, headers={"Authorization": f"Bearer {admin}"})
        as_hrss = httpx.Client(base_url=registry, headers={"X-API-Key": hrss})
        ids = [resident_id("620102", f"1990010{i}", f"{i}1{i}") for i in range(1, 7)]
        phones = [f"1370931{i:04d}" for i in range(1, 7)]
        values = [*ids, *phones]
        worker = {"name": "马晓燕", "post": "社区工作者", "id_number": ids[0], "phone": phones[0]}
        resp = as_admin.post("/workers", json={**worker, "department": "civil-affairs"})
        assert resp.status_code == 201, resp.text
        mz = resp.json()["worker"]["worker_id"]
        resp = as_hrss.post("/workers", json={**worker, "id_number": ids[1], "phone": phones[1]})
        assert resp.status_code == 201 and resp.json()["worker"]["department"] == "hrss"
        assert as_hrss.patch(f"/workers/{mz}", json={"organization": "x"}).status_code == 403
        assert as_hrss.get(f"/workers/{mz}/personal-data").status_code == 403
        full = as_admin.get(f"/workers/{mz}/personal-data").json()
        assert full["id_number"] == ids[0] and full["phone"] == phones[0]
        bad = {**worker, "id_number": ids[2][:-1] + ("0" if ids[2][-1] != "0" else "1")}
        assert as_admin.post("/workers", json=bad).status_code == 422
        values.append(bad["id_number"])
        roster = "姓名,身份证号,手机号,岗位类别,入职日期\n" + "".join(
            f"人员{i},{ids[i]},{phones[i]},社区工作者,2022-01-0{i}\n" for i in range(3, 6)
        )
        resp = as_hrss.post(
            "/imports/roster",
            files={"file": ("hrss.csv", roster.encode())},
            data={"department": "hrss"},
        )
        assert resp.status_code == 200 and resp.json()["new"] == 3, resp.text

        hrss_id = hrss.split("_")[1]
        _cli("auth", "revoke", hrss_id, "--data-dir", str(data), env=env)
        assert as_hrss.get("/workers").status_code == 401, "revoked: refused, no restart"

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            total = as_admin.get("/workers").json()["total"]
            if total == 5:
                break
            time.sleep(0.2)
        assert total == 5
        leaked = leaks_in_streams(redis_url, values)
        assert not leaked, f"personal data on the bus: {leaked}"
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, text + rest
    assert not leaks_in_files(data, values), "personal data in a log or in Redis's files"
    # The scan looks for the right thing: the vault in the registry's database has them.
    vault = (data / "registry.db").read_bytes().decode("utf-8", errors="replace")
    assert ids[0] in vault and phones[0] in vault
