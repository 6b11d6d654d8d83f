"""What the service asks PostgreSQL, counted on psycopg's side (``--count-trips`` of
``bench_command_http.py``): BEGIN and COMMIT (each a wait for the server, a BEGIN in
a pipeline too), statements sent on their own (a wait each), pipelines (a wait each,
however many statements they carry). Deterministic where CPU per command is not: a
round trip costs the service ≈ 120–190 µs of CPU through psycopg's async path
(bench/README.md, round 13)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from psycopg import _connection_base, _pipeline_async, cursor_async

counts: Counter[str] = Counter()


def install() -> None:
    exec_command = _connection_base.BaseConnection._exec_command

    def counted_command(self: Any, command: Any, result_format: Any = 0) -> Any:
        counts[bytes(command).split()[0].decode()] += 1
        return exec_command(self, command, result_format)

    execute = cursor_async.AsyncCursor.execute

    async def counted_execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts["statement in a pipeline" if self._conn._pipeline else "statement alone"] += 1
        return await execute(self, *args, **kwargs)

    leave = _pipeline_async.AsyncPipeline.__aexit__

    async def counted_leave(self: Any, *args: Any) -> Any:
        counts["pipeline"] += 1
        return await leave(self, *args)

    _connection_base.BaseConnection._exec_command = counted_command  # type: ignore[method-assign]
    cursor_async.AsyncCursor.execute = counted_execute  # type: ignore[method-assign]
    _pipeline_async.AsyncPipeline.__aexit__ = counted_leave  # type: ignore[method-assign]


def report(commands: int) -> str:
    waits = sum(counts[k] for k in ("BEGIN", "COMMIT", "ROLLBACK", "statement alone", "pipeline"))
    lines = [f"psycopg per POST /workers ({commands} commands; ≈ {waits / commands:.2f} waits):"]
    lines += [f"  {k:24s} {v / commands:6.2f}" for k, v in sorted(counts.items())]
    return "\n".join(lines)
