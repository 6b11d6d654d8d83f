"""A resident follows their order: ``/h5/o/{id}?sig=…`` shows its progress (offered,
taken, on the way, done) to the phone that placed it, where they confirm and rate it,
say whether the need was met (回访) and so reopen it when not, or cancel it; ``/h5/me``
lists their orders."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from shegong.contracts.matching import ProviderKind, ServiceType
from shegong.kernel.data.identity import PersonalDataError, mask_phone
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.ops.db import reading
from shegong.matching.adapters.tables import requests, resident_data
from shegong.matching.domain.commands import Cancel, RecordFollowUp
from shegong.matching.domain.request import UNSATISFIED
from shegong.matching.h5.common import (
    H5,
    html,
    normalize_phone,
    not_found,
    refused_status,
    resident_ctx,
)
from shegong.matching.h5.html import box, card, e, page, steps
from shegong.matching.h5.order import GROUP_PLAIN

RESIDENT_SAID = "居民："  # before the resident's own words in a follow-up's notes

STEP_LABELS = ["已下单", "已派单", "已接单", "服务中", "已完成", "已评价"]
STATUS_ZH = {
    "open": ("正在为您安排服务者", 1),
    "offered": ("已推送给附近的服务者，等待接单", 1),
    "accepted": ("服务者已接单，将按约上门", 2),
    "in_delivery": ("服务者已出发 / 正在服务", 3),
    "completed": ("服务已完成，请确认并评价", 4),
    "followed_up": ("已评价，感谢您的反馈", 6),
    "cancelled": ("订单已取消", 0),
}
LEVEL_ZH = {"community": "社区", "street": "街道", "district": "区"}


def add_progress_pages(app: FastAPI, h5: H5) -> None:
    async def owned(request: Request, rid: str, sig: str) -> tuple[Any, bool] | None:
        """The order's row if the link is right; and whether this phone placed it."""
        if not h5.signer.check(sig, "order", rid):
            return None
        async with reading(h5.engine) as conn:
            row = (await conn.execute(select(requests).where(requests.c.request_id == rid))).first()
            owner = await conn.scalar(
                select(resident_data.c.phone_hash).where(resident_data.c.request_id == rid)
            )
        if row is None:
            return None
        mine = owner is not None and h5.resident_hash(request) == owner
        return row, mine

    def verify_form(rid: str, sig: str, *, sent: bool = False, msg: str = "", err: str = "") -> str:
        code = (
            '<label for="code">短信验证码</label><input id="code" name="code" '
            'inputmode="numeric" maxlength="6" data-testid="code">'
            '<button formaction="{}" data-testid="verify">验证并查看</button>'
        ).format(e(f"/h5/o/{quote(rid)}/verify?sig={quote(sig)}"))
        return page(
            "查看我的订单",
            (box("error", err) if err else "")
            + (box("ok", msg) if msg else "")
            + card(
                f'<form method="post" action="/h5/o/{e(quote(rid))}/code?sig={e(quote(sig))}">'
                '<p class="muted">为保护您的信息，请用下单时的手机号验证。</p>'
                '<label for="phone">手机号</label>'
                '<input id="phone" name="phone" type="tel" maxlength="20" data-testid="phone">'
                '<button class="secondary" data-testid="send-code">获取验证码</button>'
                + (code if sent else "")
                + "</form>",
                "验证手机号",
            ),
        )

    @app.get("/o/{rid}", response_class=HTMLResponse)
    async def order_progress(request: Request, rid: str, sig: str = "", done: str = "") -> Response:
        found = await owned(request, rid, sig)
        if found is None:
            return not_found()
        row, mine = found
        if not mine:
            return html(verify_form(rid, sig), 403)
        return html(progress_page(row, sig, done))

    @app.post("/o/{rid}/code", response_class=HTMLResponse)
    async def order_code_again(
        request: Request, rid: str, sig: str = "", phone: str = Form("", max_length=40)
    ) -> Response:
        found = await owned(request, rid, sig)
        if found is None:
            return not_found()
        try:
            number = normalize_phone(phone)
        except PersonalDataError:
            return html(verify_form(rid, sig, err="请填写正确的手机号。"), 422)
        async with reading(h5.engine) as conn:
            owner = await conn.scalar(
                select(resident_data.c.phone_hash).where(resident_data.c.request_id == rid)
            )
        # another number gets no code, and no hint: counted as the right one is
        refused = await h5.send_code(request, number, deliver=owner == h5.hasher.phone(number))
        if refused:
            return html(verify_form(rid, sig, err=refused), refused_status(refused))
        msg = f"如 {mask_phone(number)} 是下单手机号，验证码已发送。"
        return html(verify_form(rid, sig, sent=True, msg=msg))

    @app.post("/o/{rid}/verify", response_class=HTMLResponse)
    async def order_verify(
        request: Request,
        rid: str,
        sig: str = "",
        phone: str = Form("", max_length=40),
        code: str = Form("", max_length=12),
    ) -> Response:
        found = await owned(request, rid, sig)
        if found is None:
            return not_found()
        try:
            phone_hash = h5.hasher.phone(normalize_phone(phone))
        except PersonalDataError:
            return html(verify_form(rid, sig, err="请填写正确的手机号。"), 422)
        if not await h5.codes.confirm(phone_hash, code):
            return html(verify_form(rid, sig, sent=True, err="验证码不正确或已过期。"), 422)
        response = RedirectResponse(h5.order_link(rid), status_code=303)
        h5.remember(response, request, phone_hash)
        return response

    def progress_page(row: Any, sig: str, done: str) -> str:
        text, reached = STATUS_ZH.get(row.status, (row.status, 0))
        if row.status in ("open", "offered") and row.level:
            text += f"（{LEVEL_ZH.get(row.level, row.level)}正在协调）"
        kind = ProviderKind(row.provider_kind).zh if row.provider_kind else "—"
        rid = row.request_id
        base = f"/h5/o/{quote(rid)}"
        q = f"?sig={quote(sig)}"
        details = (
            "<dl>"
            f"<dt>服务</dt><dd>{e(ServiceType(row.service_type).zh)}</dd>"
            f"<dt>对象</dt><dd>{e(GROUP_PLAIN.get(row.target_group, row.target_group))}</dd>"
            f"<dt>社区</dt><dd>{e(row.community.split('/')[-1])}</dd>"
            f"<dt>服务者</dt><dd>{e(kind)}</dd>"
            f"<dt>联系电话</dt><dd>{e(row.resident_phone_masked)}</dd>"
            + (f"<dt>服务时长</dt><dd>{e(f'{row.hours:g}')} 小时</dd>" if row.hours else "")
            + (
                f"<dt>您的评价</dt><dd>{e(row.satisfaction)} / 5</dd>"
                if row.status == "followed_up"
                else ""
            )
            + "</dl>"
            + (f'<p class="muted">{e(row.notes)}</p>' if row.notes else "")
        )
        action = ""
        if row.status in ("open", "offered", "accepted"):
            action = card(
                f'<form method="post" action="{e(base)}/cancel{e(q)}">'
                '<button class="secondary" data-testid="cancel">不需要了，取消订单</button></form>'
            )
        elif row.status == "completed":
            stars = "".join(
                f'<label><input type="radio" name="satisfaction" value="{n}" required '
                f'data-testid="star-{n}">{n}分</label>'
                for n in range(1, 6)
            )
            action = card(
                f'<form method="post" action="{e(base)}/follow-up{e(q)}">'
                "<label>服务满意吗？</label>"
                f'<div class="stars">{stars}</div>'
                "<label>需求解决了吗？</label>"
                '<div class="choices">'
                '<label><input type="radio" name="met" value="yes" checked data-testid="met-yes">'
                "已解决</label>"
                '<label><input type="radio" name="met" value="no" data-testid="met-no">'
                "没解决，请再派人</label></div>"
                '<label for="notes">想说的话（可选）</label>'
                '<textarea id="notes" name="notes" maxlength="500"></textarea>'
                '<button data-testid="rate">确认完成并评价</button></form>',
                "确认完成 · 评价",
                "follow-up",
            )
        flash = {
            "rated": ("ok", "感谢您的评价！"),
            "reopened": ("notice", "已为您重新派单，请留意进度。"),
            "cancelled": ("ok", "订单已取消。"),
        }.get(done)
        body = (
            (box(flash[0], flash[1], "flash") if flash else "")
            + card(
                steps(STEP_LABELS, reached if row.status != "cancelled" else 0)
                + f'<p data-testid="status" data-status="{e(row.status)}"><b>{e(text)}</b></p>',
                "进度",
            )
            + card(details, "订单")
            + action
            + '<p class="muted"><a href="/h5/me">我的全部订单</a> · 页面不会自动刷新，'
            f'<a href="{e(base + q)}" data-testid="refresh">点此刷新</a></p>'
        )
        return page("我的订单", body, ServiceType(row.service_type).zh)

    @app.post("/o/{rid}/follow-up", response_class=HTMLResponse)
    async def resident_follow_up(
        request: Request,
        rid: str,
        sig: str = "",
        satisfaction: int = Form(..., ge=1, le=5),
        met: str = Form("yes"),
        # The follow-up's notes are the resident's words after "居民：" (RESIDENT_SAID), at
        # most 1,000 in all: 998–1,000 characters here were a 500 (round 10).
        notes: str = Form("", max_length=1000 - len(RESIDENT_SAID)),
    ) -> Response:
        found = await owned(request, rid, sig)
        if found is None:
            return not_found()
        _row, mine = found
        if not mine:
            return html(verify_form(rid, sig), 403)
        reopen = met == "no"
        if reopen and satisfaction > UNSATISFIED:
            error = f"需求没解决时，请给 1–{UNSATISFIED} 分，我们会重新派人。"
            return html(
                page(
                    "我的订单",
                    box("error", error, "error")
                    + card(f'<a class="button" href="{e(h5.order_link(rid))}">返回订单</a>'),
                ),
                422,
            )
        try:
            await h5.commands.follow_up(
                rid,
                RecordFollowUp(
                    satisfaction=satisfaction,
                    notes=(RESIDENT_SAID + notes.strip()) if notes.strip() else "居民在线评价",
                    reopen=reopen,
                ),
                resident_ctx(),
            )
        except DomainError as err:
            return html(page("我的订单", box("error", str(err), "error")), 409)
        flag = "reopened" if reopen else "rated"
        return RedirectResponse(f"{h5.order_link(rid)}&done={flag}", status_code=303)

    @app.post("/o/{rid}/cancel", response_class=HTMLResponse)
    async def resident_cancel(request: Request, rid: str, sig: str = "") -> Response:
        found = await owned(request, rid, sig)
        if found is None:
            return not_found()
        _row, mine = found
        if not mine:
            return html(verify_form(rid, sig), 403)
        try:
            await h5.commands.cancel(rid, Cancel(reason="居民取消"), resident_ctx())
        except DomainError as err:
            return html(page("我的订单", box("error", str(err), "error")), 409)
        return RedirectResponse(f"{h5.order_link(rid)}&done=cancelled", status_code=303)

    @app.get("/me", response_class=HTMLResponse)
    async def my_orders(request: Request) -> Response:
        phone_hash = h5.resident_hash(request)
        if phone_hash is None:
            return html(
                page("我的订单", box("notice", "请通过社区二维码或订单链接进入，并验证手机号。")),
                403,
            )
        async with reading(h5.engine) as conn:
            rows = list(
                await conn.execute(
                    select(requests)
                    .join(resident_data, resident_data.c.request_id == requests.c.request_id)
                    .where(resident_data.c.phone_hash == phone_hash)
                    .order_by(requests.c.placed_ts.desc())
                    .limit(50)
                )
            )
        items = "".join(
            f'<li><a href="{e(h5.order_link(r.request_id))}">'
            f"{e(ServiceType(r.service_type).zh)}</a>"
            f' <span class="muted">{e(STATUS_ZH.get(r.status, (r.status, 0))[0])} · '
            f"{e(datetime.fromtimestamp(r.placed_ts, UTC).strftime('%m-%d'))}</span></li>"
            for r in rows
        )
        return html(
            page(
                "我的订单",
                card(f'<ul class="plain">{items or "<li>暂无订单</li>"}</ul>')
                + '<p class="muted"><a href="/h5/me/erase">删除我的信息</a></p>',
            )
        )
