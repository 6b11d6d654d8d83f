"""Who stands where on the ladder, city-wide (进阶名单): the latest decision per person
(kept under their lead record) and step, with the rule-by-rule reasons, from every
registry node's ``ladder`` events — what ``GET /ladder`` lists for a training base or the
city's review committee; and who is in the expert pool now."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, MetaData, String, Table, delete, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts import Envelope, Event
from shegong.contracts.ladder import ExpertPoolAdmitted, ExpertPoolLeft, LadderEligibilityChanged
from shegong.contracts.registry import REGISTRY_STREAM
from shegong.kernel.events.read_model import Projection

metadata = MetaData()

standings = Table(
    "lr_standings",
    metadata,
    Column("worker_id", String(64), primary_key=True),
    Column("step", String(32), primary_key=True),
    Column("department", String(64), index=True),
    Column("eligible", Boolean, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("rules", JSON, nullable=False),
    Column("admitted_on", Date),
    Column("person_id", String(200)),
    Column("worker_ids", JSON),
    Column("left_pool_on", Date),
)


class LadderEligibilityProjection(Projection):
    name = "ladder_eligibility"
    contract = REGISTRY_STREAM
    aggregates = frozenset({"ladder"})
    handles = frozenset({"ExpertPoolLeft", "ExpertPoolAdmitted", "LadderEligibilityChanged"})
    metadata = metadata
    # Under a big import every registry projection queues for the one write lock: a turn
    # per 1,000 entries, not per 200 (most of these entries it skips undecoded).
    min_batch = 1000

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        if isinstance(event, LadderEligibilityChanged):
            key = (standings.c.worker_id == event.worker_id) & (standings.c.step == event.step)
            admitted = (
                await conn.execute(standings.select().where(key))
            ).first()  # an admission stays with the worker's standing
            await conn.execute(delete(standings).where(key))
            await conn.execute(
                standings.insert().values(
                    worker_id=event.worker_id,
                    step=event.step,
                    department=envelope.department,
                    eligible=event.eligible,
                    as_of=event.as_of,
                    rules=[r.model_dump(mode="json") for r in event.rules],
                    admitted_on=admitted.admitted_on if admitted else None,
                    left_pool_on=admitted.left_pool_on if admitted else None,
                    person_id=event.person_id,
                    worker_ids=event.worker_ids or [event.worker_id],
                )
            )
        elif isinstance(event, ExpertPoolAdmitted):
            key = (standings.c.worker_id == event.worker_id) & (standings.c.step == "expert_pool")
            changed = await conn.execute(
                update(standings)
                .where(key)
                .values(admitted_on=event.admitted_on, left_pool_on=None)
            )
            if not changed.rowcount:
                await conn.execute(
                    standings.insert().values(
                        worker_id=event.worker_id,
                        step="expert_pool",
                        department=envelope.department,
                        eligible=True,
                        as_of=event.admitted_on,
                        rules=[r.model_dump(mode="json") for r in event.rules],
                        admitted_on=event.admitted_on,
                        worker_ids=[event.worker_id],
                    )
                )
        elif isinstance(event, ExpertPoolLeft):
            key = (standings.c.worker_id == event.worker_id) & (standings.c.step == "expert_pool")
            await conn.execute(
                update(standings).where(key).values(admitted_on=None, left_pool_on=event.left_on)
            )
