"""Read models (读模型) built from events, each event applied exactly once, in order.

A :class:`Projection` says how one event changes its tables. The
:class:`ProjectionRunner` owns the guarantees: per producing source it keeps the last
position applied, in the same transaction as the change (duplicates are skipped, a
redelivery after a crash cannot double-count); when a position is missing it fills the
gap from that source's feed before going on; an event that keeps failing is counted,
and after ``max_attempts`` it is dead-lettered and skipped so later events still flow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from opentelemetry.trace import SpanKind
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shegong.contracts import Envelope, Event
from shegong.kernel.events import failures
from shegong.kernel.events.feed import Feeds
from shegong.kernel.events.positions import (
    PositionsMoved,
    batch_start,
    read_positions,
    save_positions,
)
from shegong.kernel.events.read_model import Projection
from shegong.kernel.events.recent import decoded
from shegong.kernel.events.schema import dead_letters, event_failures, projection_positions
from shegong.kernel.events.skipped import SkippedPositions
from shegong.kernel.ops import tracing
from shegong.kernel.ops.db import reading, writing
from shegong.kernel.ops.lifecycle import unless_stopped
from shegong.kernel.web.correlation import correlation_scope

log = logging.getLogger("shegong.projection")
_STAGED_ATTEMPTS = 5
_NO_SPAN = contextlib.nullcontext()


class EventFailed(Exception):
    """Applying ``envelope`` raised ``cause``; carries the culprit out of a batch."""

    def __init__(self, envelope: Envelope, cause: BaseException) -> None:
        super().__init__(
            f"{envelope.type} {envelope.id} ({envelope.source}#{envelope.sequence}): "
            f"{type(cause).__name__}: {cause}"
        )
        self.envelope, self.cause = envelope, cause


@dataclass
class BatchResult:
    applied: int = 0
    duplicates: int = 0
    gap_filled: int = 0
    skipped_dead: int = 0
    last: Envelope | None = None  # the last event applied

    def culprit(self, err: Exception) -> Exception:
        """A batch-wide step (``prepare``, ``flush``) failed: with one event applied, that
        event is the culprit (retried one by one, a bad event is dead-lettered so)."""
        if self.applied == 1 and self.last is not None and not isinstance(err, EventFailed):
            return EventFailed(self.last, err)
        return err


class ProjectionRunner:
    def __init__(
        self, engine: AsyncEngine, projection: Projection, feeds: Feeds, *, max_attempts: int = 5
    ) -> None:
        self.engine, self.projection, self.feeds = engine, projection, feeds
        self.max_attempts = max_attempts
        self.applied_total = 0
        # One batch at a time per runner: the Redis reader and the feed catch-up both
        # call ``process``, and a staged projection computes outside any transaction.
        self._serial = asyncio.Lock()
        self.skipped = SkippedPositions()
        self._foreign: set[str] = set()  # sources whose feeds serve another service
        self._decoded: dict[str, Event | Exception] = {}  # a batch's, before the lock

    @property
    def name(self) -> str:
        return self.projection.name

    async def create_schema(self) -> None:
        async with writing(self.engine) as conn:
            await conn.run_sync(self.projection.metadata.create_all)

    async def positions(self) -> dict[str, int]:
        """The last position applied (or skipped) per source."""
        async with reading(self.engine) as conn:
            rows = await conn.execute(
                select(projection_positions.c.source, projection_positions.c.position).where(
                    projection_positions.c.projection == self.name
                )
            )
            stored = {r.source: int(r.position) for r in rows}
        return self.skipped.past({**self.skipped.ahead, **stored})

    async def process(self, envelopes: Sequence[Envelope]) -> BatchResult:
        """Apply a batch in one transaction. Raises :class:`EventFailed` (nothing kept)."""
        async with self._serial:
            if not self.projection.staged:
                return await self._process(envelopes)
            for _ in range(_STAGED_ATTEMPTS):
                try:
                    return await self._process_staged(envelopes)
                except PositionsMoved:
                    continue  # another replica applied some of it meanwhile: start over
            raise RuntimeError(f"{self.name}: positions keep moving under a staged batch")

    async def save_skipped(self) -> None:
        """Write the positions of the entries skipped since the last write."""
        async with self._serial:
            if not self.skipped.ahead:
                return
            sources = sorted(self.skipped.ahead)
            try:
                async with writing(self.engine, background=True) as conn:
                    start = await read_positions(self.engine, self.name, conn, sources)
                    last = self.skipped.past(start)
                    await save_positions(self.name, conn, start, last)
            except PositionsMoved:
                return  # a replica wrote meanwhile: compared again next time
            self.skipped.written(last)

    async def _only_skips(self, envelopes: Sequence[Envelope], result: BatchResult) -> bool:
        """Whether the batch holds nothing to apply — every entry a duplicate, of another
        service, or one the projection does not want, with no gap before it — and if so,
        remember how far it goes (no write, no turn at the write lock)."""
        own = self.projection.contract.service
        if any(e.service == own and self.projection.wants(e) for e in envelopes):
            return False  # to apply: the write reads the positions (not twice a batch)
        stored = self.skipped.following(envelopes)
        if stored is None:
            stored = await read_positions(
                self.engine, self.name, None, {e.source for e in envelopes}, lock=False
            )
        last = self.skipped.past(stored)
        duplicates = 0
        for envelope in envelopes:
            position = last[envelope.source]
            if envelope.sequence <= position:
                duplicates += 1
                continue
            if envelope.sequence > position + 1:
                return False  # a gap: the feed fills it
            last[envelope.source] = envelope.sequence
        self.skipped.note(stored, last)
        result.duplicates = duplicates
        return True

    async def _process(self, envelopes: Sequence[Envelope]) -> BatchResult:
        result = BatchResult()
        if await self._only_skips(envelopes, result):
            return self._done(result)
        self._decode(envelopes)
        try:
            async with writing(self.engine, background=True) as conn:
                sources = sorted({e.source for e in envelopes})
                start, dead = await batch_start(self.engine, self.name, conn, sources)
                last = self.skipped.past(start)
                await self._apply_all(conn, envelopes, last, result, dead)
                if result.applied:
                    try:
                        await self.projection.prepare(conn)
                        await self.projection.flush(conn)
                    except Exception as err:
                        raise result.culprit(err) from err
                await save_positions(self.name, conn, start, last)
        except BaseException:
            self.projection.rolled_back()
            raise
        finally:
            self._decoded.clear()
        self.skipped.written(last)
        return self._done(result)

    def _decode(self, envelopes: Sequence[Envelope]) -> None:
        """Decode (validate) the batch's events before taking the write lock: the lock
        is held for the projection's work, not for parsing. A failure is kept, to be
        raised when the event's turn comes (the batch fails at the same event)."""
        contract = self.projection.contract
        for envelope in envelopes:
            if envelope.service == contract.service and self.projection.wants(envelope):
                try:
                    self._decoded[envelope.id] = decoded(contract, envelope)
                except Exception as err:
                    self._decoded[envelope.id] = err

    async def _process_staged(self, envelopes: Sequence[Envelope]) -> BatchResult:
        """Apply on a read connection (no write lock: the projection computes meanwhile),
        then write in one short transaction that first checks the positions read are
        still the positions stored — the same guarantee as :meth:`_process`."""
        result = BatchResult()
        if await self._only_skips(envelopes, result):
            return self._done(result)
        sources = sorted({e.source for e in envelopes})
        try:
            # Only reads, checked again under the write lock: apart (no BEGIN, ROLLBACK).
            async with reading(self.engine, apart=True) as conn:
                start, dead = await batch_start(self.engine, self.name, conn, sources, lock=False)
                last = self.skipped.past(start)
                await self._apply_all(conn, envelopes, last, result, dead)
                if result.applied:
                    try:
                        await self.projection.prepare(conn)
                    except Exception as err:
                        raise result.culprit(err) from err
            if last == start:
                return self._done(result)  # nothing new: nothing to write
            async with writing(self.engine, background=True) as conn:
                if await read_positions(self.engine, self.name, conn, sources) != start:
                    raise PositionsMoved(f"{self.name}: positions moved")
                # Positions first: a replica racing for a source's first position waits
                # on its row here (PostgreSQL) and then starts over, before any write.
                await save_positions(self.name, conn, start, last)
                if result.applied:
                    try:
                        await self.projection.flush(conn)
                    except Exception as err:
                        raise result.culprit(err) from err
        except BaseException:
            self.projection.rolled_back()
            raise
        self.skipped.written(last)
        return self._done(result)

    async def _apply_all(
        self,
        conn: AsyncConnection,
        envelopes: Sequence[Envelope],
        last: dict[str, int],
        result: BatchResult,
        dead: set[str],
    ) -> None:
        # Whether spans are recorded, asked once a batch: the provider's look-up for every
        # event cost ≈ 1 % of the host's CPU under a big import (bench/README.md round 12).
        traced = tracing.enabled()
        for envelope in envelopes:
            position = last[envelope.source]
            if envelope.sequence <= position:
                result.duplicates += 1
                continue
            if envelope.sequence > position + 1:
                missing = await self.feeds.read_range(envelope.source, position, envelope.sequence)
                for filler in missing:
                    await self._apply_one(conn, filler, dead, result, traced)
                result.gap_filled += len(missing)
            await self._apply_one(conn, envelope, dead, result, traced)
            last[envelope.source] = envelope.sequence

    def _done(self, result: BatchResult) -> BatchResult:
        if result.applied:
            self.projection.committed()
        self.applied_total += result.applied
        return result

    async def catch_up(
        self, source: str, *, page: int = 1000, stop: asyncio.Event | None = None
    ) -> int:
        """Pull ``source``'s feed after our position until it is exhausted (no Redis).
        A source is one producer's store: once its events prove to be another service's
        (none of them on this read model's stream), it is not read again. A ``stop``
        ends it between pages, and ends a read the producer has not answered yet."""
        if source in self._foreign:
            return 0
        feed = self.feeds.for_source(source)
        total = 0
        while stop is None or not stop.is_set():
            position = (await self.positions()).get(source, 0)
            reading_page = feed.read_after(position, page)
            batch = await (reading_page if stop is None else unless_stopped(stop, reading_page))
            if not batch:
                return total
            if batch[0].service != self.projection.contract.service:
                self._foreign.add(source)
                return total
            await self.process_resilient(batch)
            total += len(batch)
        return total

    async def process_resilient(self, envelopes: Sequence[Envelope]) -> None:
        """Like :meth:`process`, but a failing event is retried up to the limit, then
        dead-lettered (rebuilds from a feed have no redelivery to wait for)."""
        while True:
            try:
                await self.process(envelopes)
                return
            except EventFailed as failed:
                attempts = await self.record_failure(failed)
                if attempts >= self.max_attempts:
                    await self.dead_letter(failed, attempts)

    async def rebuild(self) -> int:
        """Drop this read model and its tracking, then replay every known source's feed."""
        async with self._serial, writing(self.engine) as conn:
            for table in reversed(self.projection.metadata.sorted_tables):
                await conn.execute(delete(table))
            for table in (projection_positions, event_failures, dead_letters):
                await conn.execute(delete(table).where(table.c.projection == self.name))
            self.projection.rolled_back()  # whatever it remembered is gone with its tables
            self.skipped.clear()
        return sum([await self.catch_up(source) for source in self.feeds.sources()])

    async def record_failure(self, failed: EventFailed) -> int:
        """Count one more failed attempt of the culprit event; returns the count."""
        attempts = await failures.record(self.engine, self.name, failed.envelope, str(failed))
        log.warning("%s: attempt %d failed: %s", self.name, attempts, failed)
        return attempts

    async def dead_letter(self, failed: EventFailed, attempts: int) -> None:
        """Give up on the event: from now on it is skipped (and visible as dead)."""
        await failures.bury(self.engine, self.name, failed.envelope, str(failed), attempts)
        log.error("%s: dead-lettered after %d attempts: %s", self.name, attempts, failed)

    async def _apply_one(
        self,
        conn: AsyncConnection,
        envelope: Envelope,
        dead: set[str],
        result: BatchResult,
        traced: bool,
    ) -> None:
        if envelope.id in dead:
            result.skipped_dead += 1
            return
        if envelope.service != self.projection.contract.service:
            # Catch-up and rebuild walk every known feed; another service's events are
            # not on this read model's stream (its position still moves past them).
            result.duplicates += 1
            return
        if not self.projection.wants(envelope):
            return
        # The event's conversation and trace continue here: logs carry its correlation id,
        # and the span is a child of the one that appended it (in whichever service). With
        # tracing off no span is begun (its attributes were built for every event and
        # projection: ≈ 2 % of the host's CPU under a big import).
        span = (
            tracing.span(
                f"{envelope.service} {envelope.type} process",
                kind=SpanKind.CONSUMER,
                parent=envelope.traceparent,
                attributes={
                    "messaging.system": "redis",
                    "messaging.operation.type": "process",
                    "messaging.message.id": envelope.id,
                    "shegong.projection": self.name,
                    "shegong.source": envelope.source,
                    "shegong.sequence": envelope.sequence,
                },
            )
            if traced
            else _NO_SPAN
        )
        with correlation_scope(envelope.correlation_id), span:
            try:
                event = self._decoded.pop(envelope.id, None)
                if event is None:
                    event = decoded(self.projection.contract, envelope)
                elif isinstance(event, Exception):
                    raise event
                await self.projection.apply(conn, envelope, event)
            except Exception as err:
                raise EventFailed(envelope, err) from err
        result.applied += 1
        result.last = envelope
