"""Each service started the way its container starts: the compose file's migrate command,
then the image's command, with the compose file's environment — on this machine's real
Redis and PostgreSQL instead of the compose network's. Then ``/ready`` and ``/metrics``.

Only the addresses change (``redis``, ``postgres`` and the other services in ``FEEDS`` are
compose host names), plus a free port and a stream prefix so the test shares Redis safely
with others.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from shegong.kernel.web.api_keys import new_key

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
# The services with an event store (each has its `<name>-migrate` step); the web console
# is started by its own tests.
SERVICES = sorted(
    name
    for name, svc in COMPOSE["services"].items()
    if "build" in svc and "-" not in name and f"{name}-migrate" in COMPOSE["services"]
)
_VAR = re.compile(r"\$\{(\w+)(?::?[-?]([^}]*))?\}")


def _interpolate(value: Any, env: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}``."""

    def one(m: re.Match[str]) -> str:
        name, rest = m.group(1), m.group(2) or ""
        if name in env:
            return env[name]
        if ":?" in m.group(0):
            raise AssertionError(f"compose requires {name}: {rest}")
        return rest

    return _VAR.sub(one, str(value))


def _image_env() -> dict[str, str]:
    """The runtime stage's ENV of deploy/Dockerfile (PATH aside)."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    stages = text.split("\nFROM ")
    env: dict[str, str] = {}
    for line in stages[-1].splitlines():
        if line.startswith("ENV "):
            for item in shlex.split(line[4:]):
                key, _, val = item.partition("=")
                if key != "PATH" and "$" not in val:
                    env[key] = val
    return env


def _image_command() -> list[str]:
    text = (DEPLOY / "Dockerfile").read_text()
    (cmd,) = re.findall(r"^CMD (\[.*\])$", text, re.M)
    return json.loads(cmd)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _python(command: list[str]) -> list[str]:
    assert command[0] == "python", command
    return [sys.executable, *command[1:]]


@pytest.fixture(params=SERVICES)
def service(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def container_env(
    service: str, redis_url: str, postgres_url: str, stream_prefix: str, redis, tmp_path: Path
) -> dict[str, dict[str, str]]:
    compose = COMPOSE
    admin_key, admin = new_key("admin", name="operator")
    # What the operator exports before `compose up` (keys: hashes only, see SECURITY.md).
    outer = {
        "PII_HASH_KEY": "k" * 32,
        "API_KEYS": json.dumps([admin.model_dump(mode="json")]),
        "ADMIN_KEY_FOR_TEST": admin_key,
        **{f"REDIS_PASSWORD_{s.upper()}": f"{s}-redis-password" for s in SERVICES},
    }
    port = _free_port()
    envs = {}
    for name in (f"{service}-migrate", service):
        declared = compose["services"][name]["environment"]
        env = {k: _interpolate(v, outer) for k, v in declared.items()}
        assert "@postgres:5432/" in env["DATABASE_URL"]
        env["DATABASE_URL"] = postgres_url
        if "REDIS_URL" in env:
            # Its own Redis user (tests/deploy/test_deploy_files.py starts that Redis).
            assert env["REDIS_URL"] == f"redis://{service}:{service}-redis-password@redis:6379/0"
            env["REDIS_URL"] = redis_url
        if "PORT" in env:
            env["PORT"] = str(port)
        if "FEEDS" in env:
            # The other services' compose host names resolve only on the compose network;
            # here each is an address where nothing listens (refused at once, where a
            # resolver that does not know the name may take its time to say so).
            env["FEEDS"] = json.dumps(
                {path: f"http://127.0.0.1:{_free_port()}" for path in json.loads(env["FEEDS"])}
            )
        env["STREAM_PREFIX"] = stream_prefix
        image = _image_env()
        image["DATA_DIR"] = str(tmp_path / "data")  # /app/data in the image
        image["PORT"] = env.get("PORT", compose["services"][name]["build"]["args"]["PORT"])
        envs[name] = {
            "ADMIN_KEY_FOR_TEST": admin_key,
            "PATH": os.environ["PATH"],
            **image,
            **{k: v for k, v in env.items() if k != "HOST"},
            "HOST": "127.0.0.1",
        }
    return envs


def _run_migrate(service: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = _python(COMPOSE["services"][f"{service}-migrate"]["command"])
    return subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_service_starts_as_in_its_container(
    service: str, container_env: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    first = _run_migrate(service, container_env[f"{service}-migrate"])
    assert first.returncode == 0, first.stdout + first.stderr
    assert "applied" in first.stdout
    again = _run_migrate(service, container_env[f"{service}-migrate"])
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing to do" in again.stdout

    env = container_env[service]
    assert env["SCHEMA_ON_START"] == "check" and env["LOG_FORMAT"] == "json"
    # The image's CMD is `sh -c 'exec python -m "shegong.${SERVICE}"'`.
    cmd = _image_command()
    assert cmd[:2] == ["/bin/sh", "-c"]
    line = cmd[2].replace("${SERVICE}", service).replace('"', "")
    assert line.startswith("exec python -m ")
    command = _python(line.removeprefix("exec ").split())
    log_path = tmp_path / f"{service}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        ready = _wait_ready(base, proc, log_path)
        assert ready["database"] == "ok" and ready["redis"] == "ok"
        with httpx.Client(base_url=base, timeout=10) as client:
            if service == "registry":  # a command, so the event counters move
                body = {"name": "张伟", "id_number": "620102198805061231", "hired_on": "2020-03-01"}
                headers = {
                    "X-Correlation-ID": "ct-1",
                    "Authorization": f"Bearer {env['ADMIN_KEY_FOR_TEST']}",
                }
                resp = client.post("/workers", json=body, headers=headers)
                assert resp.status_code == 201, resp.text
            metrics = client.get("/metrics")
        assert metrics.status_code == 200
        names = {f.name for f in text_string_to_metric_families(metrics.text)}
        assert {
            "shegong_http_requests",
            "shegong_events_appended",
            "shegong_relay_backlog_events",
            "shegong_consumer_group_lag",
            "shegong_dlq_entries",
            "shegong_service_info",
        } <= names
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            output = log_path.read_text()
            raise AssertionError(f"still running 30 s after SIGTERM:\n{output}") from None
    output = log_path.read_text()
    # uvicorn re-raises the signal once it has shut down cleanly (as PID 1 would report).
    assert code in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output

    # Rebuilding the read models, as an operator would with the service stopped.
    # (Other services' feeds are compose host names here: rebuild from its own store.)
    rebuilt = subprocess.run(
        [*command, "rebuild"],
        env={**env, "FEEDS": "{}"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "rebuilt from" in rebuilt.stdout
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert lines and all({"time", "level", "logger", "message"} <= set(x) for x in lines)
    assert all(x.get("service") == service for x in lines)
    assert "620102198805061231" not in output


def _wait_ready(base: str, proc: subprocess.Popen[bytes], log_path: Path) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"exited {proc.returncode}:\n{log_path.read_text()}")
        try:
            resp = httpx.get(f"{base}/ready", timeout=2)
            if resp.status_code == 200:
                return dict(resp.json())
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"not ready within 60 s:\n{log_path.read_text()}")
