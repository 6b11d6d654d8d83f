"""Database engines for every service: SQLite by default, PostgreSQL in production.

One place knows the dialect differences the kernel cares about: SQLite transactions
begin IMMEDIATE (writers queue instead of failing on a stale snapshot), and URLs are
normalised to the async drivers (aiosqlite, psycopg 3).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Executable, Row, Select, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import greenlet_spawn

from shegong.kernel.ops.raw_sql import BEGIN_PENDING, COMMITTED
from shegong.kernel.ops.sqlite_driver import LoopDbapi


def async_url(url: str) -> str:
    """``sqlite:///x.db`` → aiosqlite, ``postgresql://`` → psycopg 3 (async)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    elif backend == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    else:
        raise ValueError(f"DATABASE_URL: unsupported database {backend!r} (sqlite, postgresql)")
    return parsed.render_as_string(hide_password=False)


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    # No pool_pre_ping: it costs a round trip per checkout (measured: +1 transaction per
    # command on PostgreSQL); a dead connection fails its statement and is replaced.
    target = async_url(url)
    extra: dict[str, Any] = {}
    if make_url(target).get_backend_name() == "sqlite":
        # Statements on the loop's thread; what waits for a lock on aiosqlite's
        # (sqlite_driver.py).
        extra["module"] = LoopDbapi()
    engine = create_async_engine(target, echo=echo, pool_recycle=1800, **extra)
    if engine.dialect.name == "sqlite":
        _sqlite_immediate_transactions(engine)
    elif engine.dialect.name == "postgresql":
        _deferred_begin(engine)
    return engine


READ_ONLY = "shegong_read_only"
# SQLite: one statement on its own, in SQLite's autocommit mode — no BEGIN, no ROLLBACK.
SINGLE_STATEMENT = "shegong_single_statement"
# PostgreSQL: a write transaction whose BEGIN goes with its first statement (``writing``).
DEFERRED_BEGIN = "shegong_deferred_begin"


def _with_options(engine: AsyncEngine, name: str, **options: Any) -> AsyncEngine:
    """``engine`` with execution options, made once and kept on the engine (its pool
    shared): options given per connection cost a trip through SQLAlchemy's greenlet
    each time (bench/README.md, round 9)."""
    kept: dict[str, AsyncEngine] = engine.sync_engine.__dict__.setdefault("_shegong_with", {})
    if name not in kept:
        kept[name] = engine.execution_options(**options)
    return kept[name]


@asynccontextmanager
async def reading(engine: AsyncEngine, *, apart: bool = False) -> AsyncIterator[AsyncConnection]:
    """A connection for queries only. On SQLite it does not take the write lock, so a
    read (a feed page, a search) never waits behind — or blocks — a writer.

    ``apart``: on PostgreSQL each statement on its own, in autocommit — no BEGIN and no
    ROLLBACK, two round trips fewer. Under READ COMMITTED each statement of a
    transaction takes its own snapshot anyway, so queries see what they saw in one; not
    for a reader that needs a lock or a cursor to last past its statement. A staged
    projection's batch reads so (bench/README.md, round 13). SQLite: as without it."""
    if apart and engine.dialect.name == "postgresql":
        apart_engine = _with_options(engine, "once", isolation_level="AUTOCOMMIT")
        async with apart_engine.connect() as conn:
            yield conn
        return
    async with _with_options(engine, "reading", **{READ_ONLY: True}).connect() as conn:
        yield conn


async def read_once(
    engine: AsyncEngine, statement: Executable, params: dict[str, Any] | None = None
) -> list[Row[Any]]:
    """One query on its own, its rows. On PostgreSQL in autocommit: a transaction around
    a single statement costs two more round trips (BEGIN, and the ROLLBACK when the
    connection goes back to the pool) and sees nothing more — under READ COMMITTED each
    statement takes its own snapshot either way. On SQLite likewise without BEGIN (a
    statement outside a transaction reads one snapshot of its own). The projection
    runner asks for its positions so for every batch of every consumer group; the relay
    reads its next batch so. Checkout, the statement, its rows and checkin run in one
    call through SQLAlchemy's greenlet (round 10: three, and a task for the close)."""
    if engine.dialect.name == "postgresql":
        once = _with_options(engine, "once", isolation_level="AUTOCOMMIT")
    else:
        once = _with_options(engine, "once", **{READ_ONLY: True, SINGLE_STATEMENT: True})
    return await greenlet_spawn(_query_once, once.sync_engine, statement, params)


def _query_once(sync: Engine, statement: Executable, params: dict[str, Any] | None) -> Any:
    with sync.connect() as conn:
        return list(conn.execute(statement, params))


async def write_once(
    engine: AsyncEngine, statement: Executable, params: dict[str, Any] | None = None
) -> int:
    """One writing statement on its own, committed; the rows it changed. On PostgreSQL
    in autocommit — one round trip, where a transaction around it is three (BEGIN, the
    statement, COMMIT) — for a statement that is a whole unit of work by itself (one
    row's UPDATE). On SQLite in a write transaction as :func:`writing` runs one (the
    process's writers queue)."""
    if engine.dialect.name == "postgresql":
        once = _with_options(engine, "once", isolation_level="AUTOCOMMIT")
        return int(await greenlet_spawn(_write_once, once.sync_engine, statement, params))
    async with writing(engine) as conn:
        return (await conn.execute(statement, params)).rowcount


def _write_once(sync: Engine, statement: Executable, params: dict[str, Any] | None) -> int:
    with sync.connect() as conn:
        return conn.execute(statement, params).rowcount


