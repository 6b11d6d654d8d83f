"""The ladder's daily re-evaluation (每日进阶复核).

Rules that depend on time — a certificate held five years, training hours of the last three
years — change a worker's eligibility without any event. Once a day, at
``REGISTRY_LADDER_SWEEP_AT`` (local time, default 02:00), the one leading registry process
re-evaluates every person it decides for (with the census: the city's; without: its own
records) and publishes each decision that changed; the same
code answers ``POST /ladder/evaluate``. Each day's sweep is recorded in ``lr_sweeps``, so a
restart neither skips nor repeats a day; a new database starts its record from the day it
first ran (nothing of it is older than its events).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Column, Date, DateTime, Integer, MetaData, Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.kernel.events.leader_job import LeaderJob
from shegong.kernel.events.schema import events_table
from shegong.kernel.events.store import CommandContext
from shegong.kernel.ops.db import reading, writing
from shegong.registry.ladder.decide import Ladder
from shegong.registry.ladder.persons import everyone

log = logging.getLogger("shegong.registry.ladder")

metadata = MetaData()

sweeps = Table(
    "lr_sweeps",
    metadata,
    Column("day", Date, primary_key=True),
    Column("ran_at", DateTime(timezone=True), nullable=False),
    Column("workers", Integer, nullable=False),
    Column("events", Integer, nullable=False),
)


async def evaluate_all(
    ladder: Ladder, day: date, ctx: CommandContext | None = None
) -> dict[str, Any]:
    """Re-evaluate every person this node decides for as of ``day``; publish what
    changed, as ``ctx``'s actor (an API key that asked), else as the registry's ladder."""
    ctx = ctx or CommandContext(actor="registry.ladder")
    store = ladder.store
    async with reading(store.engine) as conn:
        own = list(
            await conn.scalars(
                select(events_table.c.stream_id)
                .where(events_table.c.aggregate_type == "worker")
                .distinct()
            )
        )
        persons = await everyone(conn, ladder.census, own)
    published = 0
    if ladder.decides:
        for person in persons:
            async with store.transaction(ctx) as tx:
                await ladder.decide_person(tx, person, day)
                published += len(tx.appended)
    return {"as_of": day, "workers": len(persons), "events": published}


class LadderSweep(LeaderJob):
    name = "registry-ladder-sweep"

    def __init__(
        self,
        ladder: Ladder,
        at: time,
        *,
        tick_s: float = 60.0,
        now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
    ) -> None:
        super().__init__(ladder.store.engine, tick_s)
        self.ladder, self.at, self.now = ladder, at, now

    def due_day(self) -> date:
        """The latest day whose sweep time has come."""
        now = self.now()
        return now.date() if now.time() >= self.at else now.date() - timedelta(days=1)

    async def tick(self) -> int:
        due = self.due_day()
        engine: AsyncEngine = self.engine
        async with reading(engine) as conn:
            last = await conn.scalar(select(func.max(sweeps.c.day)))
        if last is not None and last >= due:
            return 0
        result = {"workers": 0, "events": 0}
        if last is not None:  # a new database has nothing older than its own events
            result = await evaluate_all(self.ladder, self.now().date())
            log.info(
                "ladder sweep for %s: %d workers, %d changed decisions published",
                due,
                result["workers"],
                result["events"],
            )
        async with writing(engine) as conn:
            await conn.execute(
                sweeps.insert().values(
                    day=due, ran_at=self.now(), workers=result["workers"], events=result["events"]
                )
            )
        return int(result["events"])
