"""The durable timers' clock (社区响应时限): one leader escalates what is due.

Deadlines live in the ``deadlines`` table, written with the events that set them, so a
restart loses nothing: the next leader finds every overdue deadline and acts on it.
Only the leader (PostgreSQL advisory lock / a file lock beside SQLite) acts; each
escalation re-checks its deadline inside its own transaction, so even two leaders in a
hand-over cannot escalate the same order twice.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.kernel.db import reading
from shegong.kernel.leadership import Leadership
from shegong.kernel.lifecycle import finish, pause
from shegong.matching.adapters.tables import deadlines
from shegong.matching.application.requests import MatchingCommands

log = logging.getLogger("shegong.matching.scheduler")


class EscalationScheduler:
    def __init__(self, engine: AsyncEngine, commands: MatchingCommands, tick_s: float) -> None:
        self.engine, self.commands, self.tick_s = engine, commands, tick_s
        self.leadership = Leadership(engine, "matching-scheduler")
        self.is_leader = False
        self.escalated_total = 0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self.run(), name="matching-scheduler")

    async def stop(self) -> None:
        self._stop.set()
        await finish(self._task)
        await self.leadership.release()
        self.is_leader = False

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                if await self._lead():
                    await self.tick()
            except Exception as err:  # the database may be away for a moment
                log.warning("scheduler tick failed: %s", err)
            if await pause(self._stop, self.tick_s):
                return

    async def _lead(self) -> bool:
        if self.is_leader and not await self.leadership.still_held():
            await self.leadership.release()
            self.is_leader = False
        if not self.is_leader:
            self.is_leader = await self.leadership.try_acquire()
            if self.is_leader:
                log.info("this process now runs matching's timers")
        return self.is_leader

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
            if self._stop.is_set():
                break
            try:
                moved += await self.commands.escalate_due(request_id)
            except Exception as err:
                log.warning("escalating %s failed: %s", request_id, err)
        self.escalated_total += moved
        return moved
