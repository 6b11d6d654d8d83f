"""examples/subscriber: an outside system on the real Redis, fed by a real registry node.

It runs as a subprocess with only the contracts and redis-py imported from this
workspace. It must see every event once: across a crash (SIGKILL) with an entry left
pending for its consumer name, across a clean restart, and ``--from now`` must skip the
history.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis

from shegong.kernel.ops.settings import ServiceSettings
from shegong.kernel.testing import eventually
from shegong.registry.main import build

pytestmark = pytest.mark.process

pytestmark = pytest.mark.process

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "subscriber" / "subscriber.py"
ID_NUMBERS = [
    "620102198805061231",
    "620102199001010011",
    "440304199503150022",
    "11010519491231002X",
    "110101199003070011",
    "110101199003070038",
]


@pytest.fixture
async def registry(
    redis_url: str, redis: Redis, stream_prefix: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings(
        database_url=f"sqlite:///{tmp_path}/registry.db",
        redis_url=redis_url,
        stream_prefix=stream_prefix,
        pii_hash_key="k" * 32,
        catch_up_s=0,
        data_dir=str(tmp_path),
    )
    app = build(settings)
    async with (
        LifespanManager(app, startup_timeout=30, shutdown_timeout=30),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r") as c,
    ):
        yield c


class Subscriber:
    """The example as a process; its stdout lines are the events it printed."""

    def __init__(self, tmp_path: Path, redis_url: str, prefix: str, *args: str) -> None:
        self.out = tmp_path / f"out-{time.monotonic_ns()}.jsonl"
        self.err = self.out.with_suffix(".err")
        command = [
            sys.executable,
            str(SCRIPT),
            "--redis-url",
            redis_url,
            "--prefix",
            prefix,
            "--state",
            str(tmp_path / "inbox.db"),
            "--block-ms",
            "100",
            *args,
        ]
        with self.out.open("w") as out, self.err.open("w") as err:
            self.proc = subprocess.Popen(command, stdout=out, stderr=err, cwd=tmp_path)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.read_text().splitlines() if line]

    async def wait_for(self, count: int) -> list[dict[str, Any]]:
        async def enough() -> list[dict[str, Any]] | None:
            assert self.proc.poll() is None, self.err.read_text()
            found = self.events()
            return found if len(found) >= count else None

        return await eventually(enough)

    async def subscribed(self) -> None:
        async def said_so() -> bool:
            assert self.proc.poll() is None, self.err.read_text()
            return "subscribed to" in self.err.read_text()

        await eventually(said_so)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.wait(timeout=15)


@pytest.fixture
def subscribers() -> Any:
    started: list[Subscriber] = []
    yield started
    for s in started:
        with contextlib.suppress(Exception):
            s.stop(signal.SIGKILL)


async def register(client: httpx.AsyncClient, id_number: str) -> None:
    body = {"name": "张伟", "id_number": id_number, "hired_on": "2020-03-01"}
    resp = await client.post("/workers", json=body)
    assert resp.status_code == 201, resp.text


async def stream_ids(redis: Redis, stream: str) -> list[str]:
    return [fields[b"id"].decode() for _, fields in await redis.xrange(stream)]


def test_the_example_imports_nothing_but_the_contracts_and_redis() -> None:
    source = SCRIPT.read_text()
    imports = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.startswith(("import ", "from "))
    }
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    assert imports - stdlib == {"redis", "shegong"}
    assert "shegong.kernel" not in source and "faststream" not in source
    pyproject = (SCRIPT.parent / "pyproject.toml").read_text()
    assert 'dependencies = ["shegong-contracts", "redis>=5"]' in pyproject


async def test_it_resumes_after_a_crash_and_a_restart_without_loss_or_duplicates(
    registry: httpx.AsyncClient,
    redis: Redis,
    redis_url: str,
    stream_prefix: str,
    tmp_path: Path,
    subscribers: list[Subscriber],
) -> None:
    stream = f"{stream_prefix}registry.events"
    args = ("--group", "ext-audit", "--consumer", "audit-1", "--from", "beginning")
    for number in ID_NUMBERS[:2]:
        await register(registry, number)
    await eventually(lambda: _at_least(redis, stream, 2))

    first = Subscriber(tmp_path, redis_url, stream_prefix, *args)
    subscribers.append(first)
    seen = await first.wait_for(len(await stream_ids(redis, stream)))
    first.stop(signal.SIGKILL)  # a crash: no clean shutdown

    # While it is down: more events, and one delivered to its consumer name but never
    # acknowledged — as if it had crashed in the middle of handling it.
    for number in ID_NUMBERS[2:4]:
        await register(registry, number)
    await eventually(lambda: _at_least(redis, stream, 4))
    taken = await redis.xreadgroup("ext-audit", "audit-1", {stream: ">"}, count=1)
    assert taken and taken[0][1], "nothing was left pending"

    second = Subscriber(tmp_path, redis_url, stream_prefix, *args)
    subscribers.append(second)
    total = len(await stream_ids(redis, stream))
    seen += await second.wait_for(total - len(seen))
    assert "re-reading 1 pending entries" in second.err.read_text()
    second.stop()  # a clean restart this time
    assert second.proc.returncode == 0, second.err.read_text()

    for number in ID_NUMBERS[4:]:
        await register(registry, number)
    await eventually(lambda: _at_least(redis, stream, 6))
    third = Subscriber(tmp_path, redis_url, stream_prefix, *args)
    subscribers.append(third)
    expected = await stream_ids(redis, stream)
    seen += await third.wait_for(len(expected) - len(seen))
    third.stop()

    ids = [e["id"] for e in seen]
    assert ids == expected, "every event once, in stream order"
    assert all(e["type"] and "data" in e and "error" not in e for e in seen)
    assert (await redis.xpending(stream, "ext-audit"))["pending"] == 0
    # Its group is its own: the registry's groups did not move on its account.
    groups = {g["name"].decode() for g in await redis.xinfo_groups(stream)}
    assert {"ext-audit", "registry.workers.city"} <= groups


async def test_from_now_skips_the_history(
    registry: httpx.AsyncClient,
    redis: Redis,
    redis_url: str,
    stream_prefix: str,
    tmp_path: Path,
    subscribers: list[Subscriber],
) -> None:
    stream = f"{stream_prefix}registry.events"
    await register(registry, ID_NUMBERS[0])
    await eventually(lambda: _at_least(redis, stream, 1))
    history = set(await stream_ids(redis, stream))

    live = Subscriber(tmp_path, redis_url, stream_prefix, "--group", "ext-live", "--from", "now")
    subscribers.append(live)
    await live.subscribed()
    await register(registry, ID_NUMBERS[1])
    (event,) = await live.wait_for(1)
    live.stop()
    assert event["id"] not in history
    assert event["type"] == "WorkerRegistered"
    assert "620102199001010011" not in json.dumps(event)  # masked / hashed only


async def _at_least(redis: Redis, stream: str, n: int) -> bool:
    return bool(await redis.exists(stream)) and await redis.xlen(stream) >= n
