"""Residents' contact data over time (个人信息的保存期限与删除).

- **Retention**: an order's phone and address stay in the vault while someone may need
  to call the resident. ``ContactRetention`` — one leader, like the escalation timers —
  deletes them ``MATCHING_CONTACT_RETENTION_DAYS`` after the order closed: followed up
  (回访) without a reopen, cancelled, or delivered and never followed up (its last change
  is when it closed). The order and its indicators stay; the keyed hash stays.
- **Erasure**: a resident asks to be forgotten (the city administrator, ``POST
  /residents/erasure``, by phone or keyed hash): every order that phone placed loses the
  vault's values, and the read models the masked phone, the masked address and the
  resident's own words (``notes``).

Each deletion is a ``ResidentContactPurged`` event on the order's own stream — which
fields, why, the phone's keyed hash; never a value — in the same transaction as the
deletion. The order's aggregate applies it too, so its state replayed from the events
shows exactly what the read model shows.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts import Envelope
from shegong.contracts.matching import ResidentContactPurged
from shegong.kernel.data.identity import PersonalDataHasher, normalize_phone
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.feed import FeedNarrowing
from shegong.kernel.events.leader_job import LeaderJob
from shegong.kernel.events.schema import events_table
from shegong.kernel.events.store import CommandContext, EventStore
from shegong.kernel.ops.db import reading
from shegong.kernel.ops.runtime import Runtime
from shegong.kernel.web.auth import AuthError
from shegong.matching.adapters.request_rows import save_row
from shegong.matching.adapters.tables import requests, resident_data
from shegong.matching.domain.request import Request

log = logging.getLogger("shegong.matching.retention")

# An order is closed for its resident's contact once nobody will call them about it.
CLOSED = ("followed_up", "cancelled", "completed")
Reason = Literal["retention", "erasure"]


async def purge_contact(
    store: EventStore,
    request_id: str,
    reason: Reason,
    ctx: CommandContext,
    *,
    retention_before: datetime | None = None,
) -> bool:
    """Delete one order's resident data (one transaction, with its event). False when
    there was nothing left to delete or, for retention, the order is no longer due."""
    now = datetime.now(UTC)
    async with store.transaction(ctx) as tx:
        await tx.lock()
        request = await tx.load(Request, request_id)
        vault = (
            await tx.conn.execute(
                select(resident_data).where(resident_data.c.request_id == request_id)
            )
        ).first()
        if request is None or request.placed is None or vault is None:
            return False
        if reason == "retention":
            if vault.purged_at is not None or request.status not in CLOSED:
                return False
            last = await _last_change(tx.conn, request_id)
            if retention_before is not None and (last is None or _aware(last) > retention_before):
                return False  # reopened or changed meanwhile
        elif vault.purge_reason == "erasure":
            return False
        fields = [f for f in ("phone", "address") if getattr(vault, f) is not None]
        if reason == "erasure":
            placed = request.placed
            shown = (placed.resident_phone_masked, placed.resident_address_masked, placed.notes)
            fields += [
                f
                for f, v in zip(("phone_masked", "address_masked", "notes"), shown, strict=True)
                if v is not None
            ]
        request.record(
            ResidentContactPurged(
                request_id=request_id,
                department=request.department,
                reason=reason,
                fields=fields,
                resident_phone_hash=vault.phone_hash,
            )
        )
        if tx.ctx.department is None and request.department is not None:
            tx.ctx = dataclasses.replace(tx.ctx, department=request.department)
        await tx.save(request)
        await save_row(tx.conn, request)
        await tx.conn.execute(
            update(resident_data)
            .where(resident_data.c.request_id == request_id)
            .values(phone=None, address=None, purged_at=now, purge_reason=reason)
        )
        if reason == "erasure":
            await tx.conn.execute(
                update(requests)
                .where(requests.c.request_id == request_id)
                .values(resident_phone_masked=None, resident_address_masked=None, notes=None)
            )
    return True


async def erase_resident(
    store: EventStore,
    hasher: PersonalDataHasher,
    ctx: CommandContext,
    *,
    phone: str | None,
    phone_hash: str | None,
) -> dict[str, Any]:
    """A resident's erasure request: every order their phone placed (by the number or
    its keyed hash); what is left is the keyed hash."""
    if (phone is None) == (phone_hash is None):
        raise DomainError(
            "give the resident's phone or its keyed hash (phone_hash), one of them "
            "/ 请提供居民手机号或其密钥哈希（二选一）",
            field="phone",
        )
    key = hasher.phone(normalize_phone(phone, field="phone")) if phone else phone_hash
    async with reading(store.engine) as conn:
        orders = list(
            await conn.scalars(
                select(resident_data.c.request_id)
                .where(resident_data.c.phone_hash == key)
                .order_by(resident_data.c.request_id)
            )
        )
    erased = [rid for rid in orders if await purge_contact(store, rid, "erasure", ctx)]
    return {"resident_phone_hash": key, "orders": orders, "erased": len(erased)}


async def purged_notice(conn: AsyncConnection, request_id: str) -> None:
    """Raise 410 (in both languages) when the order's resident data was deleted."""
    row = (
        await conn.execute(
            select(resident_data.c.purged_at, resident_data.c.purge_reason).where(
                resident_data.c.request_id == request_id
            )
        )
    ).first()
    if row is None or row.purged_at is None:
        return
    day = _aware(row.purged_at).date().isoformat()
    if row.purge_reason == "erasure":
        en, zh = "at the resident's request", "应居民本人要求"
    else:
        en, zh = "after the retention period", "保存期满后"
    err = AuthError(
        410,
        f"the resident's contact for this order was deleted {en} on {day}",
        f"该订单的居民联系方式已于 {day} {zh}删除",
        field="request_id",
    )
    err.code = "purged"
    raise err


