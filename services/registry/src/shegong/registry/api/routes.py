"""The registry's HTTP API (FastAPI; OpenAPI at /docs)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.contracts.registry import CertificateLevel, Post
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.ops.db import page, reading
from shegong.kernel.web.access_log import audited_read
from shegong.kernel.web.auth import Ctx
from shegong.kernel.web.digests import for_caller
from shegong.registry.api.models import (
    PersonalData,
    RegionRow,
    WorkerDetail,
    WorkerPage,
    WorkerResult,
)
from shegong.registry.application.handlers import RegistryCommands
from shegong.registry.domain.commands import (
    RecordCertificate,
    RecordDeparture,
    RegisterWorker,
    UpdateProfile,
)
from shegong.registry.projections.regions import regions
from shegong.registry.projections.workers import certificates, workers


def registry_router(commands: RegistryCommands, engine: AsyncEngine) -> APIRouter:
    router = APIRouter(prefix="/workers", tags=["workers"])

    @router.post(
        "", status_code=201, summary="Register a worker (登记)", response_model=WorkerResult
    )
    async def register(request: Request, cmd: RegisterWorker, ctx: Ctx) -> dict[str, Any]:
        return for_caller(request, (await commands.register(cmd, ctx)).body())

    @router.patch("/{worker_id}", summary="Update a worker's profile", response_model=WorkerResult)
    async def update_profile(
        request: Request, worker_id: str, cmd: UpdateProfile, ctx: Ctx
    ) -> dict[str, Any]:
        return for_caller(request, (await commands.update_profile(worker_id, cmd, ctx)).body())

    @router.post(
        "/{worker_id}/certificates",
        summary="Record a certificate (取证)",
        response_model=WorkerResult,
    )
    async def certify(
        request: Request, worker_id: str, cmd: RecordCertificate, ctx: Ctx
    ) -> dict[str, Any]:
        return for_caller(request, (await commands.certify(worker_id, cmd, ctx)).body())

    @router.post(
        "/{worker_id}/departure", summary="Record a departure (离职)", response_model=WorkerResult
    )
    async def depart(
        request: Request, worker_id: str, cmd: RecordDeparture, ctx: Ctx
    ) -> dict[str, Any]:
        return for_caller(request, (await commands.record_departure(worker_id, cmd, ctx)).body())

    @router.get(
        "/{worker_id}/personal-data",
        summary="A worker's ID number and phone in full (admin, or the worker's own "
        "department); every view is recorded as a PersonalDataViewed event",
        response_model=PersonalData,
    )
    async def personal_data(worker_id: str, ctx: Ctx) -> dict[str, Any]:
        return await commands.view_personal_data(worker_id, ctx)

    @router.get(
        "/{worker_id}",
        summary="One worker, from the city-wide read model",
        response_model=WorkerDetail,
    )
    async def get_worker(request: Request, worker_id: str) -> dict[str, Any]:
        async with reading(engine) as conn:
            row = (
                await conn.execute(select(workers).where(workers.c.worker_id == worker_id))
            ).first()
            if row is None:
                raise DomainError(
                    "no such worker (yet): worker_id",
                    field="worker_id",
                    code="not_found",
                    zh="没有该人员（或尚未登记）：worker_id",
                )
            certs = await conn.execute(
                select(
                    certificates.c.level, certificates.c.certificate_no, certificates.c.certified_on
                )
                .where(certificates.c.worker_id == worker_id)
                .order_by(certificates.c.certified_on)
            )
            found = {**row._asdict(), "certificates": [c._asdict() for c in certs]}
            return for_caller(request, found)  # type: ignore[no-any-return]

    @router.get(
        "",
        response_model=WorkerPage,
        summary="Search workers across the city (recorded in the access log)",
        dependencies=[Depends(audited_read("workers_list"))],
    )
    async def search(
        request: Request,
        county: str | None = None,
        township: str | None = None,
        community: str | None = None,
        post: Post | None = None,
        certificate: CertificateLevel | None = None,
        department: str | None = None,
        name: str | None = None,
        active_on: date | None = Query(None, description="Only those active on this day"),
        limit: int = Query(50, ge=1, le=1000),
        offset: int = Query(0, ge=0, le=10**9),
    ) -> WorkerPage:
        cond = []
        for column, value in (
            (workers.c.county, county),
            (workers.c.township, township),
            (workers.c.community, community),
            (workers.c.department, department),
            (workers.c.post, post.value if post else None),
            (workers.c.highest_certificate, certificate.value if certificate else None),
            (workers.c.name, name),
        ):
            if value is not None:
                cond.append(column == value)
        if active_on is not None:
            cond.append(workers.c.hired_on <= active_on)
            cond.append((workers.c.left_on.is_(None)) | (workers.c.left_on > active_on))
        query = (
            select(workers)
            .where(*cond)
            .order_by(workers.c.department, workers.c.name, workers.c.worker_id)
        )
        async with reading(engine) as conn:
            total, rows = await page(conn, query, limit, offset)
        return WorkerPage(total=total, items=for_caller(request, [r._asdict() for r in rows]))

    return router


def regions_router(engine: AsyncEngine) -> APIRouter:
    router = APIRouter(prefix="/regions", tags=["regions"])

    @router.get(
        "",
        summary="The region tree (区县 / 乡镇街道 / 社区村) with urban population",
        response_model=list[RegionRow],
    )
    async def list_regions(
        parent: str | None = Query(None, description="Only the children of this code"),
    ) -> list[dict[str, Any]]:
        query = select(regions)
        if parent is not None:
            query = query.where(regions.c.parent == parent)
        async with reading(engine) as conn:
            rows = await conn.execute(query.order_by(regions.c.code))
            return [r._asdict() for r in rows]

    return router
