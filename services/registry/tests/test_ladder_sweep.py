"""The ladder's daily sweep, on a running registry (SQLite and PostgreSQL): a rule that
depends on time (a certificate held five years) changes a worker's eligibility on the day
it comes true, with no event of the worker's — the sweep of that day publishes the change,
once; a new database starts its record without re-evaluating; a day is swept once."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import delete, select

from shegong.kernel.events.store import CommandContext
from shegong.kernel.ops.db import reading, writing
from shegong.kernel.testing import eventually
from shegong.registry.ladder.decide import Ladder
from shegong.registry.ladder.rules import load_ladder
from shegong.registry.ladder.sweep import LadderSweep, sweeps
from shegong.registry.projections.workers import workers

from .conftest import Node, StartNode
from .test_registry_api import certify, register

FIVE_YEARS = """
[steps.senior_review]
label = "Senior social worker title review"
label_zh = "高级社会工作师评审"

[[steps.senior_review.rules]]
key = "intermediate_certificate_years"
kind = "certificate_held"
level = "intermediate"
years = 5
label = "holds 社会工作师 (intermediate) or above for at least 5 years"
label_zh = "取得社会工作师及以上证书满5年"
"""


def five_years(node: Node) -> Ladder:
    return Ladder(node.runtime.store, load_ladder(FIVE_YEARS), census=False)


class Clock:
    def __init__(self, at: str) -> None:
        self.now = datetime.fromisoformat(at)

    def __call__(self) -> datetime:
        return self.now


async def ladder_events(node: Node) -> list[Any]:
    envelopes = await node.runtime.store.read_after(0, 1000)
    return [e for e in envelopes if e.type == "LadderEligibilityChanged"]


async def test_a_certificate_coming_of_age_is_published_by_that_days_sweep(
    database_url: str, start_node: StartNode
) -> None:
    node = await start_node(database_url, registry_ladder_sweep=False)
    worker = (await register(node.client, name="张伟", post="社区工作者"))["worker"]
    await certify(node.client, worker["worker_id"], level="intermediate", certified_on="2021-06-01")
    before = len(await ladder_events(node))

    clock = Clock("2026-05-30T09:00:00+08:00")
    sweep = LadderSweep(five_years(node), time(2, 0), now=clock)
    # A new database: the first round records the day and re-evaluates nothing.
    assert await sweep.tick() == 0
    # The next day before 02:00: still yesterday's sweep; after 02:00: a sweep, no change yet.
    clock.now = datetime.fromisoformat("2026-05-31T01:59:00+08:00")
    assert await sweep.tick() == 0
    clock.now = datetime.fromisoformat("2026-05-31T02:00:00+08:00")
    assert await sweep.tick() == 0
    # Five years on the day: eligible, published once, and not again that day.
    clock.now = datetime.fromisoformat("2026-06-01T02:01:00+08:00")
    assert await sweep.tick() == 1
    assert await sweep.tick() == 0
    changed = (await ladder_events(node))[before:]
    assert [(e.data["step"], e.data["eligible"], e.data["as_of"]) for e in changed] == [
        ("senior_review", True, "2026-06-01")
    ]
    assert changed[0].actor == "registry.ladder"

    async with reading(node.runtime.engine) as conn:
        days = [
            tuple(r)
            for r in await conn.execute(
                select(sweeps.c.day, sweeps.c.workers, sweeps.c.events).order_by(sweeps.c.day)
            )
        ]
    assert days == [
        (date(2026, 5, 30), 0, 0),
        (date(2026, 5, 31), 1, 0),
        (date(2026, 6, 1), 1, 1),
    ]
    # A restart (a new job on the same database) does not sweep that day again.
    again = LadderSweep(five_years(node), time(2, 0), now=clock)
    assert await again.tick() == 0


async def test_the_running_registry_runs_its_sweep_as_the_leader(
    database_url: str, start_node: StartNode
) -> None:
    node = await start_node(database_url)  # the sweep is on by default
    sweep: LadderSweep = node.app.state.ladder_sweep

    async def swept() -> bool:
        async with reading(node.runtime.engine) as conn:
            return bool(await conn.scalar(select(sweeps.c.day)))

    await eventually(swept)
    assert sweep.is_leader


ONE_YEAR_IN_SERVICE = """
[steps.assistant]
label = "Assistant social worker exam"
label_zh = "助理社会工作师职业资格考试"

[[steps.assistant.rules]]
key = "in_service_1y"
kind = "in_service"
years = 1
label = "in social work for at least 1 year"
label_zh = "从事社会工作满1年"
"""


async def test_the_ladder_decides_from_its_own_record_before_the_worker_list_has_it(
    database_url: str, start_node: StartNode
) -> None:
    """The ladder's news (training's hours) may arrive before the workers read model —
    another consumer group — has applied the registration: the node's own record says
    when the worker was hired, so the decision does not wait for that read model (it
    once decided "not in service" and never again, in the training-loop e2e test)."""
    node = await start_node(database_url, registry_ladder_sweep=False)
    worker_id = (await register(node.client, name="张伟"))["worker"]["worker_id"]

    async def listed() -> bool:
        async with reading(node.runtime.engine) as conn:
            found = await conn.scalar(
                select(workers.c.worker_id).where(workers.c.worker_id == worker_id)
            )
            return found is not None

    await eventually(listed)
    async with writing(node.runtime.engine) as conn:  # the worker list, a moment behind
        await conn.execute(delete(workers).where(workers.c.worker_id == worker_id))

    ladder = Ladder(node.runtime.store, load_ladder(ONE_YEAR_IN_SERVICE), census=False)
    async with node.runtime.store.transaction(CommandContext(actor="registry.ladder")) as tx:
        decided = await ladder.decide(tx, worker_id, date(2026, 6, 1))
    assert decided is not None
    assert [(d.step, d.eligible) for d in decided[1]] == [("assistant", True)]
    changed = (await ladder_events(node))[-1]
    assert (changed.data["worker_id"], changed.data["eligible"]) == (worker_id, True)
