"""Services started the way their containers start them (``python -m shegong.<service>``,
settings from the environment) on the real Redis and database, so a test can kill -9 them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServiceProcess:
    module: str
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        env = {**os.environ, **self.env, "PORT": str(self.port), "HOST": "127.0.0.1"}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module], env=env, stdout=out, stderr=out
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.module} exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=2).json().get("ready"):
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.module} not ready in {timeout}s: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """kill -9: no shutdown hook runs, in-flight work is cut wherever it is."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def service_process(tmp_path: Path) -> Iterator[type[ServiceProcess]]:
    started: list[ServiceProcess] = []

    class Tracked(ServiceProcess):
        def start(self, timeout: float = 60) -> None:
            if self not in started:
                started.append(self)
            super().start(timeout)

    yield Tracked
    for svc in started:
        svc.stop()


def registry_database(db: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The registry's database for a fault test: a SQLite file, or a fresh PostgreSQL one."""
    if db == "sqlite":
        return f"sqlite:///{tmp_path}/registry.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


def service_env(
    database_url: str, redis_url: str, stream_prefix: str, **extra: str
) -> dict[str, str]:
    """A service process's environment for a fault test, with ``extra`` settings on top."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "STREAM_PREFIX": stream_prefix,
        "PII_HASH_KEY": "k" * 32,
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def registry_env(
    database_url: str, redis_url: str, stream_prefix: str, **extra: str
) -> dict[str, str]:
    """The city's registry process's environment, with ``extra`` settings on top."""
    return service_env(database_url, redis_url, stream_prefix, DEPARTMENT="city", **extra)


def started_registry(
    service_process: Any, database_url: str, redis_url: str, stream_prefix: str, tmp_path: Path
) -> Any:
    """The city's registry running as its own process, claiming idle entries after 1 s
    and catching up every 2 s (the kill -9 tests)."""
    env = registry_env(
        database_url,
        redis_url,
        stream_prefix,
        CLAIM_IDLE_MS="1000",
        CATCH_UP_S="2",
        REGISTRY_CENSUS="on",
    )
    svc = service_process("shegong.registry", env, tmp_path / "registry.log")
    svc.start()
    return svc
