"""Subscriptions (订阅): a read model fed from a Redis stream through FastStream.

What FastStream's defaults would get wrong, and what this module does instead (see
``../shared/notes/faststream-redis.md``):

- the consumer group is created here at id ``0`` before the broker starts, so a group
  created after events were published still gets all of them (FastStream creates at
  ``$``, and ``last_id="0"`` hot-loops on restart);
- a claimer (XAUTOCLAIM, ``claim_idle_ms``; :mod:`.claims`, a sweep per interval, not
  FastStream's, which spins while entries are pending) runs beside the reader, because a
  crashed consumer's pending entries are otherwise never redelivered;
- entries are read in batches and applied in one transaction per batch; acks are
  manual, after the commit;
- an event that keeps failing is dead-lettered after ``max_attempts`` — copied to
  ``<stream>.dlq`` with its error and acked — and later events keep flowing;
- a periodic catch-up pulls the producers' feeds, so a trimmed stream, a flushed Redis
  or a lost tail still ends in a complete read model.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from faststream import AckPolicy
from faststream.message import StreamMessage, gen_cor_id
from faststream.redis import RedisBroker
from faststream.redis.message import FAKE_CONSUMER
from faststream.redis.message import RedisBatchStreamMessage as FastStreamBatch
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from shegong.contracts import Envelope, WireFormatError
from shegong.kernel.events.claims import claim_forever, claim_idle
from shegong.kernel.events.projection import EventFailed, ProjectionRunner
from shegong.kernel.events.recent import recent_entries, server_of
from shegong.kernel.events.skim import skim
from shegong.kernel.events.stream_sub import PrefixedOnce
from shegong.kernel.ops.lifecycle import finish, pause

log = logging.getLogger("shegong.subscription")

Entry = tuple[bytes, dict[bytes, bytes]]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes | bytearray) else str(value)


async def _raw_batch(message: Mapping[str, Any]) -> StreamMessage[Any]:
    """A batch as read, for ``handle`` (which reads the entries themselves): FastStream's
    own parser re-encodes every entry of the batch as one JSON body, and its decoder
    parses it back — a quarter of the host's CPU under a big import, for a body that is
    never used."""
    cid = gen_cor_id()
    return FastStreamBatch(
        raw_message=message,
        body=b"",
        headers={},
        batch_headers=[],
        path={},
        reply_to="",
        content_type=None,
        message_id=cid,
        correlation_id=cid,
        consumer=FAKE_CONSUMER,  # acked by ``handle``, after the commit
        group=None,
    )


async def _the_message(message: StreamMessage[Any]) -> StreamMessage[Any]:
    """The batch itself as the handler's one argument: a handler taking FastStream's
    ``Context("message")`` annotation has it resolved by a plain function, which
    fast_depends runs on a worker thread — a thread hop per batch per consumer group (2–3 %
    of the registry's CPU under commands). A broker built with ``apply_types=False`` (the
    runtime's) then calls the handler with no dependency solving at all."""
    return message


async def ensure_group(redis: Redis, stream: str, group: str) -> bool:
    """Create ``group`` at id 0 (the whole history) unless it exists; True if created."""
    try:
        await redis.xgroup_create(stream, group, id="0", mkstream=True)
        return True
    except ResponseError as err:
        if "BUSYGROUP" not in str(err):
            raise
        return False


# Periodic catch-ups skipped in a row at most while Redis is delivering.
_POSTPONE_CATCH_UP = 10
# Longest a skipped entry's position waits unwritten while Redis keeps delivering.
_SKIPPED_FOR_S = 10.0


def dlq_stream(stream: str) -> str:
    return f"{stream}.dlq"


class StreamSubscription:
    def __init__(
        self,
        broker: RedisBroker,
        redis: Redis,
        runner: ProjectionRunner,
        *,
        stream: str,
        group: str,
        consumer: str,
        batch_size: int = 200,
        polling_ms: int = 1000,
        claim_idle_ms: int = 60_000,
        catch_up_s: float = 30.0,
        linger_s: float = 0.02,
    ) -> None:
        self.broker, self.redis, self.runner = broker, redis, runner
        self.stream, self.group, self.consumer = stream, group, consumer
        self.batch_size = max(batch_size, runner.projection.min_batch or 0)
        # How long an idle reader's XREADGROUP blocks: an entry ends the wait at once, so
        # this only sets how often an idle group asks again (at 100 ms, a service's six
        # groups made 60 empty reads a second through FastStream's machinery).
        self.polling_ms = polling_ms
        # Under a steady flow, apply at most one batch per ``linger_s``: what arrives
        # meanwhile joins the batch (one transaction, one XACK) instead of each entry
        # costing its own. After a quiet spell an entry is applied at once.
        self.linger_s = linger_s
        self.claim_idle_ms, self.catch_up_s = claim_idle_ms, catch_up_s
        # An entry is claimed within claim_idle_ms and a quarter of it (at most 5 s more).
        self.claim_every_s = max(min(polling_ms, 100) / 1000, min(claim_idle_ms / 4000, 5.0))
        self._delivered_at = float("-inf")  # when the reader last brought a batch
        self.dead_lettered = 0
        self._task: asyncio.Task[None] | None = None
        self._claims: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._server = server_of(redis)  # whose entry ids these are (``recent``)
        self._attach()

    def _attach(self) -> None:
        common: dict[str, Any] = {"group": self.group, "consumer": self.consumer}
        reader = self.broker.subscriber(
            stream=PrefixedOnce(
                self.stream,
                batch=True,
                max_records=self.batch_size,
                polling_interval=self.polling_ms,
                **common,
            ),
            ack_policy=AckPolicy.MANUAL,
            title=f"{self.group}:read",
            parser=_raw_batch,
            decoder=_the_message,
        )

        async def read(msg: Any) -> None:
            raw = cast(FastStreamBatch, msg).raw_message
            entries: list[Entry] = list(zip(raw["message_ids"], raw["data"], strict=True))
            loop = asyncio.get_running_loop()
            self._delivered_at = started = loop.time()
            await self.handle(entries)
            await self._pace(started, len(entries))

        reader(read)
        self._subscribers = (reader,)

    async def _pace(self, started: float, count: int) -> None:
        """After a batch that was not full, read again only ``linger_s`` after it began:
        what the group receives meanwhile comes in the next read, as one batch. (It was
        a second XREADGROUP after a wait before each batch: a round trip more per batch
        and group.) After a quiet spell the first entry is still applied at once."""
        wait = started + self.linger_s - asyncio.get_running_loop().time()
        if wait > 0 and count < self.batch_size and not self._stop.is_set():
            await asyncio.sleep(wait)

    async def prepare(self) -> None:
        """Before ``broker.start()``: the group must exist at id 0."""
        if await ensure_group(self.redis, self.stream, self.group):
            log.info("created consumer group %s on %s at 0", self.group, self.stream)

    def start_background(self) -> None:
        """The watchdog and periodic feed catch-up (after the broker started), and the
        claimer."""
        self._task = asyncio.create_task(self._maintain(), name=f"maintain:{self.group}")
        self._claims = asyncio.create_task(
            claim_forever(self._stop, self.claim_every_s, self.claim, self.group),
            name=f"claim:{self.group}",
        )

    async def claim(self) -> int:
        """Claim and apply the group's entries pending longer than ``claim_idle_ms``."""
        return await claim_idle(
            self.redis,
            self.stream,
            self.group,
            self.consumer,
            self.claim_idle_ms,
            self.batch_size,
            self.handle,
        )

    def request_stop(self) -> None:
        """Ask the watchdog and the claimer to end (a feed read in flight ends at once);
        :meth:`stop` waits for them."""
        self._stop.set()

    async def stop(self) -> None:
        self._stop.set()
        await finish(self._task)
        await finish(self._claims)
        await self._save_skipped(quiet=True)

    async def handle(self, entries: Sequence[Entry]) -> None:
        parsed: list[tuple[bytes, Envelope]] = []
        wants = self.runner.projection.wants_entry
        for entry_id, fields in entries:
            try:
                envelope = recent_entries.envelope(
                    self._server, self.stream, fields, wants, self._skimmed_if_unwanted
                )
                parsed.append((entry_id, envelope))
            except WireFormatError as err:
                await self._to_dlq(entry_id, fields, str(err), attempts=1)
        if not parsed:
            return
        try:
            await self.runner.process([env for _, env in parsed])
        except Exception as err:
            log.info("batch of %d failed (%s); retrying one by one", len(parsed), err)
        else:
            await self._ack([entry_id for entry_id, _ in parsed])
            return
        await self._one_by_one(parsed)

    def _skimmed_if_unwanted(self, fields: Mapping[Any, Any]) -> Envelope | None:
        """An entry the projection cannot care about (an aggregate it does not read, a
        type it ignores) is read for its position alone (:func:`skim`): half of the
        census's stream is its own link events, and every consumer group reads every
        entry. None: read it whole (wanted, or not a well-formed shegong entry)."""
        return skim(fields, self.runner.projection.wants_entry)

    async def _one_by_one(self, parsed: list[tuple[bytes, Envelope]]) -> None:
        counted: set[str] = set()
        for entry_id, envelope in parsed:
            for _ in range(2):  # a second try once the culprit is dead-lettered
                try:
                    await self.runner.process([envelope])
                except EventFailed as failed:
                    if failed.envelope.id in counted:
                        break
                    counted.add(failed.envelope.id)
                    attempts = await self.runner.record_failure(failed)
                    if attempts < self.runner.max_attempts:
                        break  # stays pending; the claimer brings it back
                    await self.runner.dead_letter(failed, attempts)
                    await self._to_dlq(
                        entry_id if failed.envelope.id == envelope.id else None,
                        failed.envelope.to_wire(),
                        str(failed),
                        attempts,
                    )
                    continue
                except Exception as err:  # database down, lock conflict: retry later
                    log.warning("%s: cannot apply %s now: %s", self.group, envelope.id, err)
                    break
                await self._ack([entry_id])
                break

    async def _to_dlq(
        self, entry_id: bytes | None, fields: dict[Any, Any], error: str, attempts: int
    ) -> None:
        record = {(k.decode() if isinstance(k, bytes) else k): v for k, v in fields.items()}
        record.update(
            {
                "dlq_error": error[:4000],
                "dlq_group": self.group,
                "dlq_attempts": str(attempts),
                "dlq_entry_id": (entry_id or b"").decode(),
                "dlq_failed_at": datetime.now(UTC).isoformat(),
            }
        )
        await self.redis.xadd(dlq_stream(self.stream), record)  # type: ignore[arg-type]
        self.dead_lettered += 1
        if entry_id is not None:
            await self._ack([entry_id])

    async def _ack(self, ids: list[bytes]) -> None:
        if ids:
            await self.redis.xack(self.stream, self.group, *ids)

    async def catch_up(self) -> int:
        """Pull every known producer's feed after our positions (no Redis needed)."""
        total = 0
        for source in self.runner.feeds.sources():
            total += await self.runner.catch_up(source, stop=self._stop)
        return total

    async def _maintain(self, watch_s: float = 1.0) -> None:
        loop = asyncio.get_running_loop()
        next_catch_up = loop.time() + self.catch_up_s
        postponed = 0
        while not await pause(self._stop, watch_s):
            await self._save_skipped(loop.time() - self._delivered_at > watch_s)
            due = self.catch_up_s > 0 and loop.time() >= next_catch_up
            revived = False
            try:
                if not all(sub.running for sub in self._subscribers):
                    revived = await self._revive()
            except (RedisError, OSError) as err:
                log.warning("%s: cannot revive the subscription yet: %s", self.group, err)
            if not (due or revived):
                continue
            next_catch_up = loop.time() + self.catch_up_s
            if (
                not revived
                and loop.time() - self._delivered_at < self.catch_up_s
                and postponed < _POSTPONE_CATCH_UP
            ):
                # Redis is delivering: the feeds would bring what it brings (read, decoded
                # and skipped twice — a fifth of the host's CPU while a big import caught
                # up). A gap in what it brings is filled when seen; a lost tail waits for
                # Redis to fall quiet, or for the catch-up after this many postponed.
                postponed += 1
                continue
            postponed = 0
            try:
                filled = await self.catch_up()
                if filled:
                    log.info("%s: caught up %d events from feeds", self.group, filled)
            except Exception as err:
                log.warning("%s: feed catch-up failed: %s", self.group, err)

    async def _save_skipped(self, quiet: bool) -> None:
        """The positions of entries skipped without a write (see ``SkippedPositions``):
        written once the reader is quiet, or every ``_SKIPPED_FOR_S`` under a steady flow."""
        waiting = self.runner.skipped.waiting_for()
        if waiting and (quiet or waiting > _SKIPPED_FOR_S):
            try:
                await self.runner.save_skipped()
            except Exception as err:  # the database is down: the next round tries again
                log.warning("%s: cannot save skipped positions yet: %s", self.group, err)

    async def _revive(self) -> bool:
        """FastStream stops a subscriber for good when its group vanishes (Redis
        restarted without persistence, stream deleted): recreate the group at 0, restart
        the subscribers, and report that the stream's history may be gone."""
        recreated = await ensure_group(self.redis, self.stream, self.group)
        if recreated:
            log.warning(
                "consumer group %s on %s was gone; recreated at 0, refilling from "
                "the producers' feeds",
                self.group,
                self.stream,
            )
        for sub in self._subscribers:
            if not sub.running:
                await sub.stop()
                await sub.start()
        return recreated
