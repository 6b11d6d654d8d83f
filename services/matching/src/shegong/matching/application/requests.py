"""Command handlers for orders (点单 → 接单 → 服务 → 回访): load, decide, save — one
transaction each, with the capacity guard, the durable deadline and the order's query
row written in that same transaction. Who may act on an order, and see the resident's
contact, is ``order_access.py``.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.matching import RequestPlaced, ResponseLevel
from shegong.kernel.data.identity import PersonalDataHasher, mask_phone, normalize_phone
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.store import CommandContext, EventStore, Transaction
from shegong.kernel.ops.db import reading
from shegong.matching.adapters.personal_data import mask_address, store_resident_data
from shegong.matching.adapters.request_rows import (
    DEADLINE_DUE,
    REOPENED,
    check_known_community,
    drop_deadline,
    insert_row,
    rate_delivery,
    save_row,
    set_deadline,
)
from shegong.matching.application.candidates import (
    best_candidates,
    load_candidate,
    load_candidates,
)
from shegong.matching.application.notifications import enqueue
from shegong.matching.application.order_access import load_order, view_contact
from shegong.matching.application.provider_state import (
    add_satisfaction,
    ensure_state,
    provider_identity,
    release_capacity,
    take_capacity,
)
from shegong.matching.application.volunteer_hours import credit_hours
from shegong.matching.domain.commands import (
    Accept,
    Assign,
    Cancel,
    Decline,
    FinishDelivery,
    PlaceRequest,
    RecordFollowUp,
    StartDelivery,
)
from shegong.matching.domain.ranking import (
    Candidate,
    Need,
    Ranked,
    ineligibility,
    rank,
    region_path,
)
from shegong.matching.domain.request import Request, responding_region
from shegong.matching.settings import MatchingSettings


def _now() -> datetime:
    return datetime.now(UTC)


class MatchingCommands:
    def __init__(
        self, store: EventStore, hasher: PersonalDataHasher, settings: MatchingSettings
    ) -> None:
        self.store, self.hasher, self.settings = store, hasher, settings

    # -- placing and offering ------------------------------------------------------------
    async def place(self, cmd: PlaceRequest, ctx: CommandContext) -> dict[str, Any]:
        now = _now()
        sla = cmd.accept_within_s or self.settings.matching_accept_sla_s
        phone = (
            normalize_phone(cmd.resident_phone, field="resident_phone")
            if cmd.resident_phone
            else None
        )
        event = RequestPlaced(
            request_id=str(uuid.uuid4()),
            community=cmd.community,
            target_group=cmd.target_group,
            service_type=cmd.service_type,
            urgency=cmd.urgency,
            window_start=cmd.window_start,
            window_end=cmd.window_end,
            notes=cmd.notes,
            placed_by=cmd.placed_by,  # type: ignore[arg-type]
            resident_phone_hash=self.hasher.phone(phone) if phone else None,
            resident_phone_masked=mask_phone(phone) if phone else None,
            resident_address_masked=mask_address(cmd.resident_address)
            if cmd.resident_address
            else None,
            accept_by=now + timedelta(seconds=sla),
            department=ctx.department,
        )
        request = Request.place(event)
        async with self.store.transaction(ctx) as tx:
            await tx.lock()
            await check_known_community(tx.conn, event.community)
            await store_resident_data(
                tx.conn,
                request.id,
                phone=phone,
                phone_hash=event.resident_phone_hash,
                address=cmd.resident_address,
            )
            await insert_row(tx.conn, event, now)
            ranked = await self._offer(tx, request, accept_by=event.accept_by)
            await tx.save(request)
            await save_row(tx.conn, request)
        return {**self._body(request), "ranking": [r.explain() for r in ranked]}

    async def _offer(
        self,
        tx: Transaction,
        request: Request,
        *,
        accept_by: datetime,
        nobody: str = "no_candidates",
    ) -> list[Ranked]:
        """Offer to the best candidates; with none, the community responds at once."""
        need = self._need(request, offering=True)
        ranked = await best_candidates(tx.conn, need, self.settings.matching_offer_top)
        before = len(request.offered)
        if ranked and request.offer(
            [r.candidate.provider_id for r in ranked],
            [round(r.score, 3) for r in ranked],
            accept_by,
        ):
            await self._set_deadline(tx.conn, request.id, accept_by, None)
            round_ = len(request.replaced)  # a reopened need is offered afresh
            for provider_id in request.offered[before:]:
                await enqueue(
                    tx.conn,
                    "offer_made",
                    f"provider:{provider_id}",
                    request.id,
                    f"offer_made:{request.id}:{provider_id}:{round_}",
                )
        elif request.level is None:
            await self._escalate(tx, request, nobody)
        return ranked

    def _need(self, request: Request, *, offering: bool = False) -> Need:
        assert request.placed is not None
        return Need(
            service_type=request.placed.service_type,
            target_group=request.placed.target_group,
            region=region_path(request.placed.community),
            today=_now().date(),
            exclude=request.excluded | (frozenset(request.offered) if offering else frozenset()),
        )

    async def explain(self, request_id: str) -> dict[str, Any]:
        """Every provider of the district: eligible ones ranked with their score parts,
        the others with the reason they may not take the order."""
        async with reading(self.store.engine) as conn:  # a query: no write lock
            request = await load_order(Transaction(self.store, conn, CommandContext()), request_id)
            need = self._need(request)
            pool = await load_candidates(
                conn, need.region[0], self.settings.matching_default_capacity, need.today
            )
        ranked = rank(need, pool, len(pool))
        through = {r.candidate.person: r.candidate.provider_id for r in ranked}

        def why_not(c: Candidate) -> str | None:
            why = ineligibility(need, c)
            if why is None and through.get(c.person) != c.provider_id:
                why = f"the same person as {through[c.person]}, ranked through that record"
            return why

        refused = [
            {"provider_id": c.provider_id, "name": c.name, "kind": c.kind.value, "reason": why}
            for c in pool
            if (why := why_not(c)) is not None
        ]
        return {"ranked": [r.explain() for r in ranked], "ineligible": refused}

    # -- taking the order --------------------------------------------------------------
    async def decline(self, request_id: str, cmd: Decline, ctx: CommandContext) -> dict[str, Any]:
        async with self.store.transaction(ctx) as tx:
            await tx.lock()
            request = await load_order(tx, request_id, serving=cmd.provider_id)
            request.decline(cmd.provider_id, cmd.reason)
            if request.all_declined:
                accept_by = _now() + timedelta(seconds=self.settings.matching_accept_sla_s)
                await self._offer(tx, request, accept_by=accept_by, nobody="declined")
            await tx.save(request)
            await save_row(tx.conn, request)
        return self._body(request)

    async def accept(self, request_id: str, cmd: Accept, ctx: CommandContext) -> dict[str, Any]:
        async with self.store.transaction(ctx) as tx:
            await tx.lock()
            request = await load_order(tx, request_id, serving=cmd.provider_id)
            who = await provider_identity(tx.conn, cmd.provider_id)
            request.accept(cmd.provider_id, who["kind"])
            await take_capacity(tx.conn, cmd.provider_id, self.settings.matching_default_capacity)
            await self._taken(tx, request)
        return self._body(request)

    async def assign(self, request_id: str, cmd: Assign, ctx: CommandContext) -> dict[str, Any]:
        async with self.store.transaction(ctx) as tx:
            await tx.lock()
            request = await load_order(tx, request_id)
            who = await provider_identity(tx.conn, cmd.provider_id)
            # The rules of an offer hold for a hand assignment too (skill, certificate,
            # supervision, capacity, activity), whatever district the provider serves.
            need = self._need(request)
            await ensure_state(tx.conn, cmd.provider_id, self.settings.matching_default_capacity)
            match = await load_candidate(tx.conn, cmd.provider_id, need.today)
            assert match is not None  # ensure_state made the row
            if (why := ineligibility(need, match)) is not None:
                raise DomainError(
                    f"cannot assign: {why}",
                    field="provider_id",
                    code="conflict",
                    zh=f"无法指派：{why}",
                )
            request.assign(cmd.provider_id, who["kind"], cmd.staff)
            await take_capacity(tx.conn, cmd.provider_id, self.settings.matching_default_capacity)
            await self._taken(tx, request, assigned_by=cmd.staff)
        return self._body(request)

    async def _taken(self, tx: Transaction, request: Request, **extra: Any) -> None:
        await drop_deadline(tx.conn, request.id)
        await tx.save(request)
        await save_row(tx.conn, request, taken_ts=time.time(), **extra)

    # -- escalation (社区响应) -----------------------------------------------------------
    async def escalate_due(self, request_id: str) -> bool:
        """The scheduler's step: if the deadline is still due, move up one level."""
        async with self.store.transaction() as tx:
            await tx.lock()
            due = await tx.conn.scalar(DEADLINE_DUE, {"rid": request_id})
            if due is None or due > time.time():
                return False  # taken or rescheduled meanwhile
            request = await load_order(tx, request_id)
            if request.status not in ("open", "offered") or request.next_level() is None:
                await drop_deadline(tx.conn, request_id)
                return False
            tx.ctx = CommandContext(actor="matching-scheduler")
            await self._escalate(tx, request, "sla")
            await tx.save(request)
            await save_row(tx.conn, request)
        return True

    async def escalate_now(self, request_id: str, ctx: CommandContext) -> dict[str, Any]:
        async with self.store.transaction(ctx) as tx:
            await tx.lock()
            request = await load_order(tx, request_id)
            await self._escalate(tx, request, "staff")
            await tx.save(request)
            await save_row(tx.conn, request)
        return self._body(request)

    async def _escalate(self, tx: Transaction, request: Request, reason: str) -> None:
        respond_by = _now() + timedelta(seconds=self.settings.matching_response_sla_s)
        level = request.escalate(respond_by, reason)
        assert request.placed is not None
        await enqueue(
            tx.conn,
            "order_escalated",
            f"region:{responding_region(request.placed.community, level)}",
            request.id,
            f"order_escalated:{request.id}:{level.value}:{len(request.replaced)}",
        )
        if level == ResponseLevel.DISTRICT:
            await drop_deadline(tx.conn, request.id)
        else:
            await self._set_deadline(tx.conn, request.id, respond_by, level)

    async def _set_deadline(
        self, conn: AsyncConnection, request_id: str, due: datetime, level: ResponseLevel | None
    ) -> None:
        await set_deadline(conn, request_id, due.timestamp(), level.value if level else None)

    # -- delivery and follow-up ----------------------------------------------------------
    async def start(
        self, request_id: str, cmd: StartDelivery, ctx: CommandContext
    ) -> dict[str, Any]:
        async with self.store.transaction(ctx) as tx:
            request = await load_order(tx, request_id, serving=True)
            request.start(cmd.started_at or _now())
            await tx.save(request)
            await save_row(tx.conn, request)
        return self._body(request)

    async def finish(
        self, request_id: str, cmd: FinishDelivery, ctx: CommandContext
    ) -> dict[str, Any]:
        finished = cmd.finished_at or _now()
        follow_up_by = finished.date() + timedelta(days=self.settings.matching_follow_up_days)
        async with self.store.transaction(ctx) as tx:
            await tx.lock()
            request = await load_order(tx, request_id, serving=True)
            started = request.started_at or finished - timedelta(hours=cmd.hours)
            request.finish(finished, cmd.hours, follow_up_by)
            assert request.provider_id is not None and request.placed is not None
            await release_capacity(tx.conn, request.provider_id, completed=True)
            # The ledger: the provider's entry, or a team's members' (one each).
            await credit_hours(
                tx,
                request.provider_id,
                hours=cmd.hours,
                started=started,
                finished=finished,
                service_type=request.placed.service_type.value,
                community=request.placed.community,
                request_id=request.id,
                members=cmd.members,
            )
            await tx.save(request)
            await save_row(tx.conn, request, finished_ts=finished.timestamp())
        return self._body(request)

    async def follow_up(
        self, request_id: str, cmd: RecordFollowUp, ctx: CommandContext
    ) -> dict[str, Any]:
        on = cmd.followed_up_on or _now().date()
        async with self.store.transaction(ctx) as tx:
            await tx.lock()
            request = await load_order(tx, request_id)
            provider_id = request.provider_id
            request.follow_up(cmd.satisfaction, cmd.notes, on, cmd.reopen)
            if provider_id:
                await add_satisfaction(tx.conn, provider_id, cmd.satisfaction)
            # The rating belongs to the delivery just followed up: the order's latest
            # ledger entries — one, or a team's members' written together (an earlier
            # delivery of a reopened order keeps its own).
            await rate_delivery(tx.conn, request.id, cmd.satisfaction, on)
            extra: dict[str, Any] = {"followed_up_on": on}
            if cmd.reopen:
                accept_by = _now() + timedelta(seconds=self.settings.matching_accept_sla_s)
                await self._offer(tx, request, accept_by=accept_by)
                reopened = await tx.conn.scalar(REOPENED, {"rid": request.id})
                extra.update(
                    followed_up_on=None,  # the next delivery is not followed up yet
                    reopened=(reopened or 0) + 1,
                    accepted_ts=None,
                    finished_ts=None,
                    accept_by_ts=accept_by.timestamp(),
                )
            await tx.save(request)
            await save_row(tx.conn, request, **extra)
        return self._body(request)

    async def cancel(self, request_id: str, cmd: Cancel, ctx: CommandContext) -> dict[str, Any]:
        async with self.store.transaction(ctx) as tx:
            await tx.lock()
            request = await load_order(tx, request_id)
            holder = request.provider_id if request.status == "accepted" else None
            request.cancel(cmd.reason)
            if holder:
                await release_capacity(tx.conn, holder, completed=False)
            await drop_deadline(tx.conn, request.id)
            await tx.save(request)
            await save_row(tx.conn, request)
        return self._body(request)

    # -- the resident's contact (个人信息) ------------------------------------------------
    async def view_contact(
        self, request_id: str, provider_id: str, ctx: CommandContext
    ) -> dict[str, Any]:
        return await view_contact(self.store, request_id, provider_id, ctx)

    # -- helpers -------------------------------------------------------------------------
    def _body(self, request: Request) -> dict[str, Any]:
        return {"request": request.view()}
