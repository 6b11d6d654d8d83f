"""The region tree as a table (区—街道—社区), from the registry's stream."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, delete
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts import Envelope, Event
from shegong.contracts.registry import REGISTRY_STREAM, RegionDefined
from shegong.kernel.events.read_model import Projection

metadata = MetaData()

regions = Table(
    "rm_regions",
    metadata,
    Column("code", String(200), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("level", String(16), nullable=False),
    Column("parent", String(200), index=True),
    Column("urban_population", Integer),
)


class RegionsProjection(Projection):
    name = "regions"
    contract = REGISTRY_STREAM
    aggregates = frozenset({"region"})
    handles = frozenset({"RegionDefined"})
    metadata = metadata
    # Under a big import every registry projection queues for the one write lock: a turn
    # per 1,000 entries, not per 200 (most of these entries it skips undecoded).
    min_batch = 1000

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        if not isinstance(event, RegionDefined):
            return
        await conn.execute(delete(regions).where(regions.c.code == event.code))
        await conn.execute(regions.insert().values(**event.data()))
