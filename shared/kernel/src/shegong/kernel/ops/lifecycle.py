"""Stopping background loops without cutting a transaction in half.

Cancelling a task inside an SQLite transaction leaves aiosqlite's thread holding the
write lock until the connection is collected: the next writer then waits out the busy
timeout. Loops therefore check a stop event at safe points and are awaited; only a loop
that does not finish in time is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import TypeVar

log = logging.getLogger("shegong.lifecycle")

T = TypeVar("T")


async def pause(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to ``seconds``; True if a stop was requested (now or meanwhile)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()


async def finish(task: asyncio.Task[None] | None, timeout: float = 10.0) -> None:
    """Let a loop that was asked to stop end by itself; cancel it only as a last resort."""
    if task is None or task.done():
        return
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        log.warning("%s did not stop within %.0fs; cancelling it", task.get_name(), timeout)
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


async def unless_stopped(stop: asyncio.Event, wait: Awaitable[T]) -> T | None:
    """``wait``'s result, or None as soon as a stop is requested (``wait`` cancelled then):
    for a wait that holds nothing worth finishing, such as a read from another service
    that does not answer. The loop asked to stop ends at once instead of when it times
    out."""
    task = asyncio.ensure_future(wait)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return None if task.cancelled() else task.result()
