"""The access log (查看留痕), ``GET /audit/access`` on every service: each full view of
personal data the service recorded as an event (its contract's ``audit`` events, e.g. the
registry's ``PersonalDataViewed``), each bulk read of personal data and each refused
attempt (``AccessRecorded``), the keys it accepts (``ApiKeyIssued`` / ``ApiKeyRevoked``),
newest first, for the city administrator and the auditors. It is read straight from the
event store — the record cannot be edited, and there is no read model to fall behind.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.contracts.events import StreamContract
from shegong.kernel.events.schema import events_table
from shegong.kernel.ops.db import page, reading
from shegong.kernel.web.api_keys import Principal
from shegong.kernel.web.auth import Authenticated, AuthError

AUDIT_ROLES = frozenset({"admin", "auditor"})


class AccessRecord(BaseModel):
    position: int
    type: str
    occurred_at: datetime
    actor: str | None
    department: str | None
    data: dict[str, Any]


class AccessLog(BaseModel):
    total: int
    types: list[str]
    items: list[AccessRecord]


async def auditors_only(principal: Authenticated) -> Principal:
    if principal.role not in AUDIT_ROLES:
        raise AuthError(
            403,
            "only the administrator and auditors read the access log",
            "仅限管理员和审计查看留痕",
        )
    return principal


def audit_router(engine: AsyncEngine, contract: StreamContract) -> APIRouter:
    types = contract.audit_types()
    router = APIRouter(tags=["audit"], dependencies=[Depends(auditors_only)])

    @router.get(
        "/audit/access",
        response_model=AccessLog,
        summary="Who saw personal data, who was refused, which keys (查看留痕) — admin, auditors",
    )
    async def access_log(
        type: Annotated[
            str | None, Query(max_length=64, description="one of the types listed in the answer")
        ] = None,
        actor: Annotated[str | None, Query(max_length=128, description="the viewer")] = None,
        key_id: Annotated[
            str | None,
            Query(max_length=64, description="the viewer's key, by its id (sgk_<id>_…)"),
        ] = None,
        department: Annotated[
            str | None, Query(max_length=64, description="the department acted for")
        ] = None,
        since: Annotated[datetime | None, Query(description="from this moment on")] = None,
        until: Annotated[datetime | None, Query(description="before this moment")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    ) -> AccessLog:
        wanted = [t for t in types if type is None or t == type]
        cond: list[ColumnElement[bool]] = [events_table.c.type.in_(wanted)]
        if actor is not None:
            cond.append(events_table.c.actor == actor)
        if key_id is not None:  # the records that name their key (round 13 on)
            cond.append(events_table.c.data["viewer_key_id"].as_string() == key_id)
        if department is not None:
            cond.append(events_table.c.department == department)
        if since is not None:
            cond.append(events_table.c.occurred_at >= since)
        if until is not None:
            cond.append(events_table.c.occurred_at < until)
        columns = (
            events_table.c.position,
            events_table.c.type,
            events_table.c.occurred_at,
            events_table.c.actor,
            events_table.c.department,
            events_table.c.data,
        )
        query = select(*columns).where(*cond).order_by(events_table.c.position.desc())
        async with reading(engine) as conn:
            total, rows = await page(conn, query, limit, offset)
        items = [AccessRecord.model_validate(r._asdict()) for r in rows]
        return AccessLog(total=total, types=types, items=items)

    return router
