"""Statements compiled once, run on the driver's connection: the hot paths' SQL.

SQLAlchemy's Core execution (execution context, parameter processing, result set-up,
events) and its trip through the greenlet cost ≈ 57–97 µs a statement, where SQLite
runs the same SQL in 6 (bench/README.md, rounds 9–11). A command's few fixed
statements — the event's append, the vault's insert, the listed numbers — need none
of it: their SQL never changes. :class:`RawStatement` compiles a SQLAlchemy statement
once per dialect (the same SQL SQLAlchemy would send, its parameters converted by the
same type processors) and :func:`execute` runs it on the connection's driver, inside
the transaction SQLAlchemy opened (``db.writing``): BEGIN, COMMIT, ROLLBACK and the
pool stay SQLAlchemy's.

On SQLite the statement runs on the loop's thread as ``sqlite_driver`` runs every
statement (a busy database: again on aiosqlite's thread, waiting there); on PostgreSQL
through psycopg's async connection, awaited directly. A driver error is raised as
SQLAlchemy raises it (``IntegrityError``, ``OperationalError`` …), so callers and the
web layer's handlers see what they saw before.

What is not done for a raw statement: SQLAlchemy's ``before/after_cursor_execute``
events, and result processing (rows come back as the driver gives them — use it for
statements whose result columns are integers and text, or none). An expanding ``IN``
is not supported (compile one statement per size instead).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncClientCursor
from sqlalchemy import JSON, Executable, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler

from shegong.kernel.ops.sqlite_driver import LoopConnection


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the parameters, in the order a positional driver takes them
    keys: tuple[str, ...]  # the driver's names for them (a named driver)
    processors: tuple[Callable[[Any], Any] | None, ...]
    fixed: dict[str, Any]  # the values the statement carries itself (``HEAD + 1``'s 1)
    positional: bool

    def bind(self, params: Mapping[str, Any]) -> Any:
        if self.fixed:
            params = {**self.fixed, **params}
        values = []
        for name, proc in zip(self.names, self.processors, strict=True):
            value = params[name]
            values.append(value if proc is None or value is None else proc(value))
        return tuple(values) if self.positional else dict(zip(self.keys, values, strict=True))


class RawStatement:
    """A statement compiled once per dialect, for :func:`execute`."""

    __slots__ = ("_by_dialect", "columns", "statement")

    def __init__(self, statement: Executable, columns: Sequence[str] | None = None) -> None:
        """``columns``: an INSERT's columns given (default: every column)."""
        self.statement, self.columns = statement, columns
        self._by_dialect: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            found = self._by_dialect[dialect.name] = _compile(self.statement, dialect, self.columns)
        return found


