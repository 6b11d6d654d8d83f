"""A periodic job that exactly one process of a service runs (单主定时任务): whoever holds
the service's :class:`Leadership` lock ticks every ``tick_s``; the others wait to take over.

Subclasses say what a tick does (:meth:`LeaderJob.tick`); the loop keeps leadership
honest (a lost PostgreSQL session or lock file is noticed before the next tick), survives a
database that is away for a moment, and stops at a safe point (``lifecycle``).
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.kernel.events.leadership import Leadership
from shegong.kernel.ops.lifecycle import finish, pause

log = logging.getLogger("shegong.leader_job")


class LeaderJob:
    name = "job"

    def __init__(self, engine: AsyncEngine, tick_s: float) -> None:
        self.engine, self.tick_s = engine, tick_s
        self.leadership = Leadership(engine, self.name)
        self.is_leader = False
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def tick(self) -> int:
        """One round of the job; returns how many things it did."""
        raise NotImplementedError

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self.run(), name=self.name)

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
                log.warning("%s: tick failed: %s", self.name, err)
            if await pause(self._stop, self.tick_s):
                return

    async def _lead(self) -> bool:
        if self.is_leader and not await self.leadership.still_held():
            await self.leadership.release()
            self.is_leader = False
        if not self.is_leader:
            self.is_leader = await self.leadership.try_acquire()
            if self.is_leader:
                log.info("this process now runs %s", self.name)
        return self.is_leader