async def _last_change(conn: AsyncConnection, request_id: str) -> datetime | None:
    found = await conn.scalar(
        select(func.max(events_table.c.recorded_at)).where(
            (events_table.c.stream_id == request_id)
            & (events_table.c.type != ResidentContactPurged.model_fields["type"].default)
        )
    )
    return found if isinstance(found, datetime) else None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class ContactRetention(LeaderJob):
    """Deletes the contact of orders closed longer than the retention period."""

    name = "matching-contact-retention"

    def __init__(self, store: EventStore, retention_days: float, tick_s: float) -> None:
        super().__init__(store.engine, tick_s)
        self.store, self.retention_days = store, retention_days
        self.purged_total = 0

    async def tick(self) -> int:
        return await self.purge_due(datetime.now(UTC))

    async def purge_due(self, now: datetime) -> int:
        """Purge every order closed before ``now`` minus the retention period."""
        before = now - timedelta(days=self.retention_days)
        last = func.max(events_table.c.recorded_at)
        async with reading(self.engine) as conn:
            due = [
                (rid, changed)
                for rid, changed in await conn.execute(
                    select(requests.c.request_id, last)
                    .join(resident_data, resident_data.c.request_id == requests.c.request_id)
                    .join(events_table, events_table.c.stream_id == requests.c.request_id)
                    .where(requests.c.status.in_(CLOSED) & resident_data.c.purged_at.is_(None))
                    .group_by(requests.c.request_id)
                    .limit(5000)
                )
                if changed is not None and _aware(changed) <= before
            ]
        ctx = CommandContext(actor=self.name)
        purged = 0
        for rid, _ in due[:500]:
            if self.stopping:
                break
            try:
                purged += await purge_contact(
                    self.store, rid, "retention", ctx, retention_before=before
                )
            except Exception as err:
                log.warning("purging the contact of %s failed: %s", rid, err)
        self.purged_total += purged
        return purged


_ERASED_FROM_THE_ORDER = ("notes", "resident_phone_masked", "resident_address_masked")


def erased_from_the_feed(runtime: Runtime) -> FeedNarrowing:
    """The feed's narrowing (round 10): an order whose resident asked to be erased is served
    without the resident's words and the masks of their phone and address, as the read
    models and a replay of the order show it. The event store keeps them (append-only);
    what the feed served before the erasure, and Redis, keep what they were sent.

    Probed on ``shegong up``: after ``POST /residents/erasure``, ``GET /events`` on
    matching still served the order's ``RequestPlaced`` with ``notes`` ("独居老人王秀兰，
    糖尿病，钥匙在邻居家"), ``138****7777`` and ``永定****`` — to any department's key."""

    async def narrow(events: list[Envelope]) -> list[Envelope]:
        placed = {str(e.data.get("request_id")) for e in events if e.type == "RequestPlaced"}
        if not placed:
            return events
        async with reading(runtime.engine) as conn:
            erased = set(
                await conn.scalars(
                    select(resident_data.c.request_id).where(
                        resident_data.c.request_id.in_(sorted(placed)),
                        resident_data.c.purge_reason == "erasure",
                    )
                )
            )
        if not erased:
            return events
        gone = dict.fromkeys(_ERASED_FROM_THE_ORDER)
        return [
            e.model_copy(update={"data": {**e.data, **gone}})
            if e.type == "RequestPlaced" and e.data.get("request_id") in erased
            else e
            for e in events
        ]

    return narrow
