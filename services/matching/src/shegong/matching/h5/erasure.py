"""A resident's own erasure request on the mobile pages (删除我的信息): with the phone's
cookie (a confirmed one-time code), the resident asks and confirms; every order that
phone placed loses its contact data (``application/resident_privacy.py``), each recorded
as a ``ResidentContactPurged`` event, and the cookie is cleared. The cookie is
SameSite=Strict: another site cannot post this form as the resident."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.kernel.events.store import CommandContext, EventStore
from shegong.matching.application.resident_privacy import erase_resident
from shegong.matching.h5.common import COOKIE
from shegong.matching.h5.guard import RESIDENT, Signer
from shegong.matching.h5.html import box, card, page


def add_resident_erasure(
    app: FastAPI, store: EventStore, hasher: PersonalDataHasher, signer: Signer
) -> None:
    def unconfirmed() -> HTMLResponse:
        text = "请通过社区二维码或订单链接进入，并验证手机号后再申请删除。"
        return HTMLResponse(page("删除我的信息", box("notice", text)), status_code=403)

    @app.get("/me/erase", response_class=HTMLResponse)
    async def ask(request: Request) -> HTMLResponse:
        if signer.open(request.cookies.get(COOKIE), RESIDENT) is None:
            return unconfirmed()
        form = (
            "<p>删除后，您所有订单中的手机号、住址和需求描述将被永久删除，"
            "服务人员将无法再联系您；订单记录（服务类别、时间、评价）仍保留用于统计。</p>"
            '<form method="post" action="/h5/me/erase">'
            '<button type="submit" data-testid="erase">确认删除我的信息</button></form>'
        )
        return HTMLResponse(page("删除我的信息", card(form)))

    @app.post("/me/erase", response_class=HTMLResponse)
    async def erase(request: Request) -> HTMLResponse:
        phone_hash = signer.open(request.cookies.get(COOKIE), RESIDENT)
        if phone_hash is None:
            return unconfirmed()
        ctx = CommandContext(actor="resident (h5)", role="resident")
        done = await erase_resident(store, hasher, ctx, phone=None, phone_hash=phone_hash)
        text = f"已删除您 {len(done['orders'])} 个订单中的联系方式和需求描述。"
        response = HTMLResponse(page("删除我的信息", box("ok", text, "erased")))
        response.delete_cookie(COOKIE, path="/h5")
        return response
