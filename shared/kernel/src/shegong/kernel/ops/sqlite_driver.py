"""SQLite for asyncio without a thread hop per statement.

aiosqlite runs each SQLite call on its connection's own thread: the event loop queues
the call, wakes that thread, and is woken back when it is done — two cross-thread
wake-ups and a GIL hand-over per call. SQLAlchemy's adapter made four such calls per
statement (cursor, execute, fetch, close), then one (an earlier version of this module),
plus one per BEGIN, COMMIT and pool reset. Profiled with native frames under 16
concurrent commands, the wake-up alone (``sem_post`` in the queue's ``put``, the
``write`` to the loop's wake-up pipe) was ≈ a quarter of the registry's CPU: far more
than the statements themselves, which take microseconds on SQLite.

So statements, COMMIT and ROLLBACK run on the event loop's thread, directly: a statement
from start to finish (execute, fetch every row, close) as one call. What may *wait* does
not: the connection's busy timeout is 0 here, so a statement that finds the database
locked by another connection (another process, another engine on the same file) fails at
once with SQLITE_BUSY — having done nothing — and is then run again on aiosqlite's thread
with the usual busy timeout, off the loop, as before. Within one process, writers of an
engine already queue on an asyncio lock (``db.writing``), so that is the rare path.

What stays on aiosqlite's thread: connecting, closing, server-side cursors
(``stream_results``), and anything that met a busy database.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Generator, Sequence
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT, await_

_Result = tuple[Any, list[Any] | None, int, int | None]

# How long a statement that met a locked database waits for it, on aiosqlite's thread
# (SQLite's busy handler); on the loop's thread it never waits.
BUSY_TIMEOUT_MS = 30_000
SQLITE_BUSY = 5


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Result:
    """A statement from start to finish."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _waiting(conn: sqlite3.Connection, call: Any) -> Any:
    """On aiosqlite's thread: ``call`` with SQLite's busy handler waiting for the lock."""
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    try:
        return call()
    finally:
        conn.execute("PRAGMA busy_timeout=0")


def is_busy(error: BaseException) -> bool:
    """SQLITE_BUSY (and its extended codes): another connection holds the lock, and the
    statement did nothing — it may run again."""
    code = getattr(error, "sqlite_errorcode", None)
    return (
        isinstance(error, sqlite3.OperationalError)
        and code is not None
        and code & 0xFF == (SQLITE_BUSY)
    )


class _Ready:
    """An awaitable that is done at once. SQLAlchemy's async engine insists that a
    statement awaited something; awaiting this costs two greenlet switches, no loop turn."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield  # a generator that finishes without yielding


_READY = _Ready()


class LoopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statements run on the event loop's thread."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: Any) -> None:
        # No aiosqlite cursor is opened (that alone was a hop): each execute opens and
        # closes its own.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows: collections.deque[Any] = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        return self._call(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        return self._call(operation, seq_of_parameters, many=True)

    def _call(self, operation: Any, parameters: Any, *, many: bool) -> None:
        adapt: LoopConnection = self._adapt_connection  # type: ignore[assignment]
        try:
            description, rows, rowcount, lastrowid = adapt.run_call(
                partial(_run, self._connection._conn, operation, parameters, many)
            )
        except Exception as error:
            adapt._handle_exception(error)
        self._description, self._rowcount, self._lastrowid = description, rowcount, lastrowid
        self._rows = collections.deque(rows) if rows else collections.deque()


class LoopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = LoopCursor

    def run_call(self, call: Any) -> Any:
        """``call`` (a function of the sqlite3 connection) on the loop's thread; on a
        busy database, again on aiosqlite's thread, waiting for the lock there."""
        connection = self._connection
        if connection._connection is None:
            raise ValueError("no active connection")
        if self._execute_mutex.locked():  # a call of this connection is on the thread
            return await_(self._on_thread(call))
        await_(_READY)
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not is_busy(error):
                raise
        return await_(self._on_thread(call))

    async def run_call_async(self, call: Any) -> Any:
        """:meth:`run_call` for a coroutine outside SQLAlchemy's greenlet (``raw_sql``)."""
        if self._connection._connection is None:
            raise ValueError("no active connection")
        if not self._execute_mutex.locked():
            try:
                return call()
            except sqlite3.OperationalError as error:
                if not is_busy(error):
                    raise
        return await self._on_thread(call)

    def statement(self, operation: str, parameters: Any, *, many: bool) -> Any:
        """A statement from start to finish, for :meth:`run_call` / :meth:`run_call_async`."""
        return partial(_run, self._connection._conn, operation, parameters, many)

    async def _on_thread(self, call: Any) -> Any:
        connection = self._connection
        async with self._execute_mutex:
            return await connection._execute(partial(_waiting, connection._conn, call))

    def rollback(self) -> None:
        # The pool rolls back every connection it takes back, after a COMMIT too: with
        # no transaction open there is nothing to undo (SQLite's own rollback would do
        # nothing either), so not even a call is made.
        conn = self._connection._connection
        if conn is not None and not conn.in_transaction:
            return
        if self._connection._connection:
            try:
                self.run_call(self._connection._conn.rollback)
            except Exception as error:
                self._handle_exception(error)

    def commit(self) -> None:
        if self._connection._connection:
            try:
                self.run_call(self._connection._conn.commit)
            except Exception as error:
                self._handle_exception(error)


class LoopDbapi(AsyncAdapt_aiosqlite_dbapi):
    """What ``create_async_engine(..., module=LoopDbapi())`` needs: aiosqlite's adapter,
    handing out :class:`LoopConnection`. The connection's busy timeout must be 0
    (``db.create_engine`` sets it): waiting for a lock is done on aiosqlite's thread."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> LoopConnection:
        adapted = super().connect(*arg, **kw)
        return LoopConnection(self, adapted._connection)
