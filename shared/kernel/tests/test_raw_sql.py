"""Statements compiled once and run on the driver's connection (``raw_sql``): the same
rows as SQLAlchemy's own execution writes, its errors, PostgreSQL's one round trip, and
SQLite's wait for another connection's lock off the event loop."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from shegong.kernel.events.relay import OutboxRelay
from shegong.kernel.events.schema import relay_checkpoints
from shegong.kernel.events.store import ConcurrencyError, EventStore
from shegong.kernel.ops import raw_sql
from shegong.kernel.ops.db import create_engine, reading, writing
from shegong.kernel.ops.raw_sql import RawStatement
from shegong.kernel.testing import TALLY_STREAM, Counter

from .conftest import make_store

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("n", Integer),
    Column("at", DateTime(timezone=True)),
    Column("data", JSON),
)
INSERT = RawStatement(things.insert().values({c.name: bindparam(c.name) for c in things.c}))
# A value the statement carries itself (the 1), beside the caller's parameters.
NEXT = RawStatement(select(things.c.n + 1).where(things.c.id == bindparam("id")))
LOCK_PG = RawStatement(text("LOCK TABLE things IN EXCLUSIVE MODE"))
AT = datetime(2026, 12, 6, 1, 2, 3, 456789, tzinfo=UTC)


async def test_rows_written_raw_read_back_as_sqlalchemy_wrote_them(database_url: str) -> None:
    engine = create_engine(database_url)
    executed: list[str] = []
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: executed.append(a[2]))
        async with writing(engine) as conn:
            await conn.execute(
                things.insert(), {"id": "orm", "n": 1, "at": AT, "data": {"名": [1, "二"]}}
            )
            one = await raw_sql.execute(
                conn, INSERT, {"id": "raw", "n": 1, "at": AT, "data": {"名": [1, "二"]}}
            )
            many = await raw_sql.execute(
                conn,
                INSERT,
                [{"id": f"m{i}", "n": i, "at": None, "data": None} for i in range(3)],
            )
            nxt = await raw_sql.execute(conn, NEXT, {"id": "raw"})
        assert (one.rowcount, many.rowcount, nxt.scalar()) == (1, 3, 2)
        # SQLAlchemy saw its own statement only: the raw ones went to the driver.
        assert [s.split()[0] for s in executed] == ["INSERT"], executed
        async with reading(engine) as conn:
            rows = {r.id: r for r in await conn.execute(select(things))}
        assert tuple(rows["raw"])[1:] == tuple(rows["orm"])[1:]
        # SQLite keeps no zone (SQLAlchemy's own rows neither): the instant is the same.
        assert rows["raw"].at.replace(tzinfo=UTC) == AT and rows["raw"].data == {"名": [1, "二"]}
        assert rows["m2"].n == 2 and rows["m2"].at is None
    finally:
        await engine.dispose()


async def test_a_driver_error_is_sqlalchemys_and_rolls_the_transaction_back(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        row = {"id": "a", "n": 1, "at": AT, "data": None}
        with pytest.raises(IntegrityError):
            async with writing(engine) as conn:
                await raw_sql.execute(conn, INSERT, {**row, "id": "b"})
                await raw_sql.execute(conn, INSERT, row)
                await raw_sql.execute(conn, INSERT, row)
        with pytest.raises(IntegrityError):
            async with writing(engine) as conn:
                await raw_sql.execute_all(
                    conn, [(INSERT, {**row, "id": "c"}), (INSERT, {**row, "id": "c"})]
                )
        async with reading(engine) as conn:
            assert (await conn.execute(select(things.c.id))).all() == []
    finally:
        await engine.dispose()


DELAY_S = 0.15


async def _slow_proxy(host: str, port: int) -> asyncio.Server:
    """A TCP proxy that holds every client→server chunk ``DELAY_S`` (in order): each
    round trip the client waits for costs ``DELAY_S``; chunks sent back to back do not."""

    async def serve(c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        s_reader, s_writer = await asyncio.open_connection(host, port)
        loop = asyncio.get_running_loop()

        async def upstream() -> None:
            while chunk := await c_reader.read(65536):
                due = loop.time() + DELAY_S
                loop.call_at(due, s_writer.write, chunk)
            loop.call_at(loop.time() + DELAY_S, s_writer.close)

        async def downstream() -> None:
            while chunk := await s_reader.read(65536):
                c_writer.write(chunk)
            c_writer.close()

        await asyncio.gather(upstream(), downstream(), return_exceptions=True)

    return await asyncio.start_server(serve, "127.0.0.1", 0)


async def test_postgres_runs_a_lock_and_its_insert_in_one_round_trip(postgres_url: str) -> None:
    url = make_url(postgres_url)
    proxy = await _slow_proxy(url.host or "127.0.0.1", url.port or 5432)
    port = proxy.sockets[0].getsockname()[1]
    engine = create_engine(url.set(host="127.0.0.1", port=port).render_as_string(False))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        async with writing(engine) as conn:
            await conn.execute(text("SELECT 1"))  # the transaction is open
            t0 = time.perf_counter()
            results = await raw_sql.execute_all(
                conn, [(LOCK_PG, {}), (INSERT, {"id": "x", "n": 7, "at": AT, "data": [1]})]
            )
            piped = time.perf_counter() - t0
            t0 = time.perf_counter()
            await raw_sql.execute(conn, LOCK_PG, {})
            await raw_sql.execute(conn, INSERT, {"id": "y", "n": 8, "at": AT, "data": [1]})
            one_by_one = time.perf_counter() - t0
            again = await raw_sql.execute(conn, NEXT, {"id": "x"})
        assert results[1].rowcount == 1 and again.scalar() == 8
        # One wait for the server against two (each ≥ DELAY_S).
        assert piped < 1.6 * DELAY_S <= one_by_one, (piped, one_by_one)
    finally:
        await engine.dispose()
        proxy.close()


HOSTILE = ["it's", "a\\b", "%s %(id)s", "x'); DROP TABLE things; --", "$$q$$", "名\u200b\n\t'"]


async def test_values_bound_client_side_arrive_as_sent(postgres_url: str) -> None:
    """PostgreSQL: several statements go as one query, their values bound by psycopg's
    client-side quoting — quotes, backslashes, placeholders, dollar quotes and SQL in a
    value come back as they were sent, in text and JSON alike; an error names the
    statements, never a value."""
    engine = create_engine(postgres_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        async with writing(engine) as conn:
            results = await raw_sql.execute_all(
                conn,
                [
                    (INSERT, {"id": f"h{i}", "n": i, "at": AT, "data": {v: [v]}})
                    for i, v in enumerate(HOSTILE)
                ]
                + [(NEXT, {"id": "h1"})],
                commit=True,
            )
        assert [r.rowcount for r in results[:-1]] == [1] * len(HOSTILE)
        assert results[-1].rows == [(2,)]
        async with reading(engine) as conn:
            rows = (await conn.execute(select(things).order_by(things.c.n))).all()
        assert [r.data for r in rows] == [{v: [v]} for v in HOSTILE]
        assert [r.at for r in rows] == [AT] * len(HOSTILE)
        secret = "110101199003077777"
        with pytest.raises(IntegrityError) as refused:
            async with writing(engine) as conn:
                await raw_sql.execute_all(
                    conn,
                    [(INSERT, {"id": "s", "n": 1, "at": AT, "data": secret})] * 2,
                    commit=True,
                )
        assert secret not in str(refused.value) and "INSERT INTO things" in str(refused.value)
        async with reading(engine) as conn:
            assert (await conn.execute(select(things.c.id).where(things.c.id == "s"))).all() == []
    finally:
        await engine.dispose()


async def test_sqlite_waits_for_another_connections_lock_off_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    engine, other = create_engine(f"sqlite:///{path}"), create_engine(f"sqlite:///{path}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        async with engine.connect() as conn:  # no transaction: the insert meets the lock
            async with writing(other) as holder:
                await holder.execute(text("INSERT INTO things (id) VALUES ('held')"))
                waiting = asyncio.create_task(
                    raw_sql.execute(conn, INSERT, {"id": "w", "n": 1, "at": AT, "data": None})
                )
                await asyncio.sleep(0.2)
                assert not waiting.done() and ticks >= 10  # waits, the loop runs
            assert (await waiting).rowcount == 1
            await conn.commit()
        ticker.cancel()
        async with reading(engine) as conn:
            ids = sorted(r[0] for r in await conn.execute(select(things.c.id)))
        assert ids == ["held", "w"]
    finally:
        await engine.dispose()
        await other.dispose()


@pytest.mark.parametrize("commit", [False, True], ids=["commit-at-exit", "commit-in-trip"])
async def test_steps_saved_with_an_event_land_with_it_or_not_at_all(
    store: EventStore, commit: bool
) -> None:
    """``save_with``: the steps run after the event's insert and commit with it; when
    the insert finds the stream moved on, they are rolled back with it — also when the
    COMMIT rides in the insert's trip (``commit``: on PostgreSQL the insert then fails
    instead of inserting nothing, or the COMMIT would keep the step).
    ``lock_with`` reads under the append lock."""
    async with store.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    row = {"n": 1, "at": AT, "data": None}
    async with store.transaction() as tx:
        (held,) = await tx.lock_with([(NEXT, {"id": "none"})])
        c = Counter("c")
        c.count(2)
        events, results = await tx.save_with(c, [(INSERT, {**row, "id": "with-c"})], commit=commit)
    assert held.rows == [] and [e.sequence for e in events] == [1]
    assert [r.rowcount for r in results] == [1]
    stale = Counter("c")  # version 0: the stream is at 1
    stale.count(1)
    with pytest.raises(ConcurrencyError):
        async with store.transaction() as tx:
            await tx.save_with(stale, [(INSERT, {**row, "id": "with-stale"})], commit=commit)
    async with reading(store.engine) as conn:
        ids = [r[0] for r in await conn.execute(select(things.c.id))]
    assert ids == ["with-c"]
    assert await store.head() == 1


defaulted = Table(
    "defaulted",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("n", Integer, default=7),
    Column("data", JSON),
)


async def test_rows_inserted_on_the_driver_as_sqlalchemys_insert_writes_them(
    database_url: str,
) -> None:
    """``insert_rows``: each run of rows with the same columns one executemany on the
    driver; SQLAlchemy runs only what it would write otherwise (a column's Python default,
    a JSON None)."""
    engine = create_engine(database_url)
    executed: list[str] = []
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: executed.append(a[2]))
        rows = [{"id": f"r{i}", "n": i, "at": AT, "data": {"名": [i]}} for i in range(4)]
        rows += [{"id": "short", "n": 9}, {"id": "short2", "n": 10}]  # other columns
        async with writing(engine) as conn:
            await raw_sql.insert_rows(conn, things, rows)
            await conn.execute(
                things.insert(), [{"id": "orm", "n": 1, "at": AT, "data": {"名": [1]}}]
            )
        # Two runs on the driver, SQLAlchemy's own statement the only one it saw.
        assert [s.split()[0] for s in executed] == ["INSERT"], executed
        async with reading(engine) as conn:
            got = {r.id: tuple(r)[1:] for r in await conn.execute(select(things))}
        assert got["r1"] == got["orm"]
        assert got["short"] == (9, None, None) and got["r3"][0] == 3

        executed.clear()
        async with writing(engine) as conn:
            await raw_sql.insert_rows(conn, defaulted, [{"id": "d", "data": {}}])  # n: default
            await raw_sql.insert_rows(conn, things, [{"id": "j", "data": None}])  # JSON null
            await raw_sql.insert_rows(conn, defaulted, [{"id": "e", "n": 1, "data": [1]}])
        assert len(executed) == 2, executed  # the first two through SQLAlchemy
        async with reading(engine) as conn:
            d = (await conn.execute(select(defaulted.c.n).where(defaulted.c.id == "d"))).scalar()
            null = await conn.scalar(
                select(things.c.id).where(things.c.id == "j", things.c.data.is_not(None))
            )
        assert d == 7 and null == "j"  # the default applied; JSON null stored as SQLAlchemy does
    finally:
        await engine.dispose()


async def test_the_relays_checkpoint_is_one_round_trip_on_postgres(
    postgres_url: str, redis: Redis, stream_prefix: str
) -> None:
    """A relay round writes its checkpoint: one row's UPDATE, a unit of work by itself —
    sent in autocommit, one wait for the server (in a transaction: BEGIN, the UPDATE and
    COMMIT, three). Committed: another connection reads it at once."""
    url = make_url(postgres_url)
    proxy = await _slow_proxy(url.host or "127.0.0.1", url.port or 5432)
    port = proxy.sockets[0].getsockname()[1]
    store = await make_store(url.set(host="127.0.0.1", port=port).render_as_string(False))
    direct = create_engine(postgres_url)
    try:
        relay = OutboxRelay(store, redis, TALLY_STREAM.stream_key(stream_prefix))
        await relay._save_checkpoint(0, 7, "1-0")  # the first one inserts the row
        t0 = time.perf_counter()
        await relay._save_checkpoint(7, 9, "2-0")
        took = time.perf_counter() - t0
        async with reading(direct) as conn:
            row = (await conn.execute(select(relay_checkpoints))).one()
        assert (row.position, row.entry_id) == (9, "2-0")
        assert DELAY_S <= took < 1.6 * DELAY_S, took
    finally:
        await store.engine.dispose()
        await direct.dispose()
        proxy.close()
