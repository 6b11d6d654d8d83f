"""社区二维码: each community's QR code to its residents' order page (matching's mobile
page, ``/h5/order``), to print and put up — through matching's ``/h5-links/communities``.
Labels live here (both languages), not in the shared table: the page is self-contained."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from shegong.console import qr
from shegong.console.api import matching
from shegong.console.upstream import UpstreamError
from shegong.console.web import Ctx, page_context

LABELS = {
    "title": ("社区点单二维码", "Community order codes"),
    "intro": (
        "居民扫码即可点单（选服务、说需求、手机验证码确认），无需账号。打印（Ctrl+P）后张贴在社区服务站。",
        "Residents scan to order (choose a service, describe the need, confirm their phone "
        "by a one-time code), no account needed. Print (Ctrl+P) and put up at the "
        "community centre.",
    ),
    "region": ("地区", "Region"),
    "show": ("显示", "Show"),
    "none": (
        "没有社区（先导入区划，或登记服务者）",
        "No communities (import the region tree first)",
    ),
    "scan": ("扫码点单", "Scan to order"),
}


def h5_codes_router() -> APIRouter:
    router = APIRouter()

    @router.get("/services/h5-codes", response_class=HTMLResponse)
    async def codes(ctx: Annotated[Ctx, Depends(page_context)], region: str = "") -> Response:
        def label(key: str) -> str:
            zh, en = LABELS[key]
            return zh if ctx.lang == "zh" else en

        problem = None
        cards: list[dict[str, Any]] = []
        try:
            links = await ctx.matching.read(
                matching.GET_H5_LINKS_COMMUNITIES, region=region or None
            )
        except UpstreamError as err:
            links, problem = [], ctx.problem(err)
        base = (ctx.matching.base_url or "").rstrip("/")
        for link in links[:200]:
            url = link.url if "://" in link.url else base + link.url
            cards.append(
                {
                    "community": link.community,
                    "name": link.community.split("/")[-1],
                    "url": url,
                    "svg": Markup(qr.svg(url, scale=3, title=link.community)),
                }
            )
        return ctx.render(
            "h5_codes.html",
            label=label,
            region=region,
            cards=cards,
            problem=problem,
            status_code=503 if problem and not cards else 200,
        )

    return router
