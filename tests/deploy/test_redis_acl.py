"""Redis in compose and Kubernetes asks everyone for credentials: one ACL user per
service, the default user off, each service's ``REDIS_URL`` naming its own user and a
password from the environment (compose) or the Secret (Kubernetes).

Checked on the files, and on a real Redis: ``deploy/redis/acl.sh`` started with the
compose file's Redis environment and arguments (on a free port of this machine), then
reached as nobody, with a wrong password, and as each service through its compose
``REDIS_URL`` — streams and consumer groups work, administrative commands do not. The web
console's user reaches its ended sessions and nothing else.
"""

from __future__ import annotations

import asyncio
import base64
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
import yaml
from redis.asyncio import Redis as AsyncRedis

from shegong.console.session import EndedSessions

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ACL_SCRIPT = DEPLOY / "redis" / "acl.sh"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
DEPARTMENT = yaml.safe_load((DEPLOY / "compose.department.yaml").read_text())
# The services that use Redis: every one with an event store (not the web console).
BUS_SERVICES = frozenset(
    ep.name for ep in entry_points(group="shegong.services") if not ep.load().extras.get("web")
)
_VAR = re.compile(r"\$\{(\w+)(?::?[-?]([^}]*))?\}")
# The console keeps only its ended sessions (logouts) in Redis, as a user of its own.
REDIS_USERS = BUS_SERVICES | {"console"}
PASSWORDS = {f"REDIS_PASSWORD_{s.upper()}": f"test-{s}-{i}" for i, s in enumerate(REDIS_USERS)}


