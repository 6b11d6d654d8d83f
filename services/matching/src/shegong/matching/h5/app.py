"""The public mobile pages, as their own small app mounted at ``/h5`` (no API key; see
``guard.py`` for what guards them instead).

A resident (居民点单): ``/h5/order?community=…&sig=…`` — the link a community's QR code
carries — chooses a service, describes the need, confirms their phone with a one-time
code and places the order; ``/h5/o/{id}?sig=…`` shows its progress (offered, taken, on
the way, done) to the phone that placed it, where they confirm and rate it, say whether
the need was met (回访) and so reopen it when not; ``/h5/me`` lists their orders.

A worker (社工接单): ``/h5/w/{link}`` — a link their department asks matching for —
shows the offers made to them with why they were chosen, accepts or declines, starts
and finishes with the time, shows the resident's contact while serving (recorded, as
every full view is) and their own hours. The link acts for that provider only.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.contracts.matching import ProviderKind, ServiceType
from shegong.contracts.training import TargetGroup
from shegong.kernel.data.identity import PersonalDataError, PersonalDataHasher, mask_phone
from shegong.kernel.data.identity import normalize_phone as _normalize_phone
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.events.store import CommandContext
from shegong.kernel.ops.db import reading
from shegong.kernel.web.auth import AuthError
from shegong.matching.adapters.tables import hours_ledger, requests, resident_data
from shegong.matching.application.provider_state import provider_identity
from shegong.matching.application.requests import MatchingCommands
from shegong.matching.domain.commands import (
    Accept,
    Cancel,
    Decline,
    FinishDelivery,
    PlaceRequest,
    RecordFollowUp,
    StartDelivery,
)
from shegong.matching.domain.request import UNSATISFIED
from shegong.matching.h5.guard import CODE_TTL_S, Codes, Limits, Signer
from shegong.matching.h5.html import box, card, e, hidden, options, page, steps
from shegong.matching.h5.notify import Message, Notifier
from shegong.matching.settings import MatchingSettings

log = logging.getLogger("shegong.matching.h5")
COOKIE = "sg_resident"
ERRORS_ZH = {
    "conflict": "订单状态已变化（可能已被他人接走、已取消或您已满额），请刷新。",
    "forbidden": "这不是您的订单。",
    "not_found": "订单不存在。",
}
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
# The taxonomy in words a resident uses (the codes and labels staff see stay as they are).
SERVICE_PLAIN = {
    "health_management": "健康管理（量血压、慢病随访）",
    "meal_help": "助餐（送餐、陪同用餐）",
    "after_school_care": "课后托管（放学后看护、辅导作业）",
    "parent_child": "亲子活动",
    "home_visit": "上门探访、陪伴聊天",
    "psychological_support": "心理疏导",
    "benefits_help": "政策帮办（低保、补贴等手续）",
    "rehabilitation": "康复训练",
}
GROUP_PLAIN = {
    "elderly": "老年人",
    "children": "儿童",
    "hardship": "生活困难的家庭",
    "disability": "残疾人",
}
LEVEL_ZH = {"community": "社区", "street": "街道", "district": "区"}
PART_ZH = {
    "proximity": "离得近",
    "load": "手头订单少",
    "training": "近期受过相关培训",
    "satisfaction": "居民评价好",
    "fairness": "接单机会均衡",
}


def resident_ctx() -> CommandContext:
    """A resident acting on their own order through these pages (no department)."""
    return CommandContext(actor="resident (h5)", role="resident")


def normalize_phone(raw: str) -> str:
    return _normalize_phone(raw, field="phone")


def h5_app(
    commands: MatchingCommands,
    engine: AsyncEngine,
    limits: Limits,
    codes: Codes,
    signer: Signer,
    hasher: PersonalDataHasher,
    notifier: Notifier,
    settings: MatchingSettings,
) -> FastAPI:
    app = FastAPI(title="shegong H5", docs_url=None, redoc_url=None, openapi_url=None)

    # -- guards ----------------------------------------------------------------------
    @app.middleware("http")
    async def rate_limit(request: Request, call_next: Callable[..., Awaitable[Any]]) -> Any:
        client = request.client.host if request.client else "-"
        allowed = await limits.hit(f"ip:{client}", settings.matching_h5_requests_per_min, 60)
        if allowed and request.method == "POST":
            allowed = await limits.hit(f"post:{client}", settings.matching_h5_posts_per_min, 60)
        if not allowed:
            return HTMLResponse(
                page("请稍后再试", box("error", "操作太频繁，请一分钟后再试。")),
                status_code=429,
                headers={"Retry-After": "60"},
            )
        response = await call_next(request)
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        )
        return response

    def html(body: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(body, status_code=status)

    def not_found() -> HTMLResponse:
        return html(page("链接无效", box("error", "链接无效或已过期，请重新扫码。")), 404)

    def resident_hash(request: Request) -> str | None:
        return signer.open(request.cookies.get(COOKIE))

    def remember(response: Response, request: Request, phone_hash: str) -> None:
        response.set_cookie(
            COOKIE,
            signer.seal(phone_hash, 7 * 86400),
            max_age=7 * 86400,
            path="/h5",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    async def send_code(request: Request, phone: str) -> str | None:
        """Send a code to ``phone``; a reason in Chinese when refused."""
        client = request.client.host if request.client else "-"
        phone_hash = hasher.phone(phone)
        if not await limits.hit(
            f"code-phone:{phone_hash}", settings.matching_h5_codes_per_phone, 600
        ):
            return "该手机号获取验证码太频繁，请10分钟后再试。"
        if not await limits.hit(f"code-ip:{client}", settings.matching_h5_codes_per_ip, 3600):
            return "获取验证码太频繁，请稍后再试。"
        code = await codes.issue(phone_hash)
        text = (
            f"【社工服务】您的验证码是 {code}，{CODE_TTL_S // 60} 分钟内有效。如非本人操作请忽略。"
        )
        try:
            await notifier.send(Message(to=phone, text=text, kind="resident_code"))
        except Exception:  # a sender's failure is shown, not raised
            log.exception("could not send a one-time code")
            return "验证码发送失败，请稍后再试。"
        return None

    # -- the resident: placing an order ------------------------------------------------
    def order_form(
        community: str,
        sig: str,
        values: dict[str, str],
        *,
        confirmed: bool,
        code_sent: bool = False,
        message: str = "",
        error: str = "",
    ) -> str:
        services = [(t.value, SERVICE_PLAIN.get(t.value, t.zh)) for t in ServiceType]
        groups = [(g.value, GROUP_PLAIN.get(g.value, g.zh)) for g in TargetGroup]
        name = community.split("/")[-1]
        if confirmed:
            phone_part = box("ok", "您的手机号已验证，可直接提交。", "phone-confirmed")
        else:
            code_field = (
                '<label for="code">短信验证码</label>'
                '<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" '
                'maxlength="6" pattern="[0-9]{6}" data-testid="code">'
                if code_sent
                else ""
            )
            phone_part = (
                '<label for="phone">手机号（仅用于联系您，不会公开）</label>'
                f'<input id="phone" name="phone" type="tel" inputmode="tel" maxlength="20" '
                f'autocomplete="tel" value="{e(values.get("phone"))}" data-testid="phone">'
                '<button class="secondary" formaction="/h5/order/code" formnovalidate '
                'data-testid="send-code">获取验证码</button>' + code_field
            )
        body = (
            (box("error", error, "error") if error else "")
            + (box("ok", message, "message") if message else "")
            + card(
                '<form method="post" action="/h5/order">'
                + hidden("community", community)
                + hidden("sig", sig)
                + '<label for="service_type">需要什么服务</label>'
                + '<select id="service_type" name="service_type" data-testid="service">'
                + options(services, values.get("service_type"))
                + "</select>"
                + '<label for="target_group">为谁服务</label>'
                + '<select id="target_group" name="target_group" data-testid="group">'
                + options(groups, values.get("target_group"))
                + "</select>"
                + '<label for="notes">说说具体需要（可选）</label>'
                + '<textarea id="notes" name="notes" maxlength="500" data-testid="notes" '
                + 'placeholder="例如：独居老人，每周二上午需要送餐">'
                + e(values.get("notes"))
                + "</textarea>"
                + phone_part
                + '<button data-testid="submit">提交需求</button>'
                + "</form>",
                "我要点单",
            )
            + '<p class="muted">提交后，附近的社工或志愿者会接单；无人接单时由社区、街道逐级响应。'
            '<a href="/h5/me">我的订单</a></p>'
        )
        return page(f"{name} · 居民点单", body, community.replace("/", " · "))

    def form_values(**fields: str | None) -> dict[str, str]:
        return {k: (v or "") for k, v in fields.items()}

    @app.get("/order", response_class=HTMLResponse)
    async def order_page(request: Request, community: str = "", sig: str = "") -> Response:
        if not community or not signer.check(sig, "community", community):
            return not_found()
        return html(order_form(community, sig, {}, confirmed=resident_hash(request) is not None))

    @app.post("/order/code", response_class=HTMLResponse)
    async def order_code(
        request: Request,
        community: str = Form(""),
        sig: str = Form(""),
        service_type: str = Form(""),
        target_group: str = Form(""),
        notes: str = Form("", max_length=1000),
        phone: str = Form("", max_length=40),
    ) -> Response:
        if not signer.check(sig, "community", community):
            return not_found()
        values = form_values(
            service_type=service_type, target_group=target_group, notes=notes, phone=phone
        )
        try:
            number = normalize_phone(phone)
        except PersonalDataError:
            return html(
                order_form(community, sig, values, confirmed=False, error="请填写正确的手机号。"),
                422,
            )
        refused = await send_code(request, number)
        return html(
            order_form(
                community,
                sig,
                values,
                confirmed=False,
                code_sent=refused is None,
                message="" if refused else f"验证码已发送至 {mask_phone(number)}。",
                error=refused or "",
            ),
            429 if refused else 200,
        )

    @app.post("/order", response_class=HTMLResponse)
    async def place_order(
        request: Request,
        community: str = Form(""),
        sig: str = Form(""),
        service_type: str = Form(""),
        target_group: str = Form(""),
        notes: str = Form("", max_length=1000),
        phone: str = Form("", max_length=40),
        code: str = Form("", max_length=12),
    ) -> Response:
        if not signer.check(sig, "community", community):
            return not_found()
        confirmed = resident_hash(request)
        values = form_values(
            service_type=service_type, target_group=target_group, notes=notes, phone=phone
        )

        def again(error: str, status: int = 422, sent: bool = False) -> Response:
            form = order_form(
                community, sig, values, confirmed=bool(confirmed), code_sent=sent, error=error
            )
            return html(form, status)

        try:  # the form first, so a one-time code is not spent on a form that fails
            cmd = PlaceRequest(
                community=community,
                service_type=service_type,  # type: ignore[arg-type]
                target_group=target_group,  # type: ignore[arg-type]
                notes=notes.strip() or None,
                placed_by="resident",
            )
        except ValueError:
            return again("请选择服务和服务对象。")
        phone_hash = confirmed
        number: str | None = None
        if confirmed is None:
            try:
                number = normalize_phone(phone)
            except PersonalDataError:
                return again("请填写正确的手机号。")
            phone_hash = hasher.phone(number)
            if not code.strip():
                return again("请先获取并填写短信验证码。", sent=True)
            if not await codes.confirm(phone_hash, code):
                return again("验证码不正确或已过期，请重新获取。", sent=True)
        else:
            number = await phone_of(confirmed)
            if number is None:  # the cookie names a phone no order holds yet: ask again
                confirmed = None
                return again("请验证手机号。")
        try:
            cmd.resident_phone = number
            placed = await commands.place(cmd, resident_ctx())
        except (DomainError, ValueError) as err:
            return again(f"提交失败：{err}")
        rid = placed["request"]["request_id"]
        response = RedirectResponse(order_link(rid), status_code=303)
        assert phone_hash is not None
        remember(response, request, phone_hash)
        return response

    async def phone_of(phone_hash: str) -> str | None:
        """The number behind a confirmed phone's keyed hash: from the vault (an order the
        same phone placed before)."""
        async with reading(engine) as conn:
            found = await conn.scalar(
                select(resident_data.c.phone)
                .where(
                    (resident_data.c.phone_hash == phone_hash) & resident_data.c.phone.is_not(None)
                )
                .limit(1)
            )
        return str(found) if found else None

    def order_link(rid: str) -> str:
        return f"/h5/o/{quote(rid)}?{urlencode({'sig': signer.sign('order', rid)})}"

    # -- the resident: following an order ----------------------------------------------
    async def owned(request: Request, rid: str, sig: str) -> tuple[Any, bool] | None:
        """The order's row if the link is right; and whether this phone placed it."""
        if not signer.check(sig, "order", rid):
            return None
        async with reading(engine) as conn:
            row = (await conn.execute(select(requests).where(requests.c.request_id == rid))).first()
            owner = await conn.scalar(
                select(resident_data.c.phone_hash).where(resident_data.c.request_id == rid)
            )
        if row is None:
            return None
        mine = owner is not None and resident_hash(request) == owner
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
        async with reading(engine) as conn:
            owner = await conn.scalar(
                select(resident_data.c.phone_hash).where(resident_data.c.request_id == rid)
            )
        refused = None
        if owner == hasher.phone(number):  # another number gets no code, and no hint
            refused = await send_code(request, number)
        if refused:
            return html(verify_form(rid, sig, err=refused), 429)
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
            phone_hash = hasher.phone(normalize_phone(phone))
        except PersonalDataError:
            return html(verify_form(rid, sig, err="请填写正确的手机号。"), 422)
        if not await codes.confirm(phone_hash, code):
            return html(verify_form(rid, sig, sent=True, err="验证码不正确或已过期。"), 422)
        response = RedirectResponse(order_link(rid), status_code=303)
        remember(response, request, phone_hash)
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
        notes: str = Form("", max_length=1000),
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
                    + card(f'<a class="button" href="{e(order_link(rid))}">返回订单</a>'),
                ),
                422,
            )
        try:
            await commands.follow_up(
                rid,
                RecordFollowUp(
                    satisfaction=satisfaction,
                    notes=("居民：" + notes.strip()) if notes.strip() else "居民在线评价",
                    reopen=reopen,
                ),
                resident_ctx(),
            )
        except DomainError as err:
            return html(page("我的订单", box("error", str(err), "error")), 409)
        flag = "reopened" if reopen else "rated"
        return RedirectResponse(f"{order_link(rid)}&done={flag}", status_code=303)

    @app.post("/o/{rid}/cancel", response_class=HTMLResponse)
    async def resident_cancel(request: Request, rid: str, sig: str = "") -> Response:
        found = await owned(request, rid, sig)
        if found is None:
            return not_found()
        _row, mine = found
        if not mine:
            return html(verify_form(rid, sig), 403)
        try:
            await commands.cancel(rid, Cancel(reason="居民取消"), resident_ctx())
        except DomainError as err:
            return html(page("我的订单", box("error", str(err), "error")), 409)
        return RedirectResponse(f"{order_link(rid)}&done=cancelled", status_code=303)

    @app.get("/me", response_class=HTMLResponse)
    async def my_orders(request: Request) -> Response:
        phone_hash = resident_hash(request)
        if phone_hash is None:
            return html(
                page("我的订单", box("notice", "请通过社区二维码或订单链接进入，并验证手机号。")),
                403,
            )
        async with reading(engine) as conn:
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
            f'<li><a href="{e(order_link(r.request_id))}">{e(ServiceType(r.service_type).zh)}</a>'
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

    # -- the worker (接单) ----------------------------------------------------------------
    def provider_ctx(provider_id: str) -> CommandContext:
        return CommandContext(actor=f"provider:{provider_id}", role="provider")

    @app.get("/w/{link}", response_class=HTMLResponse)
    async def worker_page(link: str, done: str = "", error: str = "") -> Response:
        me = signer.open(link)
        if me is None:
            return not_found()
        async with reading(engine) as conn:
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
            async with reading(engine) as conn:
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
            explained = await commands.explain(rid)
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
        me = signer.open(link)
        if me is None:
            return not_found()
        target = f"/h5/w/{quote(link)}"
        try:
            await run(me)
        except (DomainError, AuthError) as err:
            log.info("worker %s could not %s %s: %s", me, what, rid, err)
            code = getattr(err, "code", "conflict")
            return RedirectResponse(f"{target}?{urlencode({'error': code})}", 303)
        return RedirectResponse(f"{target}?done={what}", 303)

    async def holder_check(rid: str, me: str) -> None:
        async with reading(engine) as conn:
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
            lambda me: commands.accept(rid, Accept(provider_id=me), provider_ctx(me)),
        )

    @app.post("/w/{link}/{rid}/decline")
    async def worker_decline(
        link: str, rid: str, reason: str = Form("没空", max_length=200)
    ) -> Response:
        return await act(
            link,
            rid,
            "declined",
            lambda me: commands.decline(
                rid, Decline(provider_id=me, reason=reason or "没空"), provider_ctx(me)
            ),
        )

    @app.post("/w/{link}/{rid}/start")
    async def worker_start(link: str, rid: str) -> Response:
        async def run(me: str) -> None:
            await holder_check(rid, me)
            await commands.start(rid, StartDelivery(), provider_ctx(me))

        return await act(link, rid, "started", run)

    @app.post("/w/{link}/{rid}/finish")
    async def worker_finish(link: str, rid: str, hours: float = Form(..., gt=0, le=24)) -> Response:
        async def run(me: str) -> None:
            await holder_check(rid, me)
            await commands.finish(rid, FinishDelivery(hours=hours), provider_ctx(me))

        return await act(link, rid, "finished", run)

    @app.post("/w/{link}/{rid}/contact", response_class=HTMLResponse)
    async def worker_contact(link: str, rid: str) -> Response:
        me = signer.open(link)
        if me is None:
            return not_found()
        try:
            contact = await commands.view_contact(rid, me, provider_ctx(me))
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

    return app


def worker_link(signer: Signer, provider_id: str, days: int) -> str:
    return f"/h5/w/{quote(signer.seal(provider_id, days * 86400))}"


def community_link(signer: Signer, community: str) -> str:
    query = urlencode({"community": community, "sig": signer.sign("community", community)})
    return f"/h5/order?{query}"
