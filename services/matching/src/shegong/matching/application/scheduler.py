"""The durable timers' clock (社区响应时限): one leader escalates what is due.

Deadlines live in the ``deadlines`` table, written with the events that set them, so a
restart loses nothing: the next leader finds every overdue deadline and acts on it.
Only the leader (PostgreSQL advisory lock / a file lock beside SQLite) acts; each
escalation re-checks its deadline inside its own transaction, so even two leaders in a
hand-over cannot escalate the same order twice.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.kernel.events.leader_job import LeaderJob
from shegong.kernel.ops.db import reading
from shegong.matching.adapters.tables import deadlines
from shegong.matching.application.requests import MatchingCommands

log = logging.getLogger("shegong.matching.scheduler")


class EscalationScheduler(LeaderJob):
    name = "matching-scheduler"

    def __init__(self, engine: AsyncEngine, commands: MatchingCommands, tick_s: float) -> None:
        super().__init__(engine, tick_s)
        self.commands = commands
        self.escalated_total = 0

    async def tick(self) -> int:
        """Escalate every order whose deadline has passed; returns how many moved."""
        async with reading(self.engine) as conn:
            due = list(
                await conn.scalars(
                    select(deadlines.c.request_id)
                    .where(deadlines.c.due_ts <= time.time())
                    .order_by(deadlines.c.due_ts)
                    .limit(200)
                )
            )
        moved = 0
        for request_id in due:
            if self.stopping:
                break
            try:
                moved += await self.commands.escalate_due(request_id)
            except Exception as err:
                log.warning("escalating %s failed: %s", request_id, err)
        self.escalated_total += moved
        return moved
