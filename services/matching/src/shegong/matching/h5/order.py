"""A resident places an order (居民点单): ``/h5/order?community=…&sig=…`` — the link a
community's QR code carries — chooses a service, describes the need, confirms their
phone with a one-time code and places the order."""

from __future__ import annotations

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from shegong.contracts.matching import ServiceType
from shegong.contracts.training import TargetGroup
from shegong.kernel.data.identity import PersonalDataError, mask_phone
from shegong.kernel.events.aggregate import DomainError
from shegong.kernel.ops.db import reading
from shegong.matching.adapters.tables import resident_data
from shegong.matching.domain.commands import PlaceRequest
from shegong.matching.h5.common import (
    H5,
    html,
    normalize_phone,
    not_found,
    refused_status,
    resident_ctx,
)
from shegong.matching.h5.html import box, card, e, hidden, options, page

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


def add_order_pages(app: FastAPI, h5: H5) -> None:
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
        if not community or not h5.signer.check(sig, "community", community):
            return not_found()
        return html(order_form(community, sig, {}, confirmed=h5.resident_hash(request) is not None))

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
        if not h5.signer.check(sig, "community", community):
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
        refused = await h5.send_code(request, number)
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
            refused_status(refused) if refused else 200,
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
        if not h5.signer.check(sig, "community", community):
            return not_found()
        confirmed = h5.resident_hash(request)
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
            phone_hash = h5.hasher.phone(number)
            if not code.strip():
                return again("请先获取并填写短信验证码。", sent=True)
            if not await h5.codes.confirm(phone_hash, code):
                return again("验证码不正确或已过期，请重新获取。", sent=True)
        else:
            number = await phone_of(confirmed)
            if number is None:  # the cookie names a phone no order holds yet: ask again
                confirmed = None
                return again("请验证手机号。")
        try:
            cmd.resident_phone = number
            placed = await h5.commands.place(cmd, resident_ctx())
        except (DomainError, ValueError) as err:
            return again(f"提交失败：{err}")
        rid = placed["request"]["request_id"]
        response = RedirectResponse(h5.order_link(rid), status_code=303)
        assert phone_hash is not None
        h5.remember(response, request, phone_hash)
        return response

    async def phone_of(phone_hash: str) -> str | None:
        """The number behind a confirmed phone's keyed hash: from the vault (an order the
        same phone placed before)."""
        async with reading(h5.engine) as conn:
            found = await conn.scalar(
                select(resident_data.c.phone)
                .where(
                    (resident_data.c.phone_hash == phone_hash) & resident_data.c.phone.is_not(None)
                )
                .limit(1)
            )
        return str(found) if found else None
