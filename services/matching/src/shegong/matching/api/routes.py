"""Matching's HTTP API (FastAPI; OpenAPI at /docs)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.contracts.matching import ServiceType
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.ops.db import reading
from shegong.kernel.web.access_log import POLLED, audited_read
from shegong.kernel.web.auth import Ctx
from shegong.matching.adapters.request_rows import follow_up_overdue
from shegong.matching.adapters.tables import provider_state, requests, within
from shegong.matching.api.models import (
    Candidates,
    Contact,
    PlacedRequest,
    ProviderRow,
    ProviderState,
    RegisteredProvider,
    RequestResult,
    RequestRow,
    ServiceTypeInfo,
)
from shegong.matching.application.persons import persons
from shegong.matching.application.providers import ProviderCommands
from shegong.matching.application.requests import MatchingCommands
from shegong.matching.domain.commands import (
    Accept,
    Assign,
    Cancel,
    Decline,
    FinishDelivery,
    PlaceRequest,
    RecordFollowUp,
    RegisterProvider,
    SetAvailability,
    StartDelivery,
)
from shegong.matching.domain.taxonomy import RULES


def requests_router(commands: MatchingCommands, engine: AsyncEngine) -> APIRouter:
    router = APIRouter(prefix="/requests", tags=["requests"])

    @router.post(
        "",
        status_code=201,
        summary="Place an order (点单)",
        response_model=PlacedRequest,
        response_model_exclude_unset=True,
    )
    async def place(cmd: PlaceRequest, ctx: Ctx) -> dict[str, Any]:
        return await commands.place(cmd, ctx)

    @router.get(
        "",
        summary="Orders, newest first",
        response_model=list[RequestRow],
        dependencies=[Depends(audited_read("orders_list", POLLED))],
    )
    async def list_requests(
        status: str | None = None,
        community: str | None = Query(None, description="Region path prefix"),
        level: str | None = Query(None, description="Escalated to: community/street/district"),
        limit: int = Query(100, ge=1, le=1000),
    ) -> list[dict[str, Any]]:
        query = select(requests)
        if status:
            query = query.where(requests.c.status == status)
        if community:
            query = query.where(within(requests.c.community, community))
        if level:
            query = query.where(requests.c.level == level)
        async with reading(engine) as conn:
            rows = await conn.execute(query.order_by(requests.c.placed_ts.desc()).limit(limit))
            return [r._asdict() for r in rows]

    @router.get(
        "/follow-ups/overdue",
        summary="Completed orders whose follow-up (回访) is late",
        response_model=list[RequestRow],
        dependencies=[Depends(audited_read("follow_ups_overdue", POLLED))],
    )
    async def overdue() -> list[dict[str, Any]]:
        async with reading(engine) as conn:
            rows = await conn.execute(follow_up_overdue(datetime.now(UTC).date()))
            return [r._asdict() for r in rows]

    @router.get("/{request_id}", summary="One order", response_model=RequestRow)
    async def get_request(request_id: str) -> dict[str, Any]:
        async with reading(engine) as conn:
            row = (
                await conn.execute(select(requests).where(requests.c.request_id == request_id))
            ).first()
        if row is None:
            raise DomainError(
                f"no request {request_id}",
                field="request_id",
                code="not_found",
                zh=f"没有服务需求 {request_id}",
            )
        return row._asdict()

    @router.get(
        "/{request_id}/contact",
        summary="The resident's phone and address, for the provider serving the order only",
        description="Shown in full to the city administrator, the order's department and the "
        "serving provider's department; every view is recorded as a ResidentContactViewed "
        "event (who, which order, which fields — never the values)",
        response_model=Contact,
    )
    async def contact(request_id: str, ctx: Ctx, provider_id: str = Query(...)) -> dict[str, Any]:
        return await commands.view_contact(request_id, provider_id, ctx)

    @router.get(
        "/{request_id}/candidates",
        summary="Ranked candidates, explained",
        response_model=Candidates,
        response_model_exclude_unset=True,
    )
    async def candidates(request_id: str) -> dict[str, Any]:
        return await commands.explain(request_id)

    @router.post(
        "/{request_id}/accept", summary="Take the order (接单)", response_model=RequestResult
    )
    async def accept(request_id: str, cmd: Accept, ctx: Ctx) -> dict[str, Any]:
        return await commands.accept(request_id, cmd, ctx)

    @router.post(
        "/{request_id}/decline",
        summary="Decline the offer, with a reason",
        response_model=RequestResult,
    )
    async def decline(request_id: str, cmd: Decline, ctx: Ctx) -> dict[str, Any]:
        return await commands.decline(request_id, cmd, ctx)

    @router.post(
        "/{request_id}/assign", summary="Staff assign by hand (派单)", response_model=RequestResult
    )
    async def assign(request_id: str, cmd: Assign, ctx: Ctx) -> dict[str, Any]:
        return await commands.assign(request_id, cmd, ctx)

    @router.post(
        "/{request_id}/escalate",
        summary="Escalate one level now (社区响应)",
        response_model=RequestResult,
    )
    async def escalate(request_id: str, ctx: Ctx) -> dict[str, Any]:
        return await commands.escalate_now(request_id, ctx)

    @router.post("/{request_id}/start", summary="Start delivering", response_model=RequestResult)
    async def start(request_id: str, cmd: StartDelivery, ctx: Ctx) -> dict[str, Any]:
        return await commands.start(request_id, cmd, ctx)

    @router.post(
        "/{request_id}/finish",
        summary="Finish delivering, with hours",
        response_model=RequestResult,
    )
    async def finish(request_id: str, cmd: FinishDelivery, ctx: Ctx) -> dict[str, Any]:
        return await commands.finish(request_id, cmd, ctx)

    @router.post(
        "/{request_id}/follow-up",
        summary="Record the follow-up (回访)",
        response_model=RequestResult,
    )
    async def follow_up(request_id: str, cmd: RecordFollowUp, ctx: Ctx) -> dict[str, Any]:
        return await commands.follow_up(request_id, cmd, ctx)

    @router.post("/{request_id}/cancel", summary="Withdraw the order", response_model=RequestResult)
    async def cancel(request_id: str, cmd: Cancel, ctx: Ctx) -> dict[str, Any]:
        return await commands.cancel(request_id, cmd, ctx)

    return router


def providers_router(commands: ProviderCommands, engine: AsyncEngine) -> APIRouter:
    router = APIRouter(tags=["providers"])

    @router.get(
        "/service-types",
        summary="The service taxonomy and what each type asks",
        response_model=list[ServiceTypeInfo],
    )
    async def service_types() -> list[dict[str, object]]:
        return [rule.to_dict(t) for t, rule in RULES.items()]

    @router.post(
        "/providers",
        status_code=201,
        summary="Register a volunteer, team or organisation",
        response_model=RegisteredProvider,
    )
    async def register(cmd: RegisterProvider, ctx: Ctx) -> dict[str, Any]:
        return await commands.register(cmd, ctx)

    @router.put(
        "/providers/{provider_id}/availability",
        summary="Availability and capacity",
        response_model=ProviderState,
    )
    async def availability(provider_id: str, cmd: SetAvailability, ctx: Ctx) -> dict[str, Any]:
        return await commands.set_availability(provider_id, cmd, ctx)

    @router.get(
        "/providers",
        summary="Providers (social workers and those registered here)",
        description="`active`: no departure (`left_on`) on or before today — a worker whose "
        "departure is still ahead is active until that day, and may be offered orders.",
        response_model=list[ProviderRow],
        response_model_exclude_unset=True,
        dependencies=[Depends(audited_read("providers_list", POLLED))],
    )
    async def list_providers(
        region: str | None = Query(None, description="Region path prefix"),
        limit: int = Query(1000, ge=1, le=10000),
        offset: int = Query(0, ge=0, le=10**9),
    ) -> list[dict[str, Any]]:
        query = select(provider_state)
        if region:
            query = query.where(within(provider_state.c.region, region))
        query = query.order_by(provider_state.c.region, provider_state.c.provider_id)
        async with reading(engine) as conn:
            rows = list(await conn.execute(query.limit(limit).offset(offset)))
            linked = await persons(conn, [r.provider_id for r in rows])
        today = datetime.now(UTC).date()
        out = []
        for r in rows:
            # Active on a day: no departure on or before it (one next month is not yet).
            row = {**r._asdict(), "active": r.left_on is None or r.left_on > today}
            person = linked.get(r.provider_id)
            if person is not None:  # one human on several rosters: one load for all
                row["person_records"] = list(person.records)
                row["person_open_assignments"] = person.open_assignments
            out.append(row)
        return out

    @router.get("/service-types/{code}", summary="One service type", response_model=ServiceTypeInfo)
    async def service_type(code: str) -> dict[str, object]:
        try:
            st = ServiceType.parse(code)
        except ValueError as err:
            raise DomainError(
                str(err), field="code", code="not_found", zh=f"没有服务类型 {code}"
            ) from err
        return RULES[st].to_dict(st)

    return router
