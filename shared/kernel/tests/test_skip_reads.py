"""A consumer group whose read model ignores what the stream carries skips it without
reading its positions table for every batch — and still skips exactly once, fills a gap,
and leaves duplicates alone (``SkippedPositions.following``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, ClassVar

from sqlalchemy import event

from shegong.kernel.events.feed import Feeds
from shegong.kernel.events.projection import ProjectionRunner
from shegong.kernel.events.store import EventStore
from shegong.kernel.testing import TallyProjection, count_up, tally_rows


class GaugesOnly(TallyProjection):
    """Reads an aggregate the test never writes: every ``Counted`` is skipped."""

    aggregates: ClassVar[frozenset[str] | None] = frozenset({"gauge"})


@contextlib.contextmanager
def positions_reads(store: EventStore) -> Iterator[list[str]]:
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM projection_positions" in statement:
            seen.append(statement)

    target = store.engine.sync_engine
    event.listen(target, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", before)


async def test_a_skip_only_batch_continuing_known_positions_reads_no_positions(store) -> None:
    await count_up(store, "k", 9)
    events = await store.read_after(0)
    source = events[0].source
    runner = ProjectionRunner(store.engine, GaugesOnly(), Feeds({source: store}))
    await runner.create_schema()
    with positions_reads(store) as reads:
        await runner.process(events[:3])  # the first batch: positions read from the table
        first = len(reads)
        await runner.process(events[3:5])  # continues 3 → no read
        await runner.process(events[5:6])
        assert len(reads) == first == 1
        await runner.process(events[4:6])  # a redelivery: read, both duplicates
        assert len(reads) == first + 1
        await runner.process(events[7:9])  # a gap (a replica took #7): read, #7 filled
        assert len(reads) > first + 1
    assert (await runner.positions())[source] == 9
    await runner.save_skipped()
    assert (await ProjectionRunner(store.engine, GaugesOnly(), Feeds({})).positions()) == {
        source: 9
    }
    assert await tally_rows(store.engine) == {}  # nothing applied, only skipped


async def test_a_wanted_entry_after_known_positions_is_applied_once(store) -> None:
    await count_up(store, "k", 4)
    events = await store.read_after(0)
    runner = ProjectionRunner(store.engine, TallyProjection(), Feeds({events[0].source: store}))
    await runner.create_schema()
    await runner.process(events[:2])
    await runner.process(events[1:4])  # #2 again with #3, #4: #2 is a duplicate
    await runner.process(events[2:4])
    assert await tally_rows(store.engine) == {"k": (4, 4)}


async def test_a_batch_asks_once_whether_spans_are_recorded(store, monkeypatch) -> None:
    """Whether tracing records spans is asked once a batch, not for every event (the
    provider's look-up was ≈ 1 % of the host's CPU under a big import); each event is
    still applied once."""
    from shegong.kernel.events import projection as module

    asked: list[bool] = []
    real = module.tracing.enabled

    def counted() -> bool:
        asked.append(True)
        return real()

    await count_up(store, "k", 40)
    events = await store.read_after(0)
    runner = ProjectionRunner(store.engine, TallyProjection(), Feeds({events[0].source: store}))
    await runner.create_schema()
    monkeypatch.setattr(module.tracing, "enabled", counted)
    await runner.process(events)
    assert len(asked) == 1
    assert await tally_rows(store.engine) == {"k": (40, 40)}
