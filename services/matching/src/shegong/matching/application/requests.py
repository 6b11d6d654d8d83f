"""Command handlers for orders (点单 → 接单 → 服务 → 回访): load, decide, save — one
transaction each, with the capacity guard, the durable deadline and the order's query
row written in that same transaction."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shegong.contracts.matching import RequestPlaced, ResponseLevel
from shegong.kernel.aggregate import DomainError
from shegong.kernel.db import reading
from shegong.kernel.identity import PersonalDataHasher, mask_phone, normalize_phone
from shegong.kernel.store import CommandContext, EventStore, Transaction
from shegong.matching.adapters.personal_data import mask_address, store_resident_data
from shegong.matching.adapters.request_rows import check_known_community, insert_row, save_row
from shegong.matching.adapters.tables import deadlines, hours_ledger, requests
from shegong.matching.application.candidates import best_candidates, load_candidates
from shegong.matching.application.provider_state import (
    add_satisfaction,
    provider_identity,
    release_capacity,
    take_capacity,
)
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
from shegong.matching.domain.ranking import Need, Ranked, ineligibility, rank, region_path
from shegong.matching.domain.request import Request
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
        if ranked and request.offer(
            [r.candidate.provider_id for r in ranked],
            [round(r.score, 3) for r in ranked],
            accept_by,
        ):
            await self._set_deadline(tx.conn, request.id, accept_by, None)
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
            request = await self._load(Transaction(self.store, conn, CommandContext()), request_id)
            need = self._need(request)
            pool = await load_candidates(
                conn, need.region[0], self.settings.matching_default_capacity, need.today
            )
        ranked = rank(need, pool, len(pool))
        refused = [
            {"provider_id": c.provider_id, "name": c.name, "kind": c.kind.value, "reason": why}
            for c in pool
            if (why := ineligibility(need, c)) is not None
        ]
        return {"ranked": [r.explain() for r in ranked], "ineligible": refused}

    # -- taking the order --------------------------------------------------------------
    async def decline(self, request_id: str, cmd: Decline, ctx: CommandContext) -> dict[str, Any]:
        async with self.store.transaction(ctx) as tx:
            await tx.lock()
            request = await self._load(tx, request_id)
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
            request = await self._load(tx, request_id)
            who = await provider_identity(tx.conn, cmd.provider_id)
            request.accept(cmd.provider_id, who["kind"])
            await take_capacity(tx.conn, cmd.provider_id, self.settings.matching_default_capacity)
            await self._taken(tx, request)
        return self._body(request)

    async def assign(self, request_id: str, cmd: Assign, ctx: CommandContext) -> dict[str, Any]:
        async with self.store.transaction(ctx) as tx:
            await tx.lock()
            request = await self._load(tx, request_id)
            who = await provider_identity(tx.conn, cmd.provider_id)
            need = self._need(request)
            pool = await load_candidates(
                tx.conn, need.region[0], self.settings.matching_default_capacity, need.today
            )
            match = next((c for c in pool if c.provider_id == cmd.provider_id), None)
            if match is not None and (why := ineligibility(need, match)) is not None:
                raise DomainError(f"cannot assign: {why}", field="provider_id", code="conflict")
            request.assign(cmd.provider_id, who["kind"], cmd.staff)
            await take_capacity(tx.conn, cmd.provider_id, self.settings.matching_default_capacity)
            await self._taken(tx, request, assigned_by=cmd.staff)
        return self._body(request)

    async def _taken(self, tx: Transaction, request: Request, **extra: Any) -> None:
        now = time.time()
        await tx.conn.execute(delete(deadlines).where(deadlines.c.request_id == request.id))
        await tx.save(request)
        first = await tx.conn.scalar(
            select(requests.c.first_accepted_ts).where(requests.c.request_id == request.id)
        )
        await save_row(
            tx.conn,
            request,
            accepted_ts=now,
            first_accepted_ts=first if first is not None else now,
            **extra,
        )

    # -- escalation (社区响应) -----------------------------------------------------------
    async def escalate_due(self, request_id: str) -> bool:
        """The scheduler's step: if the deadline is still due, move up one level."""
        async with self.store.transaction() as tx:
            await tx.lock()
            due = await tx.conn.scalar(
                select(deadlines.c.due_ts).where(deadlines.c.request_id == request_id)
            )
            if due is None or due > time.time():
                return False  # taken or rescheduled meanwhile
            request = await self._load(tx, request_id)
            if request.status not in ("open", "offered") or request.next_level() is None:
                await tx.conn.execute(delete(deadlines).where(deadlines.c.request_id == request_id))
                return False
            tx.ctx = CommandContext(actor="matching-scheduler")
            await self._escalate(tx, request, "sla")
            await tx.save(request)
            await save_row(tx.conn, request)
        return True

    async def escalate_now(self, request_id: str, ctx: CommandContext) -> dict[str, Any]:
        async with self.store.transaction(ctx) as tx:
            await tx.lock()
            request = await self._load(tx, request_id)
            await self._escalate(tx, request, "staff")
            await tx.save(request)
            await save_row(tx.conn, request)
        return self._body(request)

    async def _escalate(self, tx: Transaction, request: Request, reason: str) -> None:
        respond_by = _now() + timedelta(seconds=self.settings.matching_response_sla_s)
        level = request.escalate(respond_by, reason)
        if level == ResponseLevel.DISTRICT:
            await tx.conn.execute(delete(deadlines).where(deadlines.c.request_id == request.id))
        else:
            await self._set_deadline(tx.conn, request.id, respond_by, level)

    async def _set_deadline(
        self, conn: AsyncConnection, request_id: str, due: datetime, level: ResponseLevel | None
    ) -> None:
        await conn.execute(delete(deadlines).where(deadlines.c.request_id == request_id))
        await conn.execute(
            deadlines.insert().values(
                request_id=request_id,
                due_ts=due.timestamp(),
                level=level.value if level else None,
            )
        )

    # -- delivery and follow-up ----------------------------------------------------------
    async def start(
        self, request_id: str, cmd: StartDelivery, ctx: CommandContext
    ) -> dict[str, Any]:
        async with self.store.transaction(ctx) as tx:
            request = await self._load(tx, request_id)
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
            request = await self._load(tx, request_id)
            started = request.started_at or finished - timedelta(hours=cmd.hours)
            request.finish(finished, cmd.hours, follow_up_by)
            assert request.provider_id is not None and request.placed is not None
            who = await provider_identity(tx.conn, request.provider_id)
            await release_capacity(tx.conn, request.provider_id, completed=True)
            await tx.conn.execute(
                hours_ledger.insert().values(
                    request_id=request.id,
                    provider_id=request.provider_id,
                    provider_kind=who["kind"].value,
                    person=who["name"],
                    team=who["team"],
                    organisation=who["organisation"],
                    service_type=request.placed.service_type.value,
                    community=request.placed.community,
                    started_at=started,
                    finished_at=finished,
                    year=finished.year,
                    hours=cmd.hours,
                    recorded_at=_now(),
                )
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
            request = await self._load(tx, request_id)
            provider_id = request.provider_id
            request.follow_up(cmd.satisfaction, cmd.notes, on, cmd.reopen)
            if provider_id:
                await add_satisfaction(tx.conn, provider_id, cmd.satisfaction)
            extra: dict[str, Any] = {"followed_up_on": on}
            if cmd.reopen:
                accept_by = _now() + timedelta(seconds=self.settings.matching_accept_sla_s)
                await self._offer(tx, request, accept_by=accept_by)
                reopened = await tx.conn.scalar(
                    select(requests.c.reopened).where(requests.c.request_id == request.id)
                )
                extra.update(
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
            request = await self._load(tx, request_id)
            holder = request.provider_id if request.status == "accepted" else None
            request.cancel(cmd.reason)
            if holder:
                await release_capacity(tx.conn, holder, completed=False)
            await tx.conn.execute(delete(deadlines).where(deadlines.c.request_id == request.id))
            await tx.save(request)
            await save_row(tx.conn, request)
        return self._body(request)

    # -- helpers -------------------------------------------------------------------------
    async def _load(self, tx: Transaction, request_id: str) -> Request:
        request = await tx.load(Request, request_id)
        if request is None:
            raise DomainError(f"no request {request_id}", field="request_id", code="not_found")
        return request

    def _body(self, request: Request) -> dict[str, Any]:
        return {"request": request.view()}
