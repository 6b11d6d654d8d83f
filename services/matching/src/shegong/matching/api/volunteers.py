"""Volunteers' national numbers and the hours record a department hands on."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.kernel.events.store import EventStore
from shegong.kernel.web.access_log import audited_read
from shegong.kernel.web.auth import AuthError, Ctx
from shegong.matching.api.models import VolunteerNumberView
from shegong.matching.application.volunteer_hours import set_volunteer_number
from shegong.matching.application.volunteer_record import Viewer, record_rows, to_csv, to_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class VolunteerNumber(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    number: str = Field(min_length=1, max_length=64, description="志愿者编号 (national)")


def volunteers_router(store: EventStore, hasher: PersonalDataHasher) -> APIRouter:
    router = APIRouter(tags=["volunteers"])

    @router.put(
        "/providers/{provider_id}/volunteer-number",
        summary="Record a volunteer's national volunteer number (志愿者编号)",
        description="By the volunteer's department (or the city administrator). The number "
        "stays in matching's vault; the VolunteerNumberSet event carries its keyed hash and "
        "masked form. One number belongs to one volunteer (409 otherwise).",
    )
    async def volunteer_number(
        provider_id: str, body: VolunteerNumber, ctx: Ctx
    ) -> VolunteerNumberView:
        found = await set_volunteer_number(store, hasher, provider_id, body.number, ctx)
        return VolunteerNumberView(**found)

    @router.get(
        "/volunteers/hours-record",
        summary="The volunteer hours record (志愿服务时长记录表), CSV or XLSX",
        description="Columns as docs/volunteer-hours-template.md: one row per volunteer per "
        "service (a team's service once per member credited). A department key gets its own "
        "volunteers, national numbers in full; the administrator and auditors everyone's "
        "(or one department's), numbers masked. Recorded in the access log.",
        response_class=Response,
        dependencies=[Depends(audited_read("volunteer_hours_record"))],
    )
    async def hours_record(
        ctx: Ctx,
        year: int | None = Query(None, ge=2000, le=2100),
        format: Literal["csv", "xlsx"] = Query("xlsx"),
        department: str | None = Query(None, max_length=64, description="Whose volunteers"),
    ) -> Response:
        own = ctx.role == "department"
        if own and department not in (None, ctx.department):
            raise AuthError(
                403,
                f"department {ctx.department!r} may export only its own volunteers",
                f"{ctx.department} 部门只能导出本部门的志愿者",
                field="department",
            )
        rows = await record_rows(store, Viewer(ctx.department, own), year, department)
        body, media = (to_xlsx(rows), XLSX) if format == "xlsx" else (to_csv(rows), "text/csv")
        name = f"volunteer-hours-{year or 'all'}.{format}"
        return Response(
            body,
            media_type=media if format == "xlsx" else f"{media}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    return router
