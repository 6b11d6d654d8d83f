"""PostgreSQL: a write transaction's BEGIN goes with its first statement (``db.writing``).

psycopg sends BEGIN alone and waits for it, even in a pipeline; ``writing`` leaves it to
the transaction's first statement instead — at the head of ``raw_sql``'s pipeline, or
just before SQLAlchemy's first statement. What must not change: everything between the
first statement and the end is one transaction (invisible to others until COMMIT, undone
whole by an error), and the connection goes back to the pool as it came."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.kernel.ops import raw_sql
from shegong.kernel.ops.db import create_engine, reading, writing

from .test_raw_sql import AT, DELAY_S, INSERT, LOCK_PG, _slow_proxy, metadata, things


def _row(key: str, n: int = 1) -> dict[str, object]:
    return {"id": key, "n": n, "at": AT, "data": [n]}


async def _ids(engine: AsyncEngine) -> list[str]:
    async with reading(engine) as conn:
        return [r.id for r in await conn.execute(select(things.c.id).order_by(things.c.id))]


@pytest.fixture
async def engines(postgres_url: str):  # type: ignore[no-untyped-def]
    """The engine under test, through a proxy delaying each client chunk, and a direct one."""
    url = make_url(postgres_url)
    proxy = await _slow_proxy(url.host or "127.0.0.1", url.port or 5432)
    port = proxy.sockets[0].getsockname()[1]
    slow = create_engine(url.set(host="127.0.0.1", port=port).render_as_string(False))
    direct = create_engine(postgres_url)
    async with direct.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield slow, direct
    finally:
        await slow.dispose()
        await direct.dispose()
        proxy.close()


async def test_a_write_transaction_waits_for_its_pipeline_and_commit_only(engines) -> None:  # type: ignore[no-untyped-def]
    """BEGIN, the lock and the insert in one trip, COMMIT in another: two waits (three
    when BEGIN waited alone); the insert is not seen by others before COMMIT."""
    slow, direct = engines
    await _ids(slow)  # the pool's connection made outside the timing
    t0 = time.perf_counter()
    async with writing(slow) as conn:
        await raw_sql.execute_all(conn, [(LOCK_PG, {}), (INSERT, _row("a"))])
        seen_inside = await _ids(direct)
    took = time.perf_counter() - t0
    assert seen_inside == []  # in a transaction, not autocommitted
    assert await _ids(direct) == ["a"]
    assert 2 * DELAY_S <= took < 2.6 * DELAY_S, took


async def test_one_raw_statement_carries_the_begin_too(engines) -> None:  # type: ignore[no-untyped-def]
    slow, direct = engines
    await _ids(slow)
    t0 = time.perf_counter()
    async with writing(slow) as conn:
        await raw_sql.execute(conn, INSERT, _row("b"))
        seen_inside = await _ids(direct)
    took = time.perf_counter() - t0
    assert seen_inside == [] and await _ids(direct) == ["b"]
    assert 2 * DELAY_S <= took < 2.6 * DELAY_S, took


async def test_sqlalchemys_first_statement_opens_the_transaction(engines) -> None:  # type: ignore[no-untyped-def]
    """A transaction that starts with SQLAlchemy's statement is one transaction as well:
    an error after it undoes it and the raw statements that followed."""
    slow, direct = engines
    with pytest.raises(RuntimeError):
        async with writing(slow) as conn:
            await conn.execute(things.insert(), _row("c"))
            await raw_sql.execute_all(conn, [(INSERT, _row("d")), (INSERT, _row("e"))])
            assert await _ids(direct) == []
            raise RuntimeError("the command refused after its statements")
    assert await _ids(direct) == []
    async with writing(slow) as conn:
        await conn.execute(text("SELECT 1"))
        await conn.execute(things.insert(), _row("f"))
        assert await _ids(direct) == []
    assert await _ids(direct) == ["f"]


async def test_a_failed_statement_in_the_pipeline_undoes_the_transaction(engines) -> None:  # type: ignore[no-untyped-def]
    slow, direct = engines
    with pytest.raises(IntegrityError):
        async with writing(slow) as conn:
            await raw_sql.execute_all(conn, [(INSERT, _row("g")), (INSERT, _row("g", 2))])
    assert await _ids(direct) == []
    async with writing(slow) as conn:  # the connection is usable, its next transaction whole
        await raw_sql.execute_all(conn, [(INSERT, _row("h")), (INSERT, _row("i"))])
    assert await _ids(direct) == ["h", "i"]


async def test_the_connection_goes_back_to_the_pool_out_of_autocommit(engines) -> None:  # type: ignore[no-untyped-def]
    """The next user of the pooled connection gets psycopg's transactions as before: an
    insert it does not commit is not stored."""
    slow, direct = engines
    async with writing(slow) as conn:
        await raw_sql.execute(conn, INSERT, _row("j"))
    async with slow.connect() as conn:  # the same pooled connection
        assert not conn.sync_connection.connection.dbapi_connection.autocommit  # type: ignore[union-attr]
        await conn.execute(things.insert(), _row("k"))
        await conn.rollback()
    async with writing(slow) as conn:  # a transaction that sent nothing commits nothing
        pass
    assert await _ids(direct) == ["j"]


async def test_a_transaction_committed_in_its_last_pipeline_waits_once(engines) -> None:  # type: ignore[no-untyped-def]
    """``execute_all(commit=True)``: BEGIN, the statements and COMMIT in one trip — seen
    by others as soon as it returns; the block's end sends nothing more."""
    slow, direct = engines
    await _ids(slow)
    t0 = time.perf_counter()
    async with writing(slow) as conn:
        await raw_sql.execute_all(conn, [(LOCK_PG, {}), (INSERT, _row("l"))], commit=True)
        t1 = time.perf_counter()
        seen_inside = await _ids(direct)
        t2 = time.perf_counter()
    took = time.perf_counter() - t0 - (t2 - t1)  # the direct read is not the proxy's
    assert seen_inside == ["l"]
    assert DELAY_S <= took < 1.8 * DELAY_S, took


async def test_an_error_before_the_pipelined_commit_commits_nothing(engines) -> None:  # type: ignore[no-untyped-def]
    slow, direct = engines
    with pytest.raises(IntegrityError):
        async with writing(slow) as conn:
            await raw_sql.execute_all(
                conn, [(INSERT, _row("m")), (INSERT, _row("m", 2))], commit=True
            )
    assert await _ids(direct) == []
    async with writing(slow) as conn:  # the connection is usable, its next transaction whole
        await raw_sql.execute_all(conn, [(INSERT, _row("n"))], commit=True)
    assert await _ids(direct) == ["n"]


async def test_no_statement_runs_after_the_pipelined_commit(engines) -> None:  # type: ignore[no-untyped-def]
    """After its COMMIT the connection is in autocommit: a statement there would be
    outside any transaction, so it is refused (raw or SQLAlchemy's)."""
    slow, direct = engines
    with pytest.raises(RuntimeError, match="COMMIT"):
        async with writing(slow) as conn:
            await raw_sql.execute_all(conn, [(INSERT, _row("o"))], commit=True)
            await raw_sql.execute(conn, INSERT, _row("p"))
    with pytest.raises(RuntimeError, match="COMMIT"):
        async with writing(slow) as conn:
            await raw_sql.execute_all(conn, [(INSERT, _row("q"))], commit=True)
            await conn.execute(things.insert(), _row("r"))
    async with writing(slow) as conn:  # the mark went with the transaction
        await conn.execute(things.insert(), _row("s"))
    assert await _ids(direct) == ["o", "q", "s"]
