"""Telling people what happened to an order (通知): an outbox and its sender.

A command that offers an order or escalates it writes the message's row
(``notifications``) in its own transaction — nothing is told that did not happen, and
nothing that happened is lost in a crash. One leader (``NotificationSender``) sends what
is due through the notifier (``h5/notify.py``: a webhook; unset, nothing is sent),
retrying with a growing pause, up to ``MAX_ATTEMPTS``, and records each one as a
``NotificationSent`` event (kind, keyed recipient, order — never the text) that says
whether a sender took it: with no sender configured nobody was told, the event says
``delivered: false`` and why, and the row is ``unsent`` (round 16; before, it said sent).
It also notices completed orders whose follow-up (回访) is overdue and tells the community.

Recipients are keyed references, never personal data: ``provider:<id>`` (the provider
offered the order; the message carries their own page's link) and ``region:<path>``
(the staff who respond at that level — a community, street or district). Who reads
which reference (an SMS gateway, a department's system) is the sender's business.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.matching import NotificationSent, ServiceType
from shegong.kernel.events.leader_job import LeaderJob
from shegong.kernel.events.store import CommandContext, EventStore
from shegong.kernel.ops import raw_sql
from shegong.kernel.ops.db import reading, writing
from shegong.kernel.ops.raw_sql import RawStatement
from shegong.matching.adapters.request_rows import follow_up_overdue
from shegong.matching.adapters.tables import notifications, requests
from shegong.matching.h5.notify import Message, Notifier

log = logging.getLogger("shegong.matching.notifications")
MAX_ATTEMPTS = 8
LEVELS_ZH = {1: "区", 2: "街道", 3: "社区"}
# Built once: an order's commands write a message or two each.
_SEEN = RawStatement(select(notifications.c.id).where(notifications.c.dedupe == bindparam("key")))


async def enqueue(
    conn: AsyncConnection, kind: str, recipient: str, request_id: str | None, dedupe: str
) -> bool:
    """Write one message to send (once per ``dedupe``); True if it is new."""
    if (await raw_sql.execute(conn, _SEEN, {"key": dedupe})).rows:
        return False
    now = time.time()
    row = {
        "dedupe": dedupe,
        "kind": kind,
        "recipient": recipient,
        "request_id": request_id,
        "created_ts": now,
        "due_ts": now,
        "attempts": 0,
        "status": "pending",
    }
    await raw_sql.insert_rows(conn, notifications, [row])
    return True


class NotificationSender(LeaderJob):
    name = "matching-notifications"

    def __init__(
        self,
        store: EventStore,
        notifier: Notifier,
        tick_s: float,
        worker_link: Callable[[str], str],
    ) -> None:
        super().__init__(store.engine, tick_s)
        self.store = store
        self.notifier, self.worker_link = notifier, worker_link
        self.sent_total = self.unsent_total = self.failed_total = 0

    async def tick(self) -> int:
        await self.overdue_follow_ups()
        now = time.time()
        async with reading(self.engine) as conn:
            due = list(
                await conn.execute(
                    select(notifications)
                    .where((notifications.c.status == "pending") & (notifications.c.due_ts <= now))
                    .order_by(notifications.c.due_ts)
                    .limit(100)
                )
            )
        sent = 0
        for row in due:
            if self.stopping:
                break
            sent += await self.send(row)
        return sent

    async def send(self, row: Any) -> int:
        try:
            text = await self.compose(row)
            unsent = await self.notifier.send(Message(to=row.recipient, text=text, kind=row.kind))
        except Exception as err:
            attempts = row.attempts + 1
            failed = attempts >= MAX_ATTEMPTS
            pause = min(self.tick_s * 2**attempts, 3600.0)
            log.warning(
                "notification %s to %s failed (%s): %s", row.id, row.recipient, attempts, err
            )
            async with writing(self.engine) as conn:
                await conn.execute(
                    update(notifications)
                    .where(notifications.c.id == row.id)
                    .values(
                        attempts=attempts,
                        due_ts=time.time() + pause,
                        status="failed" if failed else "pending",
                        last_error=str(err)[:500],
                    )
                )
            self.failed_total += failed
            return 0
        # Marked sent (or unsent) with its event, in one transaction (a crash before it:
        # sent again).
        async with self.store.transaction(CommandContext(actor="matching-notifications")) as tx:
            await tx.conn.execute(
                update(notifications)
                .where(notifications.c.id == row.id)
                .values(
                    status="unsent" if unsent else "sent",
                    sent_ts=None if unsent else time.time(),
                    attempts=row.attempts + 1,
                    last_error=unsent,
                )
            )
            await tx.lock()
            await tx.append(
                f"notification:{row.id}",
                NotificationSent.aggregate_type,
                0,
                [
                    NotificationSent(
                        notification_id=str(row.id),
                        kind=row.kind,
                        recipient=row.recipient,
                        request_id=row.request_id,
                        attempts=row.attempts + 1,
                        delivered=unsent is None,
                        reason=unsent,
                    )
                ],
            )
        self.sent_total += unsent is None
        self.unsent_total += unsent is not None
        return 1

    async def compose(self, row: Any) -> str:
        async with reading(self.engine) as conn:
            order = (
                await conn.execute(select(requests).where(requests.c.request_id == row.request_id))
            ).first()
        service = ServiceType(order.service_type).zh if order else "服务"
        place = order.community.replace("/", "") if order else ""
        if row.kind == "offer_made":
            link = self.worker_link(row.recipient.removeprefix("provider:"))
            return f"【社工接单】{place}有一单{service}推荐给您，请查看并接单：{link}"
        if row.kind == "order_escalated":
            depth = len(row.recipient.removeprefix("region:").split("/"))
            level = LEVELS_ZH.get(depth, "")
            return f"【社区响应】{place}的{service}订单无人接单，已转由{level}协调，请尽快派单。"
        if row.kind == "follow_up_overdue":
            return f"【回访提醒】{place}的{service}订单已完成，回访已逾期，请尽快回访。"
        return f"【社工服务】{place}的{service}订单有新进展。"

    async def overdue_follow_ups(self) -> None:
        today = datetime.now(UTC).date()
        async with writing(self.engine) as conn:
            for order in list(await conn.execute(follow_up_overdue(today).limit(200))):
                await enqueue(
                    conn,
                    "follow_up_overdue",
                    f"region:{order.community}",
                    order.request_id,
                    f"follow_up_overdue:{order.request_id}:{order.follow_up_by}",
                )
