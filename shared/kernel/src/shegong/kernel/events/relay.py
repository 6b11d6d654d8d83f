"""The outbox relay: committed events → the service's Redis stream, in commit order.

The event log is the outbox (see ``store``); the relay keeps a checkpoint — the last
position it published and the stream entry id Redis gave it — in the service's own
database. Redis down: commands still commit, the relay backs off and retries, and
publishes the backlog in order when Redis returns. A crash between XADD and the
checkpoint re-sends at most one batch; consumers are idempotent, so that is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import UTC, datetime

from opentelemetry.trace import SpanKind
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.kernel.events.leadership import Leadership
from shegong.kernel.events.recent import recent_entries, server_of
from shegong.kernel.events.schema import relay_checkpoints
from shegong.kernel.events.store import EventStore
from shegong.kernel.ops import tracing
from shegong.kernel.ops.db import reading, write_once, writing
from shegong.kernel.ops.lifecycle import pause

log = logging.getLogger("shegong.relay")

_C = relay_checkpoints.c
_CHECKPOINT = select(_C.position).where(_C.stream == bindparam("stream"))
_SAVE = (
    relay_checkpoints.update()
    .where(_C.stream == bindparam("stream_key"))
    .values(
        position=bindparam("position"),
        entry_id=bindparam("entry_id"),
        published_at=bindparam("published_at"),
    )
)


class OutboxRelay:
    def __init__(
        self,
        store: EventStore,
        redis: Redis,
        stream: str,
        *,
        batch_size: int = 500,
        maxlen: int | None = None,
        idle_poll_s: float = 1.0,
        linger_s: float = 0.01,
    ) -> None:
        self.store, self.redis, self.stream = store, redis, stream
        self.batch_size, self.maxlen, self.idle_poll_s = batch_size, maxlen, idle_poll_s
        # Under a stream of commits, publish at most once per ``linger_s``: the commits of
        # that moment go out as one batch (one pipeline, one checkpoint write) rather than
        # a round per commit. A commit after a quiet spell is published at once.
        self.linger_s = linger_s
        # The checkpoint as this process last wrote it, while it leads (nobody else
        # writes it then); None: read it from the database.
        self._position: int | None = None
        self.leadership = Leadership(store.engine, f"relay-{stream}")
        self.published_total = 0
        self.is_leader = False
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._server = server_of(redis)
        store.on_commit(self._wake.set)

    def request_stop(self) -> None:
        """Finish the batch in hand, then return from :meth:`run`."""
        self._stop.set()
        self._wake.set()

    @property
    def engine(self) -> AsyncEngine:
        return self.store.engine

    async def checkpoint(self) -> int:
        async with reading(self.engine) as conn:
            value = await conn.scalar(_CHECKPOINT, {"stream": self.stream})
            return int(value or 0)

    async def backlog(self) -> int:
        return await self.store.head() - await self.checkpoint()

    async def publish_once(self) -> int:
        """Publish the next batch after the checkpoint; returns how many were published."""
        after = self._position if self._position is not None else await self.checkpoint()
        # What this process committed is in hand; the store is read for the rest.
        batch = self.store.committed_after(after, self.batch_size) or await self.store.read_after(
            after, self.batch_size
        )
        if not batch:
            return 0
        # One span per batch, linked to the spans that appended its events (the
        # messaging conventions' batch publish); consumers continue each event's trace.
        with tracing.span(
            f"{self.stream} publish",
            kind=SpanKind.PRODUCER,
            links=tracing.links_to([e.traceparent for e in batch]),
            attributes={
                "messaging.system": "redis",
                "messaging.operation.type": "send",
                "messaging.destination.name": self.stream,
                "messaging.batch.message_count": len(batch),
            },
        ):
            # Encoded once, as bytes: what XADD sends (redis-py passes bytes through) and
            # what this process's consumer groups compare their entries with.
            wires = [
                {k.encode(): v.encode() for k, v in envelope.to_wire().items()}
                for envelope in batch
            ]
            # This process's consumer groups read these entries next: parsed already — left
            # before the XADD, for the groups on other threads read them the moment it lands.
            for envelope, fields in zip(batch, wires, strict=True):
                recent_entries.put(self._server, self.stream, envelope, fields)
            async with self.redis.pipeline(transaction=True) as pipe:
                for fields in wires:
                    pipe.xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)  # type: ignore[arg-type]
                ids = await pipe.execute()
        last_id = ids[-1].decode() if isinstance(ids[-1], bytes) else str(ids[-1])
        await self._save_checkpoint(after, batch[-1].sequence, last_id)
        if self.is_leader:
            self._position = batch[-1].sequence
        self.published_total += len(batch)
        return len(batch)

    async def _save_checkpoint(self, previous: int, position: int, entry_id: str) -> None:
        now = datetime.now(UTC)
        values = {"position": position, "entry_id": entry_id, "published_at": now}
        # The checkpoint's one row, updated on its own: on PostgreSQL one round trip, where
        # a transaction around it took three (BEGIN, the UPDATE, COMMIT — the largest part
        # of a relay round's CPU there: bench/README.md, round 13). Only the leading relay
        # writes its stream's row; the first checkpoint inserts it.
        if await write_once(self.engine, _SAVE, {"stream_key": self.stream, **values}):
            return
        async with writing(self.engine) as conn:
            updated = await conn.execute(_SAVE, {"stream_key": self.stream, **values})
            if updated.rowcount == 0:
                await conn.execute(relay_checkpoints.insert().values(stream=self.stream, **values))

    async def run(self) -> None:
        """Run forever: wait for leadership, then publish whenever events commit."""
        while not self._stop.is_set():
            if not await self.leadership.try_acquire():
                await pause(self._stop, 2.0)
                continue
            self.is_leader = True
            self.store.keep_committed(True)
            log.info("relay for %s is the active publisher", self.stream)
            try:
                await self._lead()
            finally:
                self.is_leader, self._position = False, None
                self.store.keep_committed(False)
                await self.leadership.release()

    async def _lead(self) -> None:
        delay = 0.1
        redis_down = False
        loop = asyncio.get_running_loop()
        last_round = checked = -1.0
        while not self._stop.is_set():
            wait = last_round + self.linger_s - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            last_round = loop.time()
            self._wake.clear()  # before reading, so a commit during the read is not missed
            try:
                published = await self.publish_once()
            except (RedisError, OSError) as err:
                if not redis_down:
                    log.warning("Redis unavailable (%s); events wait in the store", err)
                    redis_down = True
                await pause(self._stop, delay * (0.5 + random.random()))
                delay = min(delay * 2, 5.0)
                continue
            if redis_down:
                log.info("Redis is back; publishing the backlog")
                redis_down, delay = False, 0.1
            if published == self.batch_size:
                continue
            if loop.time() - checked >= self.idle_poll_s:  # a round trip: once a second
                if not await self.leadership.still_held():
                    log.warning("relay for %s lost its leadership lock", self.stream)
                    return
                checked = loop.time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.idle_poll_s)
