"""An order's commands run statements built once (bench/README.md, "Round 8: matching's
statements"): building a statement and its cache key on every call cost more CPU than
the database took to run it. The second order of the same shape runs the very statement
objects the first one did, on matching's tables — none built anew."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.sql.util import find_tables

from shegong.matching.adapters.tables import (
    deadlines,
    hours_ledger,
    metadata,
    notifications,
    requests,
)
from shegong.matching.projections.workforce import links, regions, trained, workers

from .conftest import COMMUNITY, Matching

MATCHING_TABLES = {*metadata.tables.values(), links, regions, trained, workers}


async def order_cycle(m: Matching) -> None:
    placed = await m.place(resident_phone="138 0931 2001", resident_address="永定路12号3单元501")
    rid, who = placed["request"]["request_id"], placed["request"]["offered"][0]
    await m.ok("POST", f"/requests/{rid}/accept", {"provider_id": who})
    await m.ok("POST", f"/requests/{rid}/start", {})
    await m.ok("POST", f"/requests/{rid}/finish", {"hours": 1.5})
    await m.ok("POST", f"/requests/{rid}/follow-up", {"satisfaction": 5})


async def test_an_order_cycle_builds_no_statement_anew(
    database_url: str, start_matching: Any
) -> None:
    # No timers meanwhile: only the order's commands run statements.
    m = await start_matching(
        database_url, matching_scheduler_tick_s=3600, matching_notify_tick_s=3600
    )
    await m.ok("POST", "/providers", {"kind": "volunteer", "name": "甲", "region": COMMUNITY}, 201)
    seen: list[Any] = []  # the statements themselves: their ids stay theirs

    def record(conn: Any, statement: Any, *args: Any) -> None:
        if not hasattr(statement, "_generate_cache_key"):
            return  # text(), DDL
        if set(find_tables(statement, include_crud=True)) & MATCHING_TABLES:
            seen.append(statement)

    engine = m.app.state.runtime.engine.sync_engine
    event.listen(engine, "before_execute", record)
    try:
        await order_cycle(m)
        first = list(seen)
        seen.clear()
        await order_cycle(m)
    finally:
        event.remove(engine, "before_execute", record)
    assert len(seen) >= 12  # the cycle's reads and writes were recorded
    built_once = {id(s) for s in first}
    anew = [str(s).split("\n")[0] for s in seen if id(s) not in built_once]
    assert anew == [], anew


async def test_an_order_cycles_row_deadline_and_message_writes_run_on_the_driver(
    database_url: str, start_matching: Any
) -> None:
    """The order's query row, its deadline, its messages and the delivery's rating are
    written on the driver (``raw_sql``), not through SQLAlchemy's execution (≈ 60–100 µs
    a statement, ten of them in a cycle); what they write is the flow tests' (the row's
    state, indicators, escalation, messages sent)."""
    m = await start_matching(
        database_url, matching_scheduler_tick_s=3600, matching_notify_tick_s=3600
    )
    await m.ok("POST", "/providers", {"kind": "volunteer", "name": "甲", "region": COMMUNITY}, 201)
    through_sqlalchemy: list[str] = []

    def record(conn: Any, statement: Any, *args: Any) -> None:
        if not getattr(statement, "is_dml", False):
            return  # reads (the notifier's poll, the order's history) stay SQLAlchemy's
        tables = set(find_tables(statement, include_crud=True))
        if tables & {requests, deadlines, notifications} or (
            hours_ledger in tables and statement.is_update
        ):
            through_sqlalchemy.append(str(statement).split("\n")[0])

    engine = m.app.state.runtime.engine.sync_engine
    event.listen(engine, "before_execute", record)
    try:
        await order_cycle(m)
    finally:
        event.remove(engine, "before_execute", record)
    assert through_sqlalchemy == []
