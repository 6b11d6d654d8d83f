"""``shegong up`` on the embedded default runs three processes: itself (the launcher and
supervisor), one host serving every service, and Redis. Each service answers on its own
port from the host; killing the host (as the OOM killer would) brings every service back
in a new host; Ctrl-C ends them all."""

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

SERVICES = {"registry", "training", "matching", "console"}


def _env(config: Path) -> dict[str, str]:
    drop = ("REDIS_URL", "DATABASE_URL", "DATA_DIR", "PORT", "API_KEYS", "API_KEYS_FILE")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("SHEGONG_")}
    return {**env, "XDG_CONFIG_HOME": str(config), "PYTHONIOENCODING": "utf-8"}


def _all_ready(services: dict[str, str], timeout: float = 90) -> bool:
    deadline = time.monotonic() + timeout
    pending = dict(services)
    while pending and time.monotonic() < deadline:
        for name, url in list(pending.items()):
            try:
                if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                    del pending[name]
            except httpx.HTTPError:
                pass
        time.sleep(0.3)
    return not pending


def _listeners(process: psutil.Process) -> set[int]:
    return {c.laddr.port for c in process.net_connections("tcp") if c.status == "LISTEN"}


def _host(up: psutil.Process) -> psutil.Process:
    hosts = [c for c in up.children() if "shegong.platform.host" in c.cmdline()]
    assert len(hosts) == 1, [c.cmdline() for c in up.children()]
    return hosts[0]


def test_shegong_up_runs_one_host_for_every_service_and_supervises_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    log = (tmp_path / "up.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "shegong.platform.cli", "up", "--data-dir", str(data)],
        cwd=tmp_path,
        env=_env(tmp_path / "config"),
        stdout=log,
        stderr=subprocess.STDOUT,
        # as a script's `shegong up &` starts it: with SIGINT ignored — Ctrl-C (the
        # SIGINT below) must still stop it and everything it started
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        deadline = time.monotonic() + 150
        while not (data / "platform.json").exists() and time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "up.log").read_text()
            time.sleep(0.3)
        services = json.loads((data / "platform.json").read_text())["services"]
        assert set(services) == SERVICES
        assert _all_ready(services)

        up = psutil.Process(proc.pid)
        children = up.children()
        assert len(children) == 2, [c.cmdline() for c in children]  # the host and Redis
        host = _host(up)
        (bus,) = [c for c in children if c.pid != host.pid]
        assert "redis-server" in bus.name()
        ports = {int(url.rsplit(":", 1)[1]) for url in services.values()}
        assert ports <= _listeners(host)  # every service served by the host
        assert not host.children()  # no process per service behind it

        host.send_signal(signal.SIGKILL)
        host.wait(10)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            hosts = [c for c in up.children() if "shegong.platform.host" in c.cmdline()]
            if hosts and hosts[0].pid != host.pid:
                break
            time.sleep(0.3)
        assert _host(up).pid != host.pid, (tmp_path / "up.log").read_text()
        assert _all_ready(services), (data / "logs" / "services.log").read_text()[-3000:]
        assert ports <= _listeners(_host(up))
        assert "killed by signal 9; restarting it" in (tmp_path / "up.log").read_text()
    finally:
        survivors = psutil.Process(proc.pid).children(recursive=True) if proc.poll() is None else []
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    _gone, alive = psutil.wait_procs(survivors, timeout=30)
    assert not alive, [p.pid for p in alive]
