"""A read model walks every known feed when it catches up or rebuilds; another
service's events there are not on its stream and must be skipped, not failed on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select

from shegong.contracts import Envelope
from shegong.kernel.events.feed import Feeds
from shegong.kernel.events.projection import ProjectionRunner
from shegong.kernel.events.schema import dead_letters, event_failures
from shegong.kernel.events.store import EventStore
from shegong.kernel.ops.db import reading
from shegong.kernel.testing import Counter, TallyProjection, tally_rows


class OtherServiceFeed:
    """A feed of events of a type the tally contract does not know."""

    def __init__(self, count: int) -> None:
        now = datetime.now(UTC)
        self.reads = 0
        self.events = [
            Envelope(
                id=str(uuid.uuid4()),
                type="SomethingElseHappened",
                schema_version=1,
                source="/shegong/other/city",
                service="other",
                subject="x",
                aggregate_type="thing",
                aggregate_version=n,
                sequence=n,
                time=now,
                recorded_time=now,
                correlation_id="c",
                data={"anything": n},
            )
            for n in range(1, count + 1)
        ]

    async def read_after(self, position: int, limit: int = 1000) -> list[Envelope]:
        self.reads += 1
        return [e for e in self.events if e.sequence > position][:limit]


async def test_catch_up_and_rebuild_skip_other_services_feeds(store: EventStore) -> None:
    async with store.transaction() as tx:
        counter = Counter("c1")
        counter.count(2)
        counter.count(3)
        await tx.save(counter)
    other = OtherServiceFeed(7)
    feeds = Feeds({store.identity.source: store, "/shegong/other/city": other})
    runner = ProjectionRunner(store.engine, TallyProjection(), feeds)
    await runner.create_schema()
    assert await runner.catch_up("/shegong/other/city") == 0
    assert await runner.catch_up(store.identity.source) == 2
    assert await tally_rows(store.engine) == {"c1": (5, 2)}
    # Another service's store: none of its events is on this stream; it is not read again.
    assert "/shegong/other/city" not in await runner.positions()
    reads = other.reads
    assert await runner.catch_up("/shegong/other/city") == 0
    assert other.reads == reads
    async with reading(store.engine) as conn:  # skipped, not failed five times and buried
        for table in (event_failures, dead_letters):
            assert await conn.scalar(select(func.count()).select_from(table)) == 0
    assert await runner.rebuild() == 2
    assert await tally_rows(store.engine) == {"c1": (5, 2)}
