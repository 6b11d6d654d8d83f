"""When the census learns again (``census/learning.py``): when due, but not while a big
import of its own node is still waiting to be read — and never later than when the census
has grown to ``POSTPONE_GROWTH`` × the records its model learned from."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from shegong.kernel.events.schema import events_table, metadata
from shegong.kernel.ops.db import create_engine, reading
from shegong.registry.census import learning
from shegong.registry.census.linkage import MIN_TRAIN, Linker


class _Counting(Linker):
    """A linker whose size and due-ness the test sets, and whose learning is counted."""

    def __init__(self, size: int, trained_at: int) -> None:
        super().__init__()
        self.size, self.trained_at, self.learned = size, trained_at, 0

    def __len__(self) -> int:
        return self.size

    def training_due(self) -> bool:
        return True

    def train(self) -> list:  # type: ignore[type-arg]
        self.learned += 1
        return []


async def _store_with(tmp_path: Path, registrations: int, after: int):  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'registry.sqlite3'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        now = datetime.now(UTC)
        rows = [
            {
                "position": position,
                "event_id": f"e{position}",
                "stream_id": f"worker-{position}",
                "aggregate_type": "worker",
                "version": 1,
                # Other events between them (certificates, the census's own links) do
                # not count: only registrations grow the census.
                "type": "WorkerRegistered" if position % 2 else "WorkerCertified",
                "schema_version": 1,
                "correlation_id": "c",
                "occurred_at": now,
                "recorded_at": now,
                "data": {},
            }
            for position in range(1, after + 2 * registrations + 1)
        ]
        await conn.execute(insert(events_table), rows)
    return engine


async def test_learning_waits_for_a_big_import_still_being_read(tmp_path) -> None:
    engine = await _store_with(tmp_path, registrations=learning.BACKLOG, after=10)
    try:
        async with reading(engine) as conn:
            linker = _Counting(size=3 * MIN_TRAIN, trained_at=MIN_TRAIN)
            assert await learning.learn_when_due(conn, linker, after=10) == []
            assert linker.learned == 0  # a thousand registrations wait: later
            # One fewer waiting: the census is (nearly) caught up, and learns now.
            await learning.learn_when_due(conn, linker, after=12)
            assert linker.learned == 1
            # Grown to POSTPONE_GROWTH × its model's records: learns whatever waits.
            grown = _Counting(size=learning.POSTPONE_GROWTH * MIN_TRAIN, trained_at=MIN_TRAIN)
            await learning.learn_when_due(conn, grown, after=10)
            assert grown.learned == 1
            # Nothing of its own node applied yet (another node's events): as before.
            fresh = _Counting(size=MIN_TRAIN, trained_at=0)
            await learning.learn_when_due(conn, fresh, after=None)
            assert fresh.learned == 1
    finally:
        await engine.dispose()
