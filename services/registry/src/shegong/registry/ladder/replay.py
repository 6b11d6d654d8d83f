"""What the ladder has decided on already (kept through a rebuild of its read models).

The ladder's process and watches publish decisions while they follow the feeds. A
rebuild replays those feeds to refill the read models; deciding again on the way would
publish decisions made from half-rebuilt facts. ``ladder_state`` keeps, per projection
and source, the last position the ladder decided on: a replayed event refills the facts
and decides nothing; an event past it (a catch-up after a gap) decides as usual.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, MetaData, String, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts import Envelope

state_metadata = MetaData()

ladder_state = Table(
    "ladder_state",
    state_metadata,
    Column("projection", String(64), primary_key=True),
    Column("source", String(200), primary_key=True),
    Column("high_water", BigInteger, nullable=False),
)


async def first_time(conn: AsyncConnection, projection: str, envelope: Envelope) -> bool:
    """True (and remembered, in the caller's transaction) the first time ``projection``
    decides on ``envelope``; False when it is replayed."""
    key = (ladder_state.c.projection == projection) & (ladder_state.c.source == envelope.source)
    seen = await conn.scalar(select(ladder_state.c.high_water).where(key))
    if seen is not None and envelope.sequence <= seen:
        return False
    if seen is None:
        await conn.execute(
            ladder_state.insert().values(
                projection=projection, source=envelope.source, high_water=envelope.sequence
            )
        )
    else:
        await conn.execute(update(ladder_state).where(key).values(high_water=envelope.sequence))
    return True


class HighWaters:
    """:func:`first_time` for a batch of one projection: one read per source, and the
    high water written once per source, in the batch's transaction (``write``)."""

    def __init__(self, projection: str) -> None:
        self.projection = projection
        self._stored: dict[str, int | None] = {}
        self._now: dict[str, int] = {}

    async def first_time(self, conn: AsyncConnection, envelope: Envelope) -> bool:
        source = envelope.source
        if source not in self._stored:
            self._stored[source] = await conn.scalar(
                select(ladder_state.c.high_water).where(self._key(source))
            )
        seen = self._now.get(source, self._stored[source])
        if seen is not None and envelope.sequence <= seen:
            return False
        self._now[source] = envelope.sequence
        return True

    async def write(self, conn: AsyncConnection) -> None:
        for source, high_water in self._now.items():
            if self._stored[source] is None:
                await conn.execute(
                    ladder_state.insert().values(
                        projection=self.projection, source=source, high_water=high_water
                    )
                )
            else:
                await conn.execute(
                    update(ladder_state).where(self._key(source)).values(high_water=high_water)
                )
        self.forget()

    def forget(self) -> None:
        self._stored, self._now = {}, {}

    def _key(self, source: str) -> Any:
        return (ladder_state.c.projection == self.projection) & (ladder_state.c.source == source)
