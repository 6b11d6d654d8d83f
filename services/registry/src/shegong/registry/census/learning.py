"""When the census learns its model again: on demand, and as it grows — but not in the
middle of a big import that is still being read.

Each learning re-scores every record (seconds at tens of thousands of records). Due at
every quarter of growth (``Linker.training_due``), a 20,000-row import under ``shegong
up`` learned 14 times, each time holding up the census's next batch: the learning was
≈ 80 % of the census's computing there. So while at least ``BACKLOG`` more of the
census's own node's registrations are stored and waiting, learning waits for them — up
to ``POSTPONE_GROWTH`` × the records the model in use learned from (a steady flow that
never lets the census catch up still learns). The model then learns from all of the
import (a model learned from most of the records is the better one: ``linkage``'s
``STEADY_TRAIN`` note), and its re-scoring makes the partition that model makes,
whatever the order the records came in.
"""

from __future__ import annotations

import asyncio
import os

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.kernel.events.schema import events_table
from shegong.registry.census.linkage import MIN_TRAIN, Decision, Linker

# 0: learn as soon as due, whatever waits (as before; ``REGISTRY_CENSUS_LEARN_BACKLOG``).
BACKLOG = int(os.environ.get("REGISTRY_CENSUS_LEARN_BACKLOG", "1000"))
POSTPONE_GROWTH = 4

_E = events_table.c
# The BACKLOG-th registration after a position, if there is one (``ix_events_type_position``).
_WAITING = (
    select(_E.position)
    .where((_E.type == "WorkerRegistered") & (_E.position > bindparam("after")))
    .order_by(_E.position)
    .limit(1)
    .offset(bindparam("skip"))
)


async def learn(linker: Linker) -> list[Decision]:
    """Learn a model and re-score every pair with it, off the event loop: at tens of
    thousands of records this takes seconds, during which the service keeps answering (the
    projection itself waits: nothing else touches the linker meanwhile)."""
    return await asyncio.to_thread(linker.train)


async def learn_when_due(
    conn: AsyncConnection, linker: Linker, after: int | None
) -> list[Decision]:
    """Learn if the linker is due and no big import is waiting behind ``after`` (the last
    position of the census's own node it applied): the decisions that changed, or none."""
    if not linker.training_due():
        return []
    growing = len(linker) < POSTPONE_GROWTH * max(linker.trained_at, MIN_TRAIN)
    if BACKLOG and after is not None and growing:
        waiting = await conn.scalar(_WAITING, {"after": after, "skip": BACKLOG - 1})
        if waiting is not None:
            return []
    return await learn(linker)
