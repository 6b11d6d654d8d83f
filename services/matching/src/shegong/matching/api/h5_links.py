"""Links to the mobile pages, for staff (keyed like the rest of the API): each
community's order link (the console prints it as a QR code) and a worker's own link
(their department sends it to them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.contracts.matching import WorkerLinkRevoked
from shegong.kernel.events.store import EventStore, Transaction
from shegong.kernel.ops.db import reading
from shegong.kernel.web.auth import Ctx, refuse_other_department
from shegong.matching.adapters.tables import provider_state, worker_links
from shegong.matching.api.models import CommunityLink, WorkerLink, WorkerLinkWithdrawn
from shegong.matching.application.provider_state import provider_department, provider_identity
from shegong.matching.application.volunteer_hours import append_once
from shegong.matching.h5.app import community_link
from shegong.matching.h5.guard import Signer
from shegong.matching.h5.worker import worker_link
from shegong.matching.projections.workforce import regions
from shegong.matching.settings import MatchingSettings


async def _own_provider(tx: Transaction, provider_id: str) -> None:
    """A provider there is (404 for nobody), of the caller's department (or any, for the
    city administrator): who may ask for their link, or withdraw it."""
    await provider_identity(tx.conn, provider_id)
    refuse_other_department(tx.ctx, await provider_department(tx, provider_id))


def h5_links_router(
    store: EventStore, engine: AsyncEngine, signer: Signer, settings: MatchingSettings
) -> APIRouter:
    router = APIRouter(tags=["mobile pages"])
    base = (settings.matching_public_url or "").rstrip("/")

    @router.get(
        "/h5-links/communities",
        summary="Each community's link to the residents' order page (for its QR code)",
        description="The communities of the region tree (or, before the registry publishes "
        "it, those providers serve in) under `region`, each with the signed link to its "
        "public order page (居民点单); `MATCHING_PUBLIC_URL` prefixes it.",
        response_model=list[CommunityLink],
    )
    async def communities(
        region: str | None = Query(None, description="Region path prefix"),
    ) -> list[dict[str, Any]]:
        async with reading(engine) as conn:
            found = list(
                await conn.scalars(select(regions.c.code).where(regions.c.level == "community"))
            )
            if not found:
                found = [
                    c
                    for c in await conn.scalars(select(provider_state.c.community).distinct())
                    if c
                ]
        if region:
            found = [c for c in found if c == region or c.startswith(region + "/")]
        return [{"community": c, "url": base + community_link(signer, c)} for c in sorted(found)]

    @router.post(
        "/providers/{provider_id}/worker-link",
        summary="A worker's own link to their 接单 page (the department sends it to them)",
        description="The link acts for this provider only (offers, accept, decline, start, "
        "finish, their hours) and lapses after `MATCHING_H5_WORKER_LINK_DAYS`. Only the "
        "provider's department (or the city administrator) may ask for it.",
        response_model=WorkerLink,
    )
    async def link_for_worker(provider_id: str, ctx: Ctx) -> dict[str, Any]:
        async with store.transaction(ctx) as tx:
            await _own_provider(tx, provider_id)
        days = settings.matching_h5_worker_link_days
        return {
            "provider_id": provider_id,
            "url": base + worker_link(signer, provider_id, days),
            "valid_days": days,
        }

    @router.delete(
        "/providers/{provider_id}/worker-link",
        summary="Withdraw a worker's links before they lapse (a lost or shared phone)",
        description="Every link issued to this provider until now opens nothing (404, as a "
        "forged one); a link asked for afterwards works. Recorded as `WorkerLinkRevoked`. "
        "Only the provider's department (or the city administrator) may withdraw it.",
        response_model=WorkerLinkWithdrawn,
    )
    async def withdraw_worker_links(provider_id: str, ctx: Ctx) -> dict[str, Any]:
        async with store.transaction(ctx) as tx:
            await _own_provider(tx, provider_id)
            now = datetime.now(UTC)
            await tx.conn.execute(
                delete(worker_links).where(worker_links.c.provider_id == provider_id)
            )
            await tx.conn.execute(
                worker_links.insert().values(provider_id=provider_id, revoked_at=now)
            )
            await append_once(
                tx, f"worker-link:{provider_id}", WorkerLinkRevoked(provider_id=provider_id)
            )
        return {"provider_id": provider_id, "revoked_at": now}

    return router
