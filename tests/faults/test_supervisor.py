"""``shegong up`` supervises its services: one killed (the kernel's OOM killer, a crash) is
restarted on the same port with the same settings, and the operator is told; one that
keeps crashing is restarted with a growing delay, not in a tight loop; one that runs but
no longer answers (hung) is ended and restarted."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from shegong.platform.launcher import Platform, RunningService, _spawn, discover_services
from shegong.platform.liveness import Liveness

pytestmark = pytest.mark.process


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _service(name: str, tmp_path: Path, env: dict[str, str]) -> RunningService:
    definition, module = next((d, m) for d, m in discover_services() if d.name == name)
    port = free_port()
    svc = RunningService(definition, module, port, tmp_path / f"{name}.log")
    svc.env = {**os.environ, **env, "PORT": str(port), "HOST": "127.0.0.1"}
    return svc


def _ready(url: str, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def _env(tmp_path: Path, redis_url: str, stream_prefix: str) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path}/training.db",
        "REDIS_URL": redis_url,
        "STREAM_PREFIX": stream_prefix,
        "PII_HASH_KEY": "k" * 32,
        "LOG_LEVEL": "WARNING",
    }


@contextmanager
def _training(tmp_path: Path, env: dict[str, str]) -> Iterator[RunningService]:
    """A platform of one service, training, started and ready; stopped at the end."""
    svc = _service("training", tmp_path, env)
    try:
        _spawn(svc)
        assert _ready(svc.url) and svc.process is not None
        yield svc
    finally:
        if svc.process and svc.process.poll() is None:
            svc.process.send_signal(signal.SIGCONT)  # a stopped one takes no SIGTERM
            svc.process.terminate()
            try:
                svc.process.wait(20)
            except subprocess.TimeoutExpired:
                svc.process.kill()
                svc.process.wait(5)


async def test_a_killed_service_is_restarted_and_the_operator_told(
    redis: Redis, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    platform = Platform(data_dir=tmp_path)
    told: list[str] = []
    with _training(tmp_path, _env(tmp_path, redis_url, stream_prefix)) as svc:
        platform.services.append(svc)
        assert platform.check_services(told.append) == []
        assert svc.process is not None
        os.kill(svc.process.pid, signal.SIGKILL)
        svc.process.wait(10)
        assert platform.check_services(told.append) == ["training"]
        assert "training killed by signal 9; restarting it" in told[0]
        assert svc.restarts == 1
        assert _ready(svc.url), svc.log_path.read_text()[-2000:]
        assert "shegong up: training killed by signal 9" in svc.log_path.read_text()


def test_a_service_that_keeps_crashing_waits_longer_each_time(tmp_path: Path) -> None:
    platform = Platform(data_dir=tmp_path)
    svc = _service("training", tmp_path, {})
    svc.module = "shegong.kernel.data.sheet_worker"  # without its argument: exits at once
    svc.env = {**os.environ}
    platform.services.append(svc)
    _spawn(svc)
    assert svc.process is not None
    svc.process.wait(30)
    told: list[str] = []
    assert platform.check_services(told.append) == ["training"]  # first: at once
    svc.process.wait(30)
    assert platform.check_services(told.append) == []  # crashed quickly: waits 2 s
    assert len(told) == 2 and "exited with code 1" in told[1]
    time.sleep(2.1)
    assert platform.check_services(told.append) == ["training"]
    svc.process.wait(30)
    assert svc.restarts == 2


async def test_a_hung_service_is_ended_and_restarted(
    redis: Redis, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    """A process stopped (SIGSTOP: it runs, holds its port, answers nothing — as a loop
    stuck in a computation) is killed once silent for ``hung_after`` and restarted."""
    platform = Platform(data_dir=tmp_path, liveness=Liveness(hung_after=3, every=0.5, timeout=1))
    told: list[str] = []
    with _training(tmp_path, _env(tmp_path, redis_url, stream_prefix)) as svc:
        platform.services.append(svc)
        assert svc.process is not None
        first = svc.process.pid
        assert platform.check_services(told.append) == []  # answers: judged alive
        os.kill(first, signal.SIGSTOP)
        stopped, restarted = time.monotonic(), []
        while not restarted and time.monotonic() < stopped + 20:
            time.sleep(0.5)
            restarted = platform.check_services(told.append)
        assert restarted == ["training"] and time.monotonic() - stopped >= 3
        assert "has not answered /health" in told[0] and "hung" in told[0]
        assert "training killed by signal 9; restarting it" in told[1]
        assert svc.process.pid != first and _ready(svc.url), svc.log_path.read_text()[-2000:]
        assert "shegong up: training 已" in svc.log_path.read_text()
