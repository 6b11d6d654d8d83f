"""A tiny contract, aggregate and read model for testing the kernel itself.

``TallyProjection`` *adds* on every event it applies, so a duplicate application or a
lost event shows in its totals — exactly what the kernel's guarantees must prevent.
Shipped in the package (as the eventsourcing library ships its test cases) so the
kernel's tests and the benchmarks share one definition.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal, TypeVar

from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shegong.contracts import Envelope, Event, StreamContract
from shegong.kernel.events.aggregate import Aggregate, DomainError
from shegong.kernel.events.read_model import Projection
from shegong.kernel.ops.db import reading

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from shegong.kernel.events.store import EventStore
    from shegong.kernel.ops.runtime import Runtime


class Counted(Event):
    """A counter went up."""

    aggregate_type = "counter"
    type: Literal["Counted"] = "Counted"
    by: int


class Poisoned(Event):
    """An event the tally refuses to apply, always."""

    aggregate_type = "counter"
    type: Literal["Poisoned"] = "Poisoned"


TALLY_STREAM = StreamContract(
    name="tally.events",
    service="tally",
    description="Kernel test events",
    events=(Counted, Poisoned),
)


class Counter(Aggregate):
    type_name = "counter"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.total = 0

    def count(self, by: int = 1) -> None:
        if by <= 0:
            raise DomainError("by must be positive", field="by", zh="by 必须为正数")
        self.record(Counted(by=by))

    def when_Counted(self, e: Counted) -> None:
        self.total += e.by

    def when_Poisoned(self, e: Poisoned) -> None:
        pass


tally_metadata = MetaData()
tallies = Table(
    "tallies",
    tally_metadata,
    Column("counter_id", String(64), primary_key=True),
    Column("total", Integer, nullable=False),
    Column("applied", Integer, nullable=False),
)


# Built once (a statement built per call costs more than SQLite running it).
_TALLY_OF = select(tallies.c.total, tallies.c.applied).where(
    tallies.c.counter_id == bindparam("id")
)
_TALLY_NEW = tallies.insert()
_TALLY_SET = (
    tallies.update()
    .where(tallies.c.counter_id == bindparam("id"))
    .values(total=bindparam("to"), applied=bindparam("n"))
)


class TallyProjection(Projection):
    name: ClassVar[str] = "tally"
    contract = TALLY_STREAM
    handles = frozenset({"Counted", "Poisoned"})
    metadata = tally_metadata

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        if isinstance(event, Poisoned):
            raise ValueError("poisoned event")
        assert isinstance(event, Counted)
        row = (await conn.execute(_TALLY_OF, {"id": envelope.subject})).first()
        if row is None:
            await conn.execute(
                _TALLY_NEW, {"counter_id": envelope.subject, "total": event.by, "applied": 1}
            )
        else:
            await conn.execute(
                _TALLY_SET,
                {"id": envelope.subject, "to": row.total + event.by, "n": row.applied + 1},
            )


class BatchedTallyProjection(TallyProjection):
    """The same read model written as a production read model writes in bulk: ``apply``
    adds in memory, ``flush`` reads the batch's counters once and writes each once (one
    INSERT and one UPDATE statement per batch, executemany). It still *adds*, so a
    duplicate application or a lost event still shows in its totals; the runner's
    positions, written in the same transaction, are what keeps each event applied once."""

    def __init__(self) -> None:
        self._pending: dict[str, list[int]] = {}  # counter → [total added, events applied]

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        if isinstance(event, Poisoned):
            raise ValueError("poisoned event")
        assert isinstance(event, Counted)
        added = self._pending.setdefault(envelope.subject, [0, 0])
        added[0] += event.by
        added[1] += 1

    async def flush(self, conn: AsyncConnection) -> None:
        pending, self._pending = self._pending, {}
        if not pending:
            return
        known = {
            r.counter_id: r
            for r in await conn.execute(
                select(tallies).where(tallies.c.counter_id.in_(list(pending)))
            )
        }
        new = [
            {"counter_id": key, "total": by, "applied": n}
            for key, (by, n) in pending.items()
            if key not in known
        ]
        moved = [
            {"id": key, "to": known[key].total + by, "n": known[key].applied + n}
            for key, (by, n) in pending.items()
            if key in known
        ]
        if new:
            await conn.execute(_TALLY_NEW, new)
        if moved:
            await conn.execute(_TALLY_SET, moved)

    def rolled_back(self) -> None:
        self._pending = {}


async def count_up(store: EventStore, counter_id: str, times: int) -> None:
    """Count ``counter_id`` up ``times`` times, a transaction (an event) each."""
    for _ in range(times):
        async with store.transaction() as tx:
            c = await tx.load(Counter, counter_id) or Counter(counter_id)
            c.count(1)
            await tx.save(c)


async def tally_rows(engine: AsyncEngine) -> dict[str, tuple[int, int]]:
    async with reading(engine) as conn:
        rows = await conn.execute(select(tallies))
        return {r.counter_id: (r.total, r.applied) for r in rows}


T = TypeVar("T")


async def nothing_pending(redis: Redis, stream: str) -> bool:
    """Every consumer group of ``stream`` has read it to its last entry and acknowledged
    all it read (and there is one). A group that has not yet been handed the newest
    entries is behind as much as one that holds them unacknowledged."""
    groups = await redis.xinfo_groups(stream)
    if not groups:
        return False
    last = (await redis.xinfo_stream(stream))["last-generated-id"]
    return all(g["pending"] == 0 and g["last-delivered-id"] == last for g in groups)


async def longest_stall(
    work: Callable[[], Awaitable[T]], tick: float = 0.005
) -> tuple[float, float, T]:
    """How long the running loop stood still at the most (a ``tick``-second ticker's worst
    lateness) while ``work`` ran, how long it took, and its answer: whether a request that
    runs for seconds lets the service answer others meanwhile."""
    loop = asyncio.get_running_loop()
    longest = 0.0

    async def ticker() -> None:
        nonlocal longest
        while True:
            before = loop.time()
            await asyncio.sleep(tick)
            longest = max(longest, loop.time() - before - tick)

    running = asyncio.create_task(ticker())
    await asyncio.sleep(4 * tick)
    longest, started = 0.0, loop.time()
    try:
        answer = await work()
    finally:
        running.cancel()
    return longest, loop.time() - started, answer


async def eventually(check: Callable[[], Awaitable[T]], timeout: float = 20.0) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds.

    The bus is asynchronous by design: tests wait for an outcome, never for a fixed time.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {result!r})")
        await asyncio.sleep(0.05)


async def snapshot(engine: AsyncEngine, metadata: MetaData) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of ``metadata``, sorted, without surrogate keys (an
    autoincrement id depends on insertion order, not on what the rows say)."""
    out: dict[str, list[tuple[object, ...]]] = {}
    async with reading(engine) as conn:
        for table in metadata.sorted_tables:
            columns = [
                c
                for c in table.columns
                if not (c.primary_key and c.autoincrement is True and isinstance(c.type, Integer))
            ]
            rows = await conn.execute(select(*columns))
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


