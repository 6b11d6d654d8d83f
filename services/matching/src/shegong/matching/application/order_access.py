"""Who may act on an order. An order belongs to the department that placed it
(``RequestPlaced.department``: a department key's own; an admin key's ``X-Department``,
or none — the city's). Community, street and district staff take residents' orders,
respond when nobody accepts and follow them up: they act through their department's
key, so the placing department stays responsible for the order from 点单 to 回访 — it
assigns, escalates, cancels and follows up its own orders only. The provider's side
(accept, decline, start, finish) may also come from the department that registered the
provider (a volunteer team's department acting for its team) or, for a social worker,
from the department whose roster they are on. An order owned by no department is the
city administrator's alone. Admin keys may do anything; auditor and service keys are
refused every write at the edge (``shegong.kernel.web.auth``).

The resident's contact (个人信息) is shown in full only to the provider serving the order,
while they do, and every full view is recorded.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import select

from shegong.contracts.matching import ResidentContactViewed
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.store import CommandContext, EventStore, Transaction
from shegong.kernel.web.auth import AuthError, refuse_other_department
from shegong.matching.adapters.tables import resident_data
from shegong.matching.application.provider_state import provider_department
from shegong.matching.application.resident_privacy import purged_notice
from shegong.matching.domain.request import Request


async def load_order(tx: Transaction, request_id: str, *, serving: str | bool = False) -> Request:
    """The order, for a change by the transaction's caller: a department key acts
    only on its own department's orders (403 otherwise); with ``serving`` — the
    provider's side, naming the provider or (True) the one holding the order — also
    on orders served by a provider of its department."""
    request = await tx.load(Request, request_id)
    if request is None:
        raise DomainError(
            f"no request {request_id}",
            field="request_id",
            code="not_found",
            zh=f"没有服务需求 {request_id}",
        )
    ctx = tx.ctx
    if ctx.role == "department" and ctx.department != request.department:
        provider_id = request.provider_id if serving is True else serving or None
        if not provider_id or ctx.department != await provider_department(tx, provider_id):
            refuse_other_department(ctx, request.department)
    if ctx.department is None and request.department is not None:
        # The events name the department whose order changed.
        tx.ctx = dataclasses.replace(ctx, department=request.department)
    return request


async def view_contact(
    store: EventStore, request_id: str, provider_id: str, ctx: CommandContext
) -> dict[str, Any]:
    """The resident's phone and address in full, for the provider serving the order
    while they do, asked through the city administrator's key, the order's
    department's or the provider's department's, or by the provider on their own
    page (``h5``: role ``provider``, actor ``provider:<id>``). Every full view is recorded
    (``ResidentContactViewed``: who, which order, which fields — never the values)
    in the same transaction, before it is shown."""
    async with store.transaction(ctx) as tx:
        request = await tx.load(Request, request_id)
        if request is None:
            raise DomainError(
                f"no request {request_id}",
                field="request_id",
                code="not_found",
                zh=f"没有服务需求 {request_id}",
            )
        # Who may see it at all first: the order's department, the serving provider's
        # (the one serving it, not the one named in the query), the administrator, the
        # provider themselves. Only then whether it was deleted (410, with the day and
        # why — a resident's erasure request is not another department's business) and
        # whether the order is still being served.
        serving = request.provider_id
        departments = {request.department}
        if serving:
            departments.add(await provider_department(tx, serving))
        allowed = (
            ctx.role in (None, "admin")
            or (ctx.role == "department" and ctx.department in departments - {None})
            # the serving provider themselves, through their own page's link (h5)
            or (ctx.role == "provider" and bool(serving) and ctx.actor == f"provider:{serving}")
        )
        if not allowed:
            raise AuthError(
                403,
                "a resident's contact is shown in full only to the city administrator, "
                "the order's department and the serving provider's department",
                "居民联系方式仅向市级管理员、下单部门和服务方所属部门显示完整内容",
                field="request_id",
            )
        await purged_notice(tx.conn, request_id)  # 410: deleted (retention, erasure)
        if serving != provider_id or request.status not in ("accepted", "in_delivery"):
            # Personal data goes to whoever serves the resident, while they do.
            raise AuthError(
                403,
                "only the provider delivering this order may see the resident's contact",
                "仅正在为该订单提供服务的服务方可查看居民联系方式",
                field="provider_id",
            )
        data = (
            await tx.conn.execute(
                select(resident_data.c.phone, resident_data.c.address).where(
                    resident_data.c.request_id == request_id
                )
            )
        ).first()
        phone = data.phone if data else None
        address = data.address if data else None
        fields = [f for f, v in (("phone", phone), ("address", address)) if v]
        if fields:
            stream = f"contact-views:{request_id}"
            await tx.lock()
            version = await tx.stream_version(stream)
            await tx.append(
                stream,
                ResidentContactViewed.aggregate_type,
                version,
                [
                    ResidentContactViewed(
                        request_id=request_id,
                        department=request.department,
                        provider_id=provider_id,
                        viewer=ctx.actor or "anonymous",
                        viewer_key_id=ctx.key_id,
                        viewer_role=ctx.role or "open",
                        viewer_department=ctx.department if ctx.role == "department" else None,
                        fields=fields,
                    )
                ],
            )
    return {"phone": phone, "address": address}
