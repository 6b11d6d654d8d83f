"""SQLite's in-process write queue: a command is not queued behind every projection batch."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from shegong.kernel.ops.db import create_engine, writing


async def test_a_command_waits_for_at_most_one_queued_projection_batch(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    order: list[str] = []

    async def write(name: str, *, background: bool) -> None:
        async with writing(engine, background=background) as conn:
            order.append(name)
            await conn.execute(text("SELECT 1"))
            await asyncio.sleep(0.05)

    try:
        first = asyncio.create_task(write("batch-1", background=True))
        await asyncio.sleep(0.01)  # batch-1 holds the lock
        batches = [asyncio.create_task(write(f"batch-{i}", background=True)) for i in range(2, 6)]
        await asyncio.sleep(0.01)  # …and four more batches are waiting
        command = asyncio.create_task(write("command", background=False))
        await asyncio.gather(first, *batches, command)
    finally:
        await engine.dispose()
    # The writer in progress, one queued batch at most, then the command; every batch ran.
    assert order.index("command") <= 2, order
    assert sorted(order) == sorted(["command", *(f"batch-{i}" for i in range(1, 6))])
    assert [b for b in order if b != "command"] == [f"batch-{i}" for i in range(1, 6)]
