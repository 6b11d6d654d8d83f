"""The ladder's daily re-evaluation (每日进阶复核).

Rules that depend on time — a certificate held five years, training hours of the last three
years — change a worker's eligibility without any event. Once a day, at
``REGISTRY_LADDER_SWEEP_AT`` (local time, default 02:00), the one leading registry process
re-evaluates every worker of its node and publishes each decision that changed; the same
code answers ``POST /ladder/evaluate``. Each day's sweep is recorded in ``lr_sweeps``, so a
restart neither skips nor repeats a day; a new database starts its record from the day it
first ran (nothing of it is older than its events).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Column, Date, DateTime, Integer, MetaData, Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.kernel.db import reading, writing
from shegong.kernel.leader_job import LeaderJob
from shegong.kernel.schema import events_table
from shegong.kernel.store import CommandContext, EventStore
from shegong.registry.domain.worker import Worker
from shegong.registry.ladder.process import ladder_facts
from shegong.registry.ladder.rules import Step, evaluate, load_ladder
from shegong.registry.ladder.standing import LadderStanding, standing_id

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
    store: EventStore, steps: list[Step], day: date, ctx: CommandContext | None = None
) -> dict[str, Any]:
    """Re-evaluate every worker of this node as of ``day``; publish what changed, as
    ``ctx``'s actor (an API key that asked), else as the registry's own ladder."""
    ctx = ctx or CommandContext(actor="registry.ladder")
    async with reading(store.engine) as conn:
        worker_ids = list(
            await conn.scalars(
                select(events_table.c.stream_id)
                .where(events_table.c.aggregate_type == "worker")
                .distinct()
            )
        )
    published = 0
    for worker_id in worker_ids:
        async with store.transaction(ctx) as tx:
            worker = await tx.load(Worker, worker_id)
            if worker is None:
                continue
            tx.ctx = replace(ctx, department=worker.profile.get("department"))
            certs = [(c.level, c.certified_on) for c in worker.certificates]
            facts = await ladder_facts(tx.conn, worker_id, certs)
            ladder = await tx.load(LadderStanding, standing_id(worker_id)) or LadderStanding(
                standing_id(worker_id)
            )
            ladder.decide(evaluate(steps, facts, day), day)
            published += len(await tx.save(ladder))
    return {"as_of": day, "workers": len(worker_ids), "events": published}


class LadderSweep(LeaderJob):
    name = "registry-ladder-sweep"

    def __init__(
        self,
        store: EventStore,
        at: time,
        *,
        tick_s: float = 60.0,
        steps: list[Step] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
    ) -> None:
        super().__init__(store.engine, tick_s)
        self.store, self.at, self.steps, self.now = store, at, steps or load_ladder(), now

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
            result = await evaluate_all(self.store, self.steps, self.now().date())
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
