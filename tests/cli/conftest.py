"""One real ``shegong up`` for the command-line and README tests (started once: it is the
slow part), in its own folder, with its own per-user config dir."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import http.server

REPO = Path(__file__).resolve().parents[2]
SHEGONG = [sys.executable, "-m", "shegong.platform.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: no service settings, no CLI settings."""
    drop = ("REDIS_URL", "DATABASE_URL", "DATA_DIR", "PORT", "API_KEYS", "API_KEYS_FILE")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("SHEGONG_")}
    env.update(PYTHONIOENCODING="utf-8", COLUMNS="160", **extra)
    return env


@contextmanager
def serving(server: http.server.HTTPServer) -> Iterator[str]:
    """``server`` answering in a thread of its own while the block runs; its URL."""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def answer_json(handler: http.server.BaseHTTPRequestHandler, status: int, body: object) -> None:
    """A test server's JSON answer, its length given."""
    raw = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(raw)))
    handler.end_headers()
    handler.wfile.write(raw)


@dataclass
class Up:
    """A running ``shegong up``: its folder, config dir, URLs and admin key."""

    home: Path
    data_dir: Path
    config: Path
    services: dict[str, str]
    key: str
    output: str
    process: subprocess.Popen[str]

    @property
    def env(self) -> dict[str, str]:
        """A shell that finds this platform the way a user's does: the credentials file in
        XDG_CONFIG_HOME names it as the platform started last."""
        return clean_env(XDG_CONFIG_HOME=str(self.config))

    def stop(self) -> str:
        return stop_up(self.process)

    def shegong(
        self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> Ran:
        """The command as a user runs it: a process of its own when ``cwd`` or ``env`` is
        given (what it finds from where it runs is under test), else in this process with
        this platform named (``SHEGONG_DATA_DIR``) — the same code, without a Python start
        and its imports per command (the suite's time)."""
        if cwd is not None or env is not None:
            done = subprocess.run(
                [*SHEGONG, *args],
                cwd=cwd or self.home,
                env=env or self.env,
                capture_output=True,
                text=True,
                encoding="utf-8",
                timeout=180,
            )
            return Ran(done.returncode, done.stdout, done.stderr)
        from typer.testing import CliRunner

        from shegong.platform import cli

        result = CliRunner().invoke(
            cli.app,
            list(args),
            env={"XDG_CONFIG_HOME": str(self.config), "SHEGONG_DATA_DIR": str(self.data_dir)},
        )
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Ran(result.exit_code, result.stdout, result.stderr)


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def start_up(home: Path, config: Path, data_dir: Path | None = None) -> Up:
    home.mkdir(parents=True, exist_ok=True)
    args = ["up"] if data_dir is None else ["up", "--data-dir", str(data_dir)]
    data = data_dir or home / ".shegong"
    proc = subprocess.Popen(
        [*SHEGONG, *args],
        cwd=home,
        env=clean_env(XDG_CONFIG_HOME=str(config)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
    )
    text = ""
    deadline = time.monotonic() + 150
    assert proc.stdout is not None
    while "Press Ctrl-C" not in text and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        text += line
    if "shegong is up" not in text:
        stop_up(proc)
        raise AssertionError(f"shegong up did not come up:\n{text}")
    state = json.loads((data / "platform.json").read_text())
    key = (data / "admin.key").read_text().strip()
    return Up(home, data, config, state["services"], key, text, proc)


def stop_up(proc: subprocess.Popen[str]) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        rest, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        rest, _ = proc.communicate(timeout=10)
    return rest or ""


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    """``shegong up`` with its default data dir (``./.shegong`` of its folder)."""
    home = tmp_path_factory.mktemp("clerk")
    up = start_up(home, home / "config")
    try:
        yield up
    finally:
        stop_up(up.process)


@pytest.fixture
def start_platform(tmp_path: Path) -> Iterator[object]:
    """``start_platform(home, config)``: one more ``shegong up``, stopped after the test
    (``up.stop()`` stops it earlier and returns what it printed)."""
    started: list[Up] = []

    def start(home: Path, config: Path, data_dir: Path | None = None) -> Up:
        up = start_up(home, config, data_dir)
        started.append(up)
        return up

    yield start
    for up in started:
        stop_up(up.process)


@pytest.fixture
def user_env() -> object:
    """``user_env(**extra)``: a user's shell environment (see :func:`clean_env`)."""
    return clean_env


@pytest.fixture
def shegong_cmd() -> list[str]:
    return list(SHEGONG)
