"""A worker's page (社工接单): ``/h5/w/{link}`` — a link their department asks matching
for — shows the offers made to them with why they were chosen, accepts or declines,
starts and finishes with the time, shows the resident's contact while serving (recorded,
as every full view is) and their own hours. The link acts for that provider only."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from shegong.contracts.matching import ServiceType
from shegong.contracts.training import TargetGroup
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.store import CommandContext
from shegong.kernel.ops.db import reading
from shegong.kernel.web.auth import AuthError
from shegong.matching.adapters.tables import (
    hours_ledger,
    provider_state,
    requests,
    worker_links,
)
from shegong.matching.application.provider_state import provider_identity
from shegong.matching.domain.commands import Accept, Decline, FinishDelivery, StartDelivery
from shegong.matching.h5.common import H5, html, not_found
from shegong.matching.h5.guard import WORKER, Signer
from shegong.matching.h5.html import box, card, e, page

log = logging.getLogger("shegong.matching.h5")
ERRORS_ZH = {
    "conflict": "订单状态已变化（可能已被他人接走、已取消或您已满额），请刷新。",
    "forbidden": "这不是您的订单。",
    "not_found": "订单不存在。",
}
PART_ZH = {
    "proximity": "离得近",
    "load": "手头订单少",
    "training": "近期受过相关培训",
    "satisfaction": "居民评价好",
    "fairness": "接单机会均衡",
}


def add_worker_pages(app: FastAPI, h5: H5) -> None:
    def provider_ctx(provider_id: str) -> CommandContext:
        return CommandContext(actor=f"provider:{provider_id}", role="provider")

    async def provider_of(link: str) -> str | None:
        """The provider a link is for, while it is valid: sealed, not expired, and its
        worker has not left (round 11: a worker whose departure was recorded kept acting
        and seeing residents' phones and addresses through the link until it expired)."""
        opened = h5.signer.open(link, WORKER)
        if opened is None:
            return None
        me, issued = link_issued(opened)
        async with reading(h5.engine) as conn:
            left = await conn.scalar(
                select(provider_state.c.left_on).where(provider_state.c.provider_id == me)
            )
            revoked = await conn.scalar(
                select(worker_links.c.revoked_at).where(worker_links.c.provider_id == me)
            )
        if left is not None and left <= datetime.now(UTC).date():
            return None
        # withdrawn (a lost phone): a link issued until then opens nothing
        return None if revoked is not None and issued <= _aware(revoked) else me

    @app.get("/w/{link}", response_class=HTMLResponse)
    async def worker_page(link: str, done: str = "", error: str = "") -> Response:
        me = await provider_of(link)
        if me is None:
            return not_found()
        async with reading(h5.engine) as conn:
            offered = list(
                await conn.execute(
                    select(requests)
                    .where(requests.c.status == "offered")
                    .order_by(requests.c.placed_ts.desc())
                    .limit(500)
                )
            )
            held = list(
                await conn.execute(
                    select(requests)
                    .where(
                        (requests.c.provider_id == me)
                        & requests.c.status.in_(("accepted", "in_delivery"))
                    )
                    .order_by(requests.c.placed_ts)
                )
            )
            ledger = list(
                await conn.execute(
                    select(hours_ledger)
                    .where(hours_ledger.c.provider_id == me)
                    .order_by(hours_ledger.c.entry.desc())
                )
            )
        offers = [r for r in offered if me in (r.offered or []) and me not in (r.declined or {})]
        base = f"/h5/w/{quote(link)}"
        offer_items = []
        for r in offers:
            why = await reason_for(r.request_id, me)
            offer_items.append(
                f'<li data-testid="offer">{order_summary(r)}'
                f'<p class="muted">为什么推荐给您：{e(why)}</p>'
                f'<div class="row"><form method="post" action="{e(base)}/{e(r.request_id)}/accept">'
                '<button data-testid="accept">接单</button></form>'
                f'<form method="post" action="{e(base)}/{e(r.request_id)}/decline">'
                '<input type="hidden" name="reason" value="时间冲突">'
                '<button class="secondary" data-testid="decline">没空，婉拒</button>'
                "</form></div></li>"
            )
        held_items = []
        for r in held:
            if r.status == "accepted":
                act = (
                    f'<form method="post" action="{e(base)}/{e(r.request_id)}/start">'
                    '<button data-testid="start">出发 / 开始服务（记录时间）</button></form>'
                )
            else:
                act = (
                    f'<form method="post" action="{e(base)}/{e(r.request_id)}/finish">'
                    '<label>服务时长（小时）</label><input name="hours" type="number" step="0.5" '
                    'min="0.5" max="24" value="1" inputmode="decimal" data-testid="hours">'
                    '<button data-testid="finish">完成服务（记录时间）</button></form>'
                )
            contact = (
                f'<form method="post" action="{e(base)}/{e(r.request_id)}/contact">'
                '<button class="secondary" data-testid="contact">'
                "查看居民联系方式（将被记录）</button></form>"
            )
            held_items.append(f'<li data-testid="held">{order_summary(r)}{act}{contact}</li>')
        year = datetime.now(UTC).year
        total = sum(x.hours for x in ledger if x.year == year)
        hours_items = "".join(
            f"<li>{e(ServiceType(x.service_type).zh)} · {e(x.started_at.strftime('%m-%d %H:%M'))}"
            f"–{e(x.finished_at.strftime('%H:%M'))}"
            f" · {e(f'{x.hours:g}')} 小时 · "
            f"{e(f'满意度 {x.satisfaction}/5' if x.satisfaction else '待回访')}</li>"
            for x in ledger[:10]
        )
        flash = {
            "accepted": "已接单，请按约上门。",
            "declined": "已婉拒。",
            "started": "已记录出发时间。",
            "finished": "已完成，服务时长已记入台账。",
        }.get(done)
        body = (
            (box("ok", flash, "flash") if flash else "")
            + (box("error", ERRORS_ZH.get(error, "操作未成功，请重试。"), "error") if error else "")
            + card(
                f'<ul class="plain">{"".join(offer_items) or "<li>暂无新订单</li>"}</ul>',
                f"待接单（{len(offers)}）",
                "offers",
            )
            + card(
                f'<ul class="plain">{"".join(held_items) or "<li>暂无进行中的订单</li>"}</ul>',
                "我的服务",
                "held",
            )
            + card(
                f'<p data-testid="hours-total">{year} 年服务时长：<b>{e(f"{total:g}")}</b> 小时</p>'
                f'<ul class="plain">{hours_items}</ul>',
                "我的时长",
            )
        )
        try:
            async with reading(h5.engine) as conn:
                who = await provider_identity(conn, me)
            name = f"{who['name']} · {who['kind'].zh}"
        except DomainError:
            name = ""
        return html(page("社工接单", body, name))

    def order_summary(r: Any) -> str:
        when = ""
        if r.window_start:
            when = f" · {r.window_start.strftime('%m-%d %H:%M')}"
        return (
            f"<b>{e(ServiceType(r.service_type).zh)}</b> · {e(TargetGroup(r.target_group).zh)}"
            f'<br><span class="muted">{e(r.community.replace("/", " · "))}{e(when)}</span>'
            + (f"<br>{e(r.notes)}" if r.notes else "")
        )

    async def reason_for(rid: str, me: str) -> str:
        try:
            explained = await h5.commands.explain(rid)
        except DomainError:
            return "—"
        mine = next((x for x in explained["ranked"] if x["provider_id"] == me), None)
        if mine is None:
            return "—"
        parts: dict[str, float] = mine["parts"]  # type: ignore[assignment]
        best = sorted(parts.items(), key=lambda kv: -kv[1])
        good = [PART_ZH[k] for k, v in best if v >= 0.5 and k in PART_ZH and k != "proximity"]
        proximity = {1.0: "同社区", 0.6: "同街道", 0.3: "同区县"}.get(parts.get("proximity", 0), "")
        return "、".join([proximity, *good[:3]] if proximity else good[:3]) or "综合评分最高"

    async def act(link: str, rid: str, what: str, run: Callable[[str], Awaitable[Any]]) -> Response:
        me = await provider_of(link)
        if me is None:
            return not_found()
        target = f"/h5/w/{quote(link)}"
        try:
            await run(me)
        except ValidationError:  # a form the command refuses (round 10: a blank reason, 500)
            return RedirectResponse(f"{target}?{urlencode({'error': 'invalid'})}", 303)
        except (DomainError, AuthError) as err:
            log.info("worker %s could not %s %s: %s", me, what, rid, err)
            code = getattr(err, "code", "conflict")
            return RedirectResponse(f"{target}?{urlencode({'error': code})}", 303)
        return RedirectResponse(f"{target}?done={what}", 303)

    async def holder_check(rid: str, me: str) -> None:
        async with reading(h5.engine) as conn:
            holder = await conn.scalar(
                select(requests.c.provider_id).where(requests.c.request_id == rid)
            )
        if holder != me:
            raise DomainError("这不是您的订单", field="request_id", code="forbidden")

    @app.post("/w/{link}/{rid}/accept")
    async def worker_accept(link: str, rid: str) -> Response:
        return await act(
            link,
            rid,
            "accepted",
            lambda me: h5.commands.accept(rid, Accept(provider_id=me), provider_ctx(me)),
        )

    @app.post("/w/{link}/{rid}/decline")
    async def worker_decline(
        link: str, rid: str, reason: str = Form("没空", max_length=200)
    ) -> Response:
        return await act(
            link,
            rid,
            "declined",
            lambda me: h5.commands.decline(
                rid, Decline(provider_id=me, reason=reason.strip() or "没空"), provider_ctx(me)
            ),
        )

    @app.post("/w/{link}/{rid}/start")
    async def worker_start(link: str, rid: str) -> Response:
        async def run(me: str) -> None:
            await holder_check(rid, me)
            await h5.commands.start(rid, StartDelivery(), provider_ctx(me))

        return await act(link, rid, "started", run)

    @app.post("/w/{link}/{rid}/finish")
    async def worker_finish(link: str, rid: str, hours: float = Form(..., gt=0, le=24)) -> Response:
        async def run(me: str) -> None:
            await holder_check(rid, me)
            await h5.commands.finish(rid, FinishDelivery(hours=hours), provider_ctx(me))

        return await act(link, rid, "finished", run)

    @app.post("/w/{link}/{rid}/contact", response_class=HTMLResponse)
    async def worker_contact(link: str, rid: str) -> Response:
        me = await provider_of(link)
        if me is None:
            return not_found()
        try:
            contact = await h5.commands.view_contact(rid, me, provider_ctx(me))
        except (DomainError, AuthError) as err:
            said = getattr(err, "message_zh", None) or str(err)  # 410: deleted, in Chinese
            return html(page("居民联系方式", box("error", said, "error")), 403)
        body = card(
            f'<dl><dt>电话</dt><dd data-testid="resident-phone">{e(contact["phone"] or "—")}</dd>'
            f"<dt>地址</dt><dd>{e(contact['address'] or '—')}</dd></dl>"
            '<p class="muted">仅用于本次服务，请勿外传；本次查看已记录。</p>'
            f'<a class="button" href="/h5/w/{e(quote(link))}">返回</a>',
            "居民联系方式",
        )
        return html(page("居民联系方式", body))


def worker_link(signer: Signer, provider_id: str, days: int) -> str:
    """The link, sealed with the provider and when it was issued (to the microsecond: a
    link withdrawn and asked for again within a second must tell the two apart)."""
    issued = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    return f"/h5/w/{quote(signer.seal(f'{provider_id}{ISSUED}{issued}', days * 86400, WORKER))}"


ISSUED = "~"  # the last one in the sealed value: the time after it has none


def link_issued(opened: str) -> tuple[str, datetime]:
    """The provider a sealed link is for and when it was issued; a link sealed before
    links carried the time (the provider alone) counts as issued at the epoch."""
    me, sep, when = opened.rpartition(ISSUED)
    if not sep:
        return opened, datetime.fromtimestamp(0, UTC)
    try:
        return me, datetime.strptime(when, "%Y%m%d%H%M%S%f").replace(tzinfo=UTC)
    except ValueError:  # an older link whose provider's id holds the separator
        return opened, datetime.fromtimestamp(0, UTC)


def _aware(at: datetime) -> datetime:
    """SQLite hands a timezone-aware column back naive (in UTC)."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)