_WRITE_LOCKS: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()
_BACKGROUND_GATES: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def writing(
    engine: AsyncEngine, *, background: bool = False
) -> AsyncIterator[AsyncConnection]:
    """A write transaction. On SQLite, writers of one process queue on an asyncio lock
    first: SQLite's own busy handler sleeps and retries in no order, which starved some
    writers for seconds under 16 concurrent commands (p99 1.8 s; with the queue, 40 ms).

    ``background`` (projection batches): at most one of them waits in that queue at a
    time, the others wait behind it, so a command waits for at most the writer in
    progress and one batch — not for every projection's batch queued before it (an
    import under ``shegong up`` waited ≈ 2.5 s per transaction so).

    On PostgreSQL the BEGIN goes in the transaction's first round trip instead of one of
    its own: psycopg sends it alone and waits for it (even in a pipeline), so the
    connection is in autocommit for the transaction and the BEGIN is sent with the first
    statement — at the head of ``raw_sql``'s query, or just before SQLAlchemy's first
    statement (``_deferred_begin``). COMMIT and ROLLBACK are psycopg's as before (they
    follow the server's transaction state, not the autocommit flag); SQLAlchemy turns
    autocommit off again when the connection goes back to the pool."""
    if engine.dialect.name != "sqlite":
        deferred = _with_options(
            engine, "deferred", isolation_level="AUTOCOMMIT", **{DEFERRED_BEGIN: True}
        )
        async with deferred.begin() as conn:
            yield conn
        return
    lock = _WRITE_LOCKS.setdefault(engine.sync_engine, asyncio.Lock())
    if not background:
        async with lock, engine.begin() as conn:
            yield conn
        return
    gate = _BACKGROUND_GATES.setdefault(engine.sync_engine, asyncio.Lock())
    async with gate, lock, engine.begin() as conn:
        yield conn


async def page(
    conn: AsyncConnection, query: Select[Any], limit: int, offset: int
) -> tuple[int, list[Row[Any]]]:
    """One page of an ordered ``query`` and how many rows the whole query has — what every
    list endpoint answers (``{"total": …, "items": […]}``)."""
    total = await conn.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = await conn.execute(query.limit(limit).offset(offset))
    return int(total or 0), list(rows)


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


def _sqlite_immediate_transactions(engine: AsyncEngine) -> None:
    # pysqlite's own BEGIN is deferred; a deferred reader that later writes fails with
    # SQLITE_BUSY when another writer got in first. Taking the write lock at BEGIN
    # makes appends queue (for the lock, on aiosqlite's thread: sqlite_driver.py) and
    # keeps positions in commit order.
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # Never wait on the loop's thread: a busy statement is run again on aiosqlite's
        # thread, waiting there (sqlite_driver.BUSY_TIMEOUT_MS).
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    dbapi_error = engine.dialect.loaded_dbapi.Error

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
        options = conn.get_execution_options()
        if options.get(SINGLE_STATEMENT, False):
            return  # read_once: SQLite's autocommit mode
        statement = "BEGIN" if options.get(READ_ONLY, False) else "BEGIN IMMEDIATE"
        # On the driver's cursor, not through ``exec_driver_sql``: a statement's whole
        # execution context for two words cost ≈ 15 % of a one-statement transaction's
        # CPU (bench/README.md, round 9). A locked database waits as any statement does
        # (sqlite_driver); an error is SQLAlchemy's, as ``exec_driver_sql`` raised it
        # (a locked or unreachable database answers 503: web/app.py).
        try:
            conn.connection.dbapi_connection.cursor().execute(statement)
        except dbapi_error as err:
            raise DBAPIError.instance(statement, (), err, dbapi_error) from err


def _deferred_begin(engine: AsyncEngine) -> None:
    """PostgreSQL: a ``writing`` transaction's BEGIN waits for its first statement.

    At SQLAlchemy's begin the connection (in autocommit: ``writing``) is marked; the
    first statement sends the BEGIN — ``raw_sql`` in its own trip, SQLAlchemy's cursor
    here just before — and the mark goes with the transaction's end (or the
    connection's return to the pool): a transaction that sent nothing commits nothing.
    A transaction whose COMMIT went with its last statements (``raw_sql.execute_all``'s
    ``commit``) takes no statement after it: it would run outside any transaction."""
    sync = engine.sync_engine
    dbapi_error = engine.dialect.loaded_dbapi.Error

    @event.listens_for(sync, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
        if conn.get_execution_options().get(DEFERRED_BEGIN, False):
            conn.info[BEGIN_PENDING] = True

    @event.listens_for(sync, "before_cursor_execute")
    def _before(conn, _cursor, statement, _parameters, _context, _many):  # type: ignore[no-untyped-def]
        if conn.info.get(COMMITTED):  # raw_sql.execute_all(commit=True) ended it
            raise RuntimeError(f"a statement after the transaction's COMMIT: {statement[:60]}")
        if conn.info.pop(BEGIN_PENDING, False):
            cursor = conn.connection.dbapi_connection.cursor()
            try:
                cursor.execute("BEGIN")
            except dbapi_error as err:
                raise DBAPIError.instance("BEGIN", (), err, dbapi_error) from err
            finally:
                cursor.close()

    @event.listens_for(sync, "commit")
    @event.listens_for(sync, "rollback")
    def _ended(conn):  # type: ignore[no-untyped-def]
        conn.info.pop(BEGIN_PENDING, None)
        conn.info.pop(COMMITTED, None)

    @event.listens_for(sync.pool, "checkin")
    def _checkin(_dbapi_connection, record):  # type: ignore[no-untyped-def]
        if record is not None:
            record.info.pop(BEGIN_PENDING, None)
            record.info.pop(COMMITTED, None)