def _interpolate(value: Any, env: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(1) in env:
            return env[m.group(1)]
        assert ":?" not in m.group(0), f"compose requires {m.group(1)}"
        return m.group(2) or ""

    return _VAR.sub(one, str(value)).replace("$$", "$")


def _compose_redis_urls(compose: dict[str, Any]) -> dict[str, str]:
    return {
        name: svc["environment"]["REDIS_URL"]
        for name, svc in compose["services"].items()
        if "REDIS_URL" in svc.get("environment", {})
    }


@cache
def _rendered(target: str) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not on PATH: cannot render the kustomize overlays offline")
    done = subprocess.run(
        [kubectl, "kustomize", str(DEPLOY / "k8s" / target)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def _env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


# ---------------------------------------------------------------- the files


def test_every_compose_service_connects_to_redis_as_its_own_user() -> None:
    urls = _compose_redis_urls(COMPOSE)
    assert set(urls) == REDIS_USERS, "a service without its own REDIS_URL"
    redis_env = COMPOSE["services"]["redis"]["environment"]
    assert set(redis_env["REDIS_USERS"].split()) == REDIS_USERS
    for service, url in urls.items():
        var = f"REDIS_PASSWORD_{service.upper()}"
        want = rf"redis://{service}:\$\{{{var}:\?[^}}]+\}}@redis:6379/\d+"
        assert re.fullmatch(want, url), f"{service}: {url}"
        assert f"${{{var}:?" in redis_env[var], f"Redis does not require {var}"
    redis_svc = COMPOSE["services"]["redis"]
    assert redis_svc["command"][:2] == ["sh", "/usr/local/bin/shegong-redis-acl.sh"]
    assert "./redis/acl.sh:/usr/local/bin/shegong-redis-acl.sh:ro" in redis_svc["volumes"]
    assert "--user" in str(redis_svc["healthcheck"]["test"])
    # A department's node reaches the city's Redis with the user the city gave it.
    (url,) = _compose_redis_urls(DEPARTMENT).values()
    assert url.startswith("${REDIS_URL:?") and "USER:PASSWORD@" in url


def test_the_acl_script_is_one_file_in_compose_and_kubernetes() -> None:
    dev = DEPLOY / "k8s" / "overlays" / "dev" / "redis-acl.sh"
    assert dev.read_text() == ACL_SCRIPT.read_text(), "deploy/redis/acl.sh and its dev copy"


@pytest.mark.parametrize("target", ["base", "overlays/dev", "overlays/prod"])
def test_every_kubernetes_service_has_its_own_redis_url_from_the_secret(target: str) -> None:
    for doc in _rendered(target):
        if doc["kind"] != "Deployment" or doc["metadata"]["name"] not in REDIS_USERS:
            continue
        name = doc["metadata"]["name"]
        (container,) = doc["spec"]["template"]["spec"]["containers"]
        ref = _env(container)["REDIS_URL"]["valueFrom"]["secretKeyRef"]
        assert ref["name"].startswith("shegong-secrets"), f"{target}: {name}: {ref}"
        assert ref["key"] == f"{name}-redis-url", f"{target}: {name}: {ref}"


def test_the_dev_redis_knows_each_service_by_its_secret_password() -> None:
    docs = _rendered("overlays/dev")
    (secret,) = [d for d in docs if d["kind"] == "Secret"]
    values = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    (sts,) = [d for d in docs if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "redis"]
    (container,) = sts["spec"]["template"]["spec"]["containers"]
    env = _env(container)
    assert container["command"] == ["sh", "/etc/shegong/acl.sh"]
    assert set(env["REDIS_USERS"]["value"].split()) == REDIS_USERS
    for service in REDIS_USERS:
        url = urlsplit(values[f"{service}-redis-url"])
        ref = env[f"REDIS_PASSWORD_{service.upper()}"]["valueFrom"]["secretKeyRef"]
        assert (url.username, url.password) == (service, values[ref["key"]]), service
    for probe in ("livenessProbe", "readinessProbe"):
        assert "--user" in " ".join(container[probe]["exec"]["command"]), probe
    mounted = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/etc/shegong", "/tmp", "/data"} <= mounted


# ---------------------------------------------------------------- a real Redis


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _script_env(tmp_path: Path, **passwords: str) -> dict[str, str]:
    declared = COMPOSE["services"]["redis"]["environment"]
    env = {
        k: _interpolate(v, passwords)
        for k, v in declared.items()
        if k in passwords or "$" not in str(v)
    }
    return {
        "PATH": "/usr/bin:/bin:/usr/local/bin",
        "REDIS_ACL_FILE": str(tmp_path / "u.acl"),
        **env,
    }


@pytest.fixture
def acl_redis(tmp_path: Path) -> Iterator[int]:
    """Redis as the compose file starts it (its script, environment and arguments)."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed on this machine")
    port = _free_port()
    command = COMPOSE["services"]["redis"]["command"]
    args = [*command[2:], "--port", str(port), "--dir", str(tmp_path), "--bind", "127.0.0.1"]
    log = (tmp_path / "redis.log").open("wb")
    proc = subprocess.Popen(
        ["sh", str(ACL_SCRIPT), *args],
        env=_script_env(tmp_path, **PASSWORDS),
        stdout=log,
        stderr=log,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "redis.log").read_text()
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def test_redis_refuses_whoever_comes_without_credentials(acl_redis: int) -> None:
    with redis.Redis(port=acl_redis) as nobody, pytest.raises(redis.AuthenticationError):
        nobody.ping()
    with (
        redis.Redis(port=acl_redis, username="registry", password="wrong") as wrong,
        pytest.raises(redis.AuthenticationError),
    ):
        wrong.ping()
    with (
        redis.Redis(port=acl_redis, username="default", password="") as default,
        pytest.raises(redis.AuthenticationError),
    ):
        default.ping()


def _local_url(service: str, port: int) -> str:
    url = _compose_redis_urls(COMPOSE)[service]
    return _interpolate(url, PASSWORDS).replace("@redis:6379", f"@127.0.0.1:{port}")


def test_each_service_uses_the_bus_as_its_own_user_and_nothing_more(acl_redis: int) -> None:
    for service in BUS_SERVICES:
        local = _local_url(service, acl_redis)
        with redis.Redis.from_url(local) as r:
            assert r.acl_whoami() in (service, service.encode())
            stream = f"test.{service}.events"
            r.xadd(stream, {"e": "1"})
            r.xgroup_create(stream, "g", id="0")
            ((_, [(entry, _)]),) = r.xreadgroup("g", "c", {stream: ">"})
            assert r.xack(stream, "g", entry) == 1
            for forbidden in (
                ("FLUSHALL",),
                ("CONFIG", "GET", "dir"),
                ("KEYS", "*"),
                ("ACL", "LIST"),
            ):
                with pytest.raises(redis.exceptions.NoPermissionError):
                    r.execute_command(*forbidden)


def test_the_console_reaches_its_ended_sessions_and_nothing_else(acl_redis: int) -> None:
    """A logout on one console replica is refused by another through the console's user;
    the same user can neither read the event streams nor touch any other key."""
    url = _local_url("console", acl_redis)

    async def logout_then_ask() -> tuple[bool, bool]:
        one, two = AsyncRedis.from_url(url), AsyncRedis.from_url(url)
        try:
            await EndedSessions(one, "p.").end("session-a", ttl=60)
            other_replica = EndedSessions(two, "p.")
            return await other_replica.has("session-a"), await other_replica.has("session-b")
        finally:
            await one.aclose()
            await two.aclose()

    assert asyncio.run(logout_then_ask()) == (True, False)
    with redis.Redis.from_url(_local_url("registry", acl_redis)) as registry:
        registry.xadd("registry.events", {"e": "1"})
    with redis.Redis.from_url(url) as console:
        for forbidden in (
            ("XRANGE", "registry.events", "-", "+"),
            ("XADD", "registry.events", "*", "e", "2"),
            ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "registry.events", ">"),
            ("GET", "p.console:ended-session:x"),
            ("SET", "registry.some-key", "1"),
            ("DEL", "p.console:ended-session:x"),
            ("KEYS", "*"),
            ("SCAN", "0"),
            ("FLUSHALL",),
            ("ACL", "WHOAMI"),
        ):
            with pytest.raises(redis.exceptions.NoPermissionError):
                console.execute_command(*forbidden)


def test_the_compose_health_check_passes_with_its_user(acl_redis: int, tmp_path: Path) -> None:
    (kind, line) = COMPOSE["services"]["redis"]["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    shell = _interpolate(line, {}).replace("redis-cli ", f"redis-cli -p {acl_redis} ", 1)
    env = _script_env(tmp_path, **PASSWORDS)
    assert subprocess.run(["sh", "-c", shell], env=env, timeout=10, check=False).returncode == 0
    env["REDIS_PASSWORD_REGISTRY"] = "wrong"
    assert subprocess.run(["sh", "-c", shell], env=env, timeout=10, check=False).returncode != 0


def test_the_script_refuses_to_start_redis_without_every_password(tmp_path: Path) -> None:
    missing = dict(PASSWORDS)
    del missing["REDIS_PASSWORD_MATCHING"]
    done = subprocess.run(
        ["sh", str(ACL_SCRIPT), "--port", "0"],
        env=_script_env(tmp_path, **missing),
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert done.returncode == 1 and "REDIS_PASSWORD_MATCHING" in done.stderr
