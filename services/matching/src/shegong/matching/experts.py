"""Experts at work in matching (专家督导): the city expert pool (专家库) as matching knows
it, and experts assigned to supervise escalated or complex orders.

``ExpertRosterProjection`` follows the registry's ``ExpertPoolAdmitted`` /
``ExpertPoolLeft``: who is in the pool now (``GET /experts`` offers only them).
``POST /requests/{id}/supervisor`` assigns an expert of the pool to an order that was
escalated (社区响应 reached the street or the district) or is complex (特急); any other
order, or anyone not in the pool, is refused in Chinese and English. The assignment is
``SupervisorAssigned`` on its own stream (``supervision:<request>``), scoped like every
change to an order (a department key, its own orders only) and named by the key that
asked. ``GET /experts/{id}/deployments`` lists an expert's supervisions and hours.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Column, Date, Float, MetaData, String, Table, delete
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shegong.contracts import Envelope, Event
from shegong.contracts.matching import MATCHING_STREAM, SupervisorAssigned, Urgency
from shegong.kernel.events.aggregate import Aggregate, DomainError
from shegong.kernel.events.expert_pool import ExpertPool, ExpertPoolProjection
from shegong.kernel.events.read_model import Projection
from shegong.kernel.ops.db import reading
from shegong.kernel.web.auth import Ctx
from shegong.matching.adapters.tables import provider_state
from shegong.matching.api.models import SupervisionResult
from shegong.matching.application.order_access import load_order
from shegong.matching.application.requests import MatchingCommands

metadata = MetaData()

POOL = ExpertPool("mt_experts")

supervisions = Table(
    "mt_supervisions",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("expert_id", String(64), nullable=False, index=True),
    Column("reason", String(16), nullable=False),
    Column("hours", Float, nullable=False),
    Column("department", String(64)),
    Column("assigned_on", Date, nullable=False),
)

# Complex orders (复杂工单) an expert may supervise without an escalation.
COMPLEX = frozenset({Urgency.CRITICAL})


class ExpertRosterProjection(ExpertPoolProjection):
    name = "matching_experts"
    pool = POOL
    metadata = POOL.metadata


class SupervisionsProjection(Projection):
    name = "matching_supervisions"
    contract = MATCHING_STREAM
    aggregates = frozenset({"supervision"})
    handles = frozenset({"SupervisorAssigned"})
    metadata = metadata

    async def apply(self, conn: AsyncConnection, envelope: Envelope, event: Event) -> None:
        if isinstance(event, SupervisorAssigned):
            await conn.execute(
                delete(supervisions).where(supervisions.c.request_id == event.request_id)
            )
            await conn.execute(
                supervisions.insert().values(
                    request_id=event.request_id,
                    expert_id=event.expert_id,
                    reason=event.reason,
                    hours=event.hours,
                    department=event.department,
                    assigned_on=envelope.time.date(),
                )
            )


class Supervision(Aggregate):
    """The expert supervising one order (one at a time; another replaces them)."""

    type_name = "supervision"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.expert_id: str | None = None

    def assign(self, event: SupervisorAssigned) -> bool:
        if self.expert_id == event.expert_id:
            return False
        self.record(event)
        return True

    def when_SupervisorAssigned(self, e: SupervisorAssigned) -> None:
        self.expert_id = e.expert_id


class AssignSupervisor(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expert_id: str = Field(min_length=1, max_length=64, description="The expert's worker id")
    hours: float = Field(default=0, ge=0, le=1000, description="Hours of supervision")


def experts_router(commands: MatchingCommands, engine: AsyncEngine) -> APIRouter:
    router = APIRouter(tags=["experts"])

    @router.post(
        "/requests/{request_id}/supervisor",
        status_code=201,
        summary="Assign an expert of the pool to supervise an escalated or complex order (督导)",
    )
    async def assign(request_id: str, cmd: AssignSupervisor, ctx: Ctx) -> SupervisionResult:
        async with commands.store.transaction(ctx) as tx:
            request = await load_order(tx, request_id)  # scoped like any change to it
            assert request.placed is not None
            reason: Literal["escalated", "complex"]
            if request.max_level is not None:
                reason = "escalated"
            elif request.placed.urgency in COMPLEX:
                reason = "complex"
            else:
                raise DomainError(
                    f"request {request_id} is neither escalated nor complex: an expert "
                    "supervises only escalated or 特急 (critical) orders "
                    "(该工单未升级响应，也非特急工单，不需专家督导)",
                    field="request_id",
                    code="conflict",
                )
            await POOL.require_active(tx.conn, cmd.expert_id, "督导")
            stream = f"supervision:{request_id}"
            supervision = await tx.load(Supervision, stream) or Supervision(stream)
            event = SupervisorAssigned(
                request_id=request_id,
                expert_id=cmd.expert_id,
                reason=reason,
                hours=cmd.hours,
                department=request.department,
            )
            assigned = supervision.assign(event)
            saved = await tx.save(supervision)
        return SupervisionResult.model_validate(
            {
                "assigned": assigned,
                "supervision": event.data(),
                "events": [{"type": e.type, "id": e.id, "sequence": e.sequence} for e in saved],
            }
        )

    @router.get("/experts", summary="Experts of the pool who may supervise now (专家库)")
    async def pool(include_left: bool = False) -> list[dict[str, Any]]:
        shown = (provider_state.c.name, provider_state.c.organisation)
        async with reading(engine) as conn:
            return await POOL.members(
                conn, provider_state, provider_state.c.provider_id, shown, include_left
            )

    @router.get(
        "/experts/{expert_id}/deployments",
        summary="An expert's supervisions and hours (专家督导记录)",
    )
    async def deployments(expert_id: str) -> dict[str, Any]:
        order = (supervisions.c.assigned_on, supervisions.c.request_id)
        async with reading(engine) as conn:
            found = await POOL.deployments(conn, expert_id, supervisions, order)
        rows = found.pop("rows")
        return {**found, "supervisions": rows}

    return router
