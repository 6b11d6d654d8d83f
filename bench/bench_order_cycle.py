"""Matching's order cycle in-process: the CPU of each command, and its statements.

    uv run python bench/bench_order_cycle.py [--cycles 300] [--warm-up 30]
        [--database-url sqlite:///... | postgresql://...] [--redis-url URL] [--count]

Builds the matching service as ``python -m shegong.matching`` does (its relay, its
subscriptions, its scheduler with a one-hour tick so that only the orders run) on a
SQLite file in a temp dir (or the database given: use a throw-away one), and drives it
through ASGI (no sockets): three volunteers in one community, then cycles of place →
accept → start → finish → follow-up with a resident's phone and address — a mix's
orders, one at a time. It prints the process's CPU (``time.process_time``: every thread
of it, the relay and the read models included) per cycle and per command, and with
``--count`` the cursor executions per command (a ``before_cursor_execute`` listener, in
a separate pass of ``--cycles / 10`` so the count costs the timed cycles nothing;
the command's own statements, not the relay's or the read models' meanwhile).
Redis keys go under a unique prefix, deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import statistics
import tempfile
import time
import uuid
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis
from sqlalchemy import event

from shegong.matching.main import build
from shegong.matching.settings import MatchingSettings

COMMUNITY = "安定区/永定路街道/东关社区"
STEPS = ("place", "accept", "start", "finish", "follow_up")


async def cycle(client: httpx.AsyncClient, i: int, cpu: dict[str, list[float]]) -> None:
    async def call(step: str, method: str, path: str, body: Any, status: int = 200) -> Any:
        c0 = time.process_time()
        reply = await client.request(method, path, json=body)
        cpu[step].append(time.process_time() - c0)
        if reply.status_code != status:
            raise SystemExit(f"{step}: {reply.status_code} {reply.text}")
        return reply.json()

    placed = await call(
        "place",
        "POST",
        "/requests",
        {
            "community": COMMUNITY,
            "target_group": "elderly",
            "service_type": "home_visit",
            "resident_phone": f"138 0931 {i % 10000:04d}",
            "resident_address": "永定路12号3单元501",
        },
        201,
    )
    rid, who = placed["request"]["request_id"], placed["request"]["offered"][0]
    await call("accept", "POST", f"/requests/{rid}/accept", {"provider_id": who})
    await call("start", "POST", f"/requests/{rid}/start", {})
    await call("finish", "POST", f"/requests/{rid}/finish", {"hours": 1.5})
    await call("follow_up", "POST", f"/requests/{rid}/follow-up", {"satisfaction": 5})


async def run(args: argparse.Namespace) -> None:
    tmp = tempfile.TemporaryDirectory(prefix="bench-order-cycle-")
    prefix = f"bench-cycle-{uuid.uuid4().hex[:8]}:"
    settings = MatchingSettings(
        database_url=args.database_url or f"sqlite:///{tmp.name}/matching.db",
        redis_url=args.redis_url,
        stream_prefix=prefix,
        consumer_name="bench",
        pii_hash_key="k" * 32,
        catch_up_s=0,
        data_dir=f"{tmp.name}/data",
        matching_scheduler_tick_s=3600,
        matching_notify_tick_s=3600,
    )
    app = build(settings)
    cpu: dict[str, list[float]] = collections.defaultdict(list)
    try:
        async with (
            LifespanManager(app, startup_timeout=60, shutdown_timeout=60),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m") as c,
        ):
            for name in ("甲", "乙", "丙"):
                body = {"kind": "volunteer", "name": name, "region": COMMUNITY}
                (await c.post("/providers", json=body)).raise_for_status()
            for i in range(args.warm_up):
                await cycle(c, i, collections.defaultdict(list))
            c0, t0 = time.process_time(), time.perf_counter()
            for i in range(args.cycles):
                await cycle(c, args.warm_up + i, cpu)
            total, wall = time.process_time() - c0, time.perf_counter() - t0
            counted: collections.Counter[str] = collections.Counter()
            if args.count:
                step: dict[str, Any] = {"now": "", "task": None}
                engine = app.state.runtime.engine.sync_engine

                def tally(*_: Any) -> None:
                    # the command's own (ASGI runs it in the caller's task), not the
                    # relay's or the read models' meanwhile
                    if asyncio.current_task() is step["task"]:
                        counted[step["now"]] += 1

                event.listen(engine, "before_cursor_execute", tally)
                # a second client whose calls name the step being counted
                for i in range(max(1, args.cycles // 10)):
                    per: dict[str, list[float]] = collections.defaultdict(list)

                    class Marking(httpx.AsyncClient):
                        async def request(self, method: str, url: Any, **kw: Any) -> Any:
                            path = str(url)
                            step["task"] = asyncio.current_task()
                            step["now"] = next(
                                (s for s in STEPS[1:] if path.endswith(s.replace("_", "-"))),
                                "place",
                            )
                            return await super().request(method, url, **kw)

                    async with Marking(
                        transport=httpx.ASGITransport(app=app), base_url="http://m"
                    ) as marking:
                        await cycle(marking, 10_000 + i, per)
                event.remove(engine, "before_cursor_execute", tally)
    finally:
        redis = Redis.from_url(args.redis_url)
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
        tmp.cleanup()
    n = args.cycles
    print(
        f"{n} cycles in {wall:.1f} s; CPU {total / n * 1000:.2f} ms per cycle "
        f"({total / n / len(STEPS) * 1000:.2f} per command), load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    for s in STEPS:
        line = f"  {s:<10} median CPU {statistics.median(cpu[s]) * 1000:6.2f} ms"
        if args.count:
            line += f"   statements {counted[s] / max(1, n // 10):5.1f}"
        print(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--warm-up", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL")
        or os.environ.get("TEST_REDIS_URL")
        or "redis://127.0.0.1:6379/0",
    )
    parser.add_argument("--count", action="store_true", help="count statements per command")
    asyncio.run(run(parser.parse_args()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