async def rebuild_differences(runtime: Runtime) -> dict[str, str]:
    """Rebuild each read model of ``runtime`` from the feeds and compare with what it held.

    Returns ``{table: description}`` for every table whose rows differ (empty: the read
    models equal a rebuild from the event stores). The service must not be running.
    """
    differences: dict[str, str] = {}
    for runner in runtime.runners:
        before = await snapshot(runtime.engine, runner.projection.metadata)
        await runner.rebuild()
        after = await snapshot(runtime.engine, runner.projection.metadata)
        for table, rows in before.items():
            if rows != after[table]:
                lost = [r for r in rows if r not in after[table]][:3]
                extra = [r for r in after[table] if r not in rows][:3]
                differences[table] = (
                    f"{len(rows)} rows live, {len(after[table])} rebuilt; "
                    f"only live: {lost}; only rebuilt: {extra}"
                )
    return differences


class RoleKeys:
    """A keys file with one key of each kind, as the services' access tests use them: the
    administrator, two departments' clerks (civil-affairs, hrss), an auditor and a service
    (named as the consumer it stands for)."""

    def __init__(self, path: Path, service: str = "training-service") -> None:
        from shegong.kernel.web.api_keys import KeysFile

        self.file = KeysFile(path)
        self.admin = self.file.issue("admin", name="city-admin")
        self.civil = self.file.issue("department", name="mz-clerk", department="civil-affairs")
        self.hrss = self.file.issue("department", name="rs-clerk", department="hrss")
        self.auditor = self.file.issue("auditor", name="audit-office")
        self.service = self.file.issue("service", name=service)
