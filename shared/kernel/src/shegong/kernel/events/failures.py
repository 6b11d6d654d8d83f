"""A projection's failed attempts at an event (``event_failures``) and the events it gave
up on (``dead_letters``: skipped from then on, and visible as dead)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.contracts import Envelope
from shegong.kernel.events.schema import dead_letters, event_failures
from shegong.kernel.ops.db import writing


async def record(engine: AsyncEngine, projection: str, envelope: Envelope, error: str) -> int:
    """Count one more failed attempt of ``envelope``; returns the count."""
    now = datetime.now(UTC)
    key = (event_failures.c.projection == projection) & (event_failures.c.event_id == envelope.id)
    error = error[:4000]
    async with writing(engine) as conn:
        attempts = await conn.scalar(select(event_failures.c.attempts).where(key))
        if attempts is None:
            attempts = 1
            await conn.execute(
                event_failures.insert().values(
                    projection=projection,
                    event_id=envelope.id,
                    attempts=1,
                    last_error=error,
                    updated_at=now,
                )
            )
        else:
            attempts += 1
            await conn.execute(
                update(event_failures)
                .where(key)
                .values(attempts=attempts, last_error=error, updated_at=now)
            )
    return int(attempts)


async def bury(
    engine: AsyncEngine, projection: str, envelope: Envelope, error: str, attempts: int
) -> None:
    """Give up on ``envelope``: a dead letter, once."""
    async with writing(engine) as conn:
        exists = await conn.scalar(
            select(dead_letters.c.id).where(
                (dead_letters.c.projection == projection) & (dead_letters.c.event_id == envelope.id)
            )
        )
        if exists is None:
            await conn.execute(
                dead_letters.insert().values(
                    projection=projection,
                    event_id=envelope.id,
                    source=envelope.source,
                    sequence=envelope.sequence,
                    type=envelope.type,
                    error=error[:4000],
                    attempts=attempts,
                    dead_at=datetime.now(UTC),
                )
            )
