"""Exactly one active relay per service (单主): whoever holds the lock publishes.

PostgreSQL: a session advisory lock on a connection held for as long as we lead; if
that connection dies the lock is gone and so is our leadership. SQLite: an exclusive
``flock`` on a file beside the database (SQLite deployments are one machine).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import zlib
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shegong.kernel.ops.db import is_postgres


class Leadership:
    def __init__(self, engine: AsyncEngine, name: str) -> None:
        self.engine, self.name = engine, name
        self._key = zlib.crc32(f"shegong:{name}".encode())
        self._conn: AsyncConnection | None = None
        self._file: IO[bytes] | None = None

    async def try_acquire(self) -> bool:
        if is_postgres(self.engine):
            conn = await self.engine.connect()
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key})
            await conn.commit()
            if got:
                self._conn = conn
                return True
            await conn.close()
            return False
        path = self._lock_path()
        if path is None:
            return True
        handle = path.open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    async def still_held(self) -> bool:
        if self._conn is None:
            return True
        try:
            await self._conn.execute(text("SELECT 1"))
            await self._conn.commit()
            return True
        except Exception:
            return False

    async def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
                await self._conn.commit()
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def _lock_path(self) -> Path | None:
        database = self.engine.url.database
        if not database or database == ":memory:":
            return None
        return Path(os.path.abspath(database + f".{self.name}.lock"))