def _compile(
    statement: Executable, dialect: Dialect, columns: Sequence[str] | None = None
) -> _Compiled:
    compiled = statement.compile(  # type: ignore[attr-defined]
        dialect=dialect, column_keys=list(columns) if columns is not None else None
    )
    assert isinstance(compiled, SQLCompiler)
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise ValueError("raw_sql: expanding or literal-execute parameters are not supported")
    if compiled.positional:
        names = tuple(compiled.positiontup or ())
    else:
        names = tuple(compiled.bind_names.values())
    escaped = compiled.escaped_bind_names
    binds = {name: bp for bp, name in compiled.bind_names.items()}
    fixed = {name: bp.value for name, bp in binds.items() if not bp.required}
    processors = tuple(
        binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    return _Compiled(
        sql=compiled.string,
        names=names,
        keys=tuple(escaped.get(name, name) for name in names),
        processors=processors,
        fixed=fixed,
        positional=compiled.positional,
    )


@dataclass(frozen=True)
class RawResult:
    rows: list[Any]  # the driver's row tuples; empty for a statement without rows
    rowcount: int

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None


# On PostgreSQL, ``db.writing`` leaves BEGIN to the transaction's first statement (its
# connection in autocommit meanwhile): set in the connection's ``info`` until it is sent,
# by SQLAlchemy's cursor (``db._deferred_begin``) or here, at the head of a trip's query.
BEGIN_PENDING = "shegong_begin_pending"

# Set in the connection's ``info`` once ``execute_all(commit=True)`` sent the COMMIT:
# the transaction is over, a statement after it would run outside any (refused here and
# by ``db._deferred_begin``); gone with SQLAlchemy's commit or rollback, or at checkin.
COMMITTED = "shegong_committed"

# A statement and its parameters, for ``execute_all`` (and the event store's ``save_with``).
Step = tuple[RawStatement, Mapping[str, Any]]


async def execute_all(
    conn: AsyncConnection, steps: Sequence[Step], *, commit: bool = False
) -> list[RawResult]:
    """Several statements in order, their results. On PostgreSQL in one round trip
    (one query of several statements: ``_in_one_trip``): for statements that do not
    depend on each other's rows (a lock, then the insert it guards). An error in one
    stops the rest and is raised.
    A write transaction's BEGIN not sent yet (``db.writing``) goes at the head of the
    query, in the same trip.

    ``commit``: these are the unit of work's last statements — on PostgreSQL its COMMIT
    goes at the query's tail, in the same trip (SQLAlchemy's commit at the block's
    end then finds the server idle and sends nothing); an error in a step skips it and
    the block's exit rolls back. So every step must fail as an SQL error where the work
    must be undone (not report it by a row count), and nothing may be decided after it.
    SQLite: the statements as without it, COMMIT at the block's end as before."""
    sync = conn.sync_connection
    assert sync is not None, "raw_sql.execute_all: the connection is not started"
    adapted = sync.connection.dbapi_connection
    if isinstance(adapted, LoopConnection) or not steps:
        return [await execute(conn, statement, params) for statement, params in steps]
    _refuse_after_commit(sync.info)
    begin = bool(sync.info.pop(BEGIN_PENDING, False))
    if len(steps) < 2 and not begin and not commit:
        return [await execute(conn, statement, params) for statement, params in steps]
    driver = adapted.driver_connection  # type: ignore[union-attr]
    results = await _in_one_trip(sync.dialect, driver, steps, begin=begin, commit=commit)
    if commit:
        sync.info[COMMITTED] = True
    return results


def _refuse_after_commit(info: dict[str, Any]) -> None:
    if info.get(COMMITTED):
        raise RuntimeError(
            "raw_sql: a statement after the transaction's COMMIT (execute_all(commit=True) "
            "must carry the unit of work's last statements)"
        )


async def _in_one_trip(
    dialect: Dialect, driver: Any, steps: Sequence[Step], *, begin: bool, commit: bool = False
) -> list[RawResult]:
    """The steps (with the BEGIN and COMMIT asked for) as one query of several statements,
    their results in order. psycopg's pipeline mode took one turn of the event loop per
    statement (each ``execute`` waits for the socket: a reader and a writer added and
    removed, ≈ 30 µs of the service's CPU) besides the trip; one query is one
    (bench/README.md, round 15). That is the simple query protocol, which takes no
    parameters: each statement's are bound by psycopg's client-side cursor (its
    ``mogrify``: the quoting of its ``ClientCursor``, each value a typed literal, as the
    compiled SQL casts it). An error stops the statements after it (a COMMIT among them)
    and is raised with the statements' SQL, never their values. Not prepared on the
    server (the server parses each; the service's CPU is what this saves)."""
    literal = AsyncClientCursor(driver)
    compiled = [statement.compiled(dialect) for statement, _ in steps]
    parts = [
        literal.mogrify(c.sql, c.bind(params))
        for c, (_, params) in zip(compiled, steps, strict=True)
    ]
    query = ";\n".join(["BEGIN"] * begin + parts + ["COMMIT"] * commit)
    try:
        async with driver.cursor() as cursor:
            await cursor.execute(query, prepare=False)
            if begin:
                cursor.nextset()
            results = []
            for _ in steps:
                rows = await cursor.fetchall() if cursor.description else []
                results.append(RawResult(rows, cursor.rowcount))
                cursor.nextset()
            return results
    except dialect.loaded_dbapi.Error as err:
        sql = ";\n".join(["BEGIN"] * begin + [c.sql for c in compiled] + ["COMMIT"] * commit)
        raise DBAPIError.instance(
            sql, None, err, dialect.loaded_dbapi.Error, dialect=dialect
        ) from err


async def execute(
    conn: AsyncConnection,
    statement: RawStatement,
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
) -> RawResult:
    """Run ``statement`` on ``conn``'s driver connection, in its open transaction; a
    sequence of parameter sets runs as the driver's ``executemany``."""
    sync = conn.sync_connection
    assert sync is not None, "raw_sql.execute: the connection is not started"
    dialect = sync.dialect
    compiled = statement.compiled(dialect)
    many = not isinstance(params, Mapping)
    bound = [compiled.bind(p) for p in params] if many else compiled.bind(params)  # type: ignore[arg-type, union-attr]
    adapted = sync.connection.dbapi_connection
    try:
        if isinstance(adapted, LoopConnection):
            _, rows, rowcount, _ = await adapted.run_call_async(
                adapted.statement(compiled.sql, bound, many=many)
            )
            return RawResult(rows or [], rowcount)
        _refuse_after_commit(sync.info)
        driver = adapted.driver_connection  # type: ignore[union-attr]
        if sync.info.pop(BEGIN_PENDING, False):  # the write transaction's BEGIN, in this trip
            if not many:
                return (await _in_one_trip(dialect, driver, [(statement, params)], begin=True))[0]  # type: ignore[list-item]
            await driver.execute("BEGIN", prepare=False)
        async with driver.cursor() as cursor:
            if many:
                await cursor.executemany(compiled.sql, bound)
            else:
                await cursor.execute(compiled.sql, bound)
            rows = await cursor.fetchall() if cursor.description else []
            return RawResult(rows, cursor.rowcount)
    except dialect.loaded_dbapi.Error as err:
        raise DBAPIError.instance(
            compiled.sql, bound, err, dialect.loaded_dbapi.Error, dialect=dialect
        ) from err


_INSERTS: dict[tuple[Table, tuple[str, ...]], tuple[RawStatement, tuple[str, ...]] | None] = {}


def _insert_of(
    table: Table, columns: tuple[str, ...]
) -> tuple[RawStatement, tuple[str, ...]] | None:
    """The raw INSERT of ``columns`` and its JSON columns; None where SQLAlchemy must run
    it (a Python-side default for a column left out)."""
    key = (table, columns)
    if key not in _INSERTS:
        given = set(columns)
        if any(c.default is not None for c in table.c if c.key not in given):
            _INSERTS[key] = None
        else:
            json = tuple(
                c.key
                for c in table.c
                if c.key in given and isinstance(c.type, JSON) and not c.type.none_as_null
            )
            _INSERTS[key] = (RawStatement(table.insert(), columns), json)
    return _INSERTS[key]


async def insert_rows(
    conn: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """``conn.execute(table.insert(), rows)`` on the driver: the statement compiled once
    per table and set of columns, each run of rows with the same columns one
    ``executemany`` (in order). SQLAlchemy's executemany built every row's parameters
    through its compiler and execution context (≈ 1.5 s of a 20,000-row import's CPU,
    bench/README.md round 12). SQLAlchemy still runs a run it would write otherwise: a
    Python-side default for a column left out, a JSON column's None (JSON ``null``
    there, SQL NULL on the driver)."""
    start = 0
    while start < len(rows):
        columns = tuple(rows[start])
        end = start + 1
        while end < len(rows) and tuple(rows[end]) == columns:
            end += 1
        run = rows[start:end]
        raw = _insert_of(table, columns)
        if raw is None or any(row[c] is None for c in raw[1] for row in run):
            await conn.execute(table.insert(), list(run))
        else:
            await execute(conn, raw[0], run)
        start = end
