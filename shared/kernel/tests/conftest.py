from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shegong.kernel.events.schema import metadata
from shegong.kernel.events.store import EventStore, EventStoreIdentity
from shegong.kernel.ops.db import create_engine
from shegong.kernel.testing import TALLY_STREAM


async def make_store(url: str, source: str = "/shegong/tally/test") -> EventStore:
    engine = create_engine(url)
    store = EventStore(
        engine, EventStoreIdentity(service="tally", source=source, contract=TALLY_STREAM)
    )
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return store


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[EventStore]:
    s = await make_store(database_url)
    yield s
    await s.engine.dispose()
