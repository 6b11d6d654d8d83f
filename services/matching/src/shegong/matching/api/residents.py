"""Residents' rights over their data (个人信息权利): erasure on request."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.kernel.events.store import EventStore
from shegong.kernel.web.auth import AdminOnly, Ctx
from shegong.matching.application.resident_privacy import erase_resident


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phone: str | None = Field(default=None, max_length=40, description="The resident's phone")
    phone_hash: str | None = Field(
        default=None,
        min_length=16,
        max_length=64,
        description="Or its keyed hash (resident_phone_hash on the bus)",
    )


def residents_router(store: EventStore, hasher: PersonalDataHasher) -> APIRouter:
    router = APIRouter(prefix="/residents", tags=["residents"])

    @router.post(
        "/erasure",
        summary="Erase a resident's data (删除个人信息), city administrator only",
        description="Every order the phone placed loses the resident's phone and address "
        "from the vault, and its masked phone, masked address and notes from the read "
        "models; the orders, their indicators and the phone's keyed hash stay. Each order "
        "erased is a ResidentContactPurged event (reason erasure: which fields, never "
        "the values). Asking again changes nothing.",
    )
    async def erasure(body: ErasureRequest, ctx: Ctx, _: AdminOnly) -> dict[str, Any]:
        return await erase_resident(
            store, hasher, ctx, phone=body.phone, phone_hash=body.phone_hash
        )

    return router
