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


async def test_a_writer_waits_for_another_connections_lock_off_the_event_loop(
    tmp_path: Path,
) -> None:
    """Statements run on the loop's thread, but one that meets a database locked by another
    connection (another process, another engine) waits for it on aiosqlite's thread: the
    loop keeps serving meanwhile, and the write lands once the lock is free."""
    path = tmp_path / "busy.db"
    engine = create_engine(f"sqlite:///{path}")
    other = create_engine(f"sqlite:///{path}")  # its own write queue: meets SQLITE_BUSY
    try:
        async with writing(engine) as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        async with writing(other) as holder:
            await holder.execute(text("INSERT INTO t VALUES (1)"))

            async def second_writer() -> None:
                async with writing(engine) as conn:
                    await conn.execute(text("INSERT INTO t VALUES (2)"))

            waiting = asyncio.create_task(second_writer())
            await asyncio.sleep(0.3)
            assert not waiting.done()  # it waits for the lock…
            assert ticks >= 10  # …and the loop kept running meanwhile
        await asyncio.wait_for(waiting, 10)
        ticker.cancel()
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT x FROM t ORDER BY x"))).scalars().all()
        assert rows == [1, 2]
    finally:
        await engine.dispose()
        await other.dispose()
