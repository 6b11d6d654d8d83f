"""Events of an older schema version, across processes: a training database written by the
previous release (``BaseRegistered`` / ``SessionScheduled`` of schema version 1, before they
named their owning department) is opened by this release running as in production. Its relay
publishes the old entries as they are, its read models apply them through the contracts'
upcasters (v1 reads as owned by no department: the city administrator's alone), nothing is
dead-lettered, new version-2 events sit beside them, and the read models equal a rebuild."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from redis.asyncio import Redis
from sqlalchemy import insert

from shegong.contracts.training import BaseRegistered, SessionScheduled
from shegong.kernel.events.schema import events_table
from shegong.kernel.ops.db import create_engine, writing
from shegong.kernel.ops.runtime import Runtime
from shegong.kernel.testing import eventually, rebuild_differences
from shegong.training.main import SERVICE, TrainingSettings

# What the previous release wrote: the data of version 1, without ``department``.
OLD_BASE = {"base_id": "base-old", "name": "旧版培训基地", "kind": "training_base",
            "tier": "county", "region": "安定区"}  # fmt: skip
OLD_SESSION = {"session_id": "session-old", "kind": "prejob", "title": "岗前培训（旧版）",
               "held_on": "2025-03-01", "hours": 8.0, "base_id": "base-old", "capacity": 30,
               "audience": None, "skills": [], "serves": []}  # fmt: skip


async def _write_old_events(database_url: str) -> None:
    engine = create_engine(database_url)
    now = datetime.now(UTC)
    rows = []
    for position, (cls, stream_id, data) in enumerate(
        [(BaseRegistered, "base-old", OLD_BASE), (SessionScheduled, "session-old", OLD_SESSION)],
        start=1,
    ):
        assert cls.schema_version > 1, "this test is about an event that has evolved"
        rows.append(
            {
                "position": position,
                "event_id": str(uuid.uuid4()),
                "stream_id": stream_id,
                "aggregate_type": cls.aggregate_type,
                "version": 1,
                "type": cls.model_fields["type"].default,
                "schema_version": 1,
                "department": "civil-affairs",
                "actor": "old-release",
                "correlation_id": uuid.uuid4().hex,
                "occurred_at": now,
                "recorded_at": now,
                "data": data,
            }
        )
    try:
        async with writing(engine) as conn:
            await conn.execute(insert(events_table), rows)
    finally:
        await engine.dispose()


async def test_a_previous_releases_events_are_upcast_not_dead_lettered(
    redis: Redis, service_process, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path}/training.db"
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "STREAM_PREFIX": stream_prefix,
        "PII_HASH_KEY": "k" * 32,
        "LOG_LEVEL": "WARNING",
    }
    migrated = subprocess.run(
        [sys.executable, "-m", "shegong.training", "migrate"],
        env={**env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrated.returncode == 0, migrated.stderr
    await _write_old_events(database_url)

    svc = service_process("shegong.training", env, tmp_path / "training.log")
    svc.start()
    stream = f"{stream_prefix}training.events"
    async with httpx.AsyncClient(base_url=svc.url) as client:

        async def old_ones_applied() -> dict[str, dict[str, object]] | None:
            bases = (await client.get("/bases")).json()
            sessions = (await client.get("/sessions")).json()
            found = {b["base_id"]: b for b in bases} | {s["session_id"]: s for s in sessions}
            return found if {"base-old", "session-old"} <= set(found) else None

        found = await eventually(old_ones_applied, timeout=30)
        # Read through the upcaster: owned by no department.
        assert found["base-old"]["department"] is None
        assert found["session-old"]["department"] is None
        assert found["session-old"]["held_on"] == "2025-03-01"

        # A new base of this release beside them: version 2, naming its department.
        new = await client.post(
            "/bases",
            json={"name": "新版培训基地", "kind": "培训基地", "tier": "县级"},
            headers={"X-Department": "hrss"},
        )
        assert new.status_code == 201, new.text
        new_id = new.json()["base"]["base_id"]

        async def new_one_applied() -> bool:
            return new_id in {b["base_id"] for b in (await client.get("/bases")).json()}

        await eventually(new_one_applied)

    versions = {
        (f[b"type"], f[b"schemaversion"]) for _, f in await redis.xrange(stream)
    }  # the relay publishes each entry as it was stored
    assert (b"BaseRegistered", b"1") in versions and (b"BaseRegistered", b"2") in versions
    assert (b"SessionScheduled", b"1") in versions
    assert await redis.exists(f"{stream}.dlq") == 0, "an old entry was dead-lettered"
    svc.stop()

    runtime = Runtime(SERVICE, TrainingSettings(database_url=database_url, redis_url=redis_url))
    try:
        assert await rebuild_differences(runtime) == {}
    finally:
        await runtime.engine.dispose()
        await runtime.redis.aclose()
