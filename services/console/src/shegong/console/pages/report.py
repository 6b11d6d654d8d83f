"""年度报告: the annual report downloaded from the dashboard (DOCX, the province's XLSX,
PDF), as of any day, written by ``shegong.report`` from the same APIs the dashboard reads
— with the signed-in user's key; and "what changed since publication" for a published
report's file (``shegong report annual --publish``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, UploadFile
from fastapi.responses import HTMLResponse, Response

from shegong.console.upstream import UpstreamError
from shegong.console.web import Ctx, page_context

MEDIA = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _getter(ctx: Ctx) -> Any:
    async def get(service: str, path: str, params: dict[str, Any]) -> Any:
        return await ctx.upstream(service).get(path, **params)

    return get


def _render(figures: dict[str, Any], fmt: str) -> bytes:
    from shegong.report.document import build_docx

    if fmt == "xlsx":
        from shegong.report.tables import build_xlsx

        return build_xlsx(figures)
    docx = build_docx(figures)
    if fmt == "pdf":
        from shegong.report.pdf import docx_to_pdf

        return docx_to_pdf(docx)
    return docx


def _refusal(text: str, status: int) -> Response:
    """A refusal as plain text: it quotes what was asked (a region's code), which a
    browser must not read as a page (it had no Content-Type at all; round 9)."""
    return Response(text, status, media_type="text/plain; charset=utf-8")


def report_router() -> APIRouter:
    router = APIRouter()

    @router.get("/dashboard/report")
    async def download(
        ctx: Annotated[Ctx, Depends(page_context)],
        year: int,
        region: str = "",
        as_of: str = "",
        format: str = "docx",
    ) -> Response:
        from shegong.report.figures import collect
        from shegong.report.pdf import PdfUnavailable

        if format not in MEDIA:
            return _refusal("format: docx, xlsx or pdf / 格式：docx、xlsx 或 pdf", 422)
        try:
            day = dt.date.fromisoformat(as_of) if as_of else None
            figures = await collect(_getter(ctx), year, region.strip() or None, day)
            data = await asyncio.to_thread(_render, figures, format)
        except UpstreamError as err:
            problem = ctx.problem(err)
            return _refusal(
                f"{problem['text']} — {err.service}: {problem['detail']}", err.status or 502
            )
        except ValueError as err:
            return _refusal(str(err), 422)
        except PdfUnavailable as err:  # no renderer on the console's machine
            return _refusal(f"{err} / 本机无法生成PDF", 503)
        name = f"{figures['region_name']}{year}年度社会工作报告"
        if as_of:
            name += f"（截至{as_of}）"
        return Response(
            data,
            media_type=MEDIA[format],
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}.{format}"},
        )

    @router.post("/dashboard/report/changes", response_class=HTMLResponse)
    async def changes(
        ctx: Annotated[Ctx, Depends(page_context)],
        file: Annotated[UploadFile, File(description="a published report (.json)")],
    ) -> Response:
        from shegong.report import publish

        try:
            record = json.loads(await file.read())
            if record.get("kind") != publish.KIND:
                raise ValueError("not a published shegong report (shegong report annual --publish)")
            found = await publish.changes(_getter(ctx), record)
        except UpstreamError as err:
            return ctx.render("report_changes.html", found=None, problems=[ctx.problem(err)])
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as err:
            # A file of another shape (a list where figures go, nesting 100,000 deep) is
            # not a published report either: it was a 500.
            detail = str(err) if isinstance(err, ValueError | KeyError) else type(err).__name__
            problems = [{"kind": "error", "text": ctx.t("report_not_published"), "detail": detail}]
            return ctx.render("report_changes.html", found=None, problems=problems)
        return ctx.render("report_changes.html", found=found, record=record, problems=[])

    return router
