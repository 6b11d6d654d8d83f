"""What every mobile page shares: the services the pages act through, the resident's
confirmed-phone cookie, the one-time code sent to a phone, and the plain responses."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.kernel.data.identity import PersonalDataHasher
from shegong.kernel.data.identity import normalize_phone as _normalize_phone
from shegong.kernel.events.store import CommandContext
from shegong.matching.application.requests import MatchingCommands
from shegong.matching.h5.guard import CODE_TTL_S, RESIDENT, Codes, Limits, Signer
from shegong.matching.h5.html import box, page
from shegong.matching.h5.notify import CODE_NOT_SENT, Message, Notifier, UnsentNotifier
from shegong.matching.settings import MatchingSettings

log = logging.getLogger("shegong.matching.h5")
COOKIE = "sg_resident"


def resident_ctx() -> CommandContext:
    """A resident acting on their own order through these pages (no department)."""
    return CommandContext(actor="resident (h5)", role="resident")


def normalize_phone(raw: str) -> str:
    return _normalize_phone(raw, field="phone")


def html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status)


def refused_status(reason: str) -> int:
    """A code not sent for want of a sender is the service's lack (503), else a limit."""
    return 503 if reason == CODE_NOT_SENT else 429


def not_found() -> HTMLResponse:
    return html(page("链接无效", box("error", "链接无效或已过期，请重新扫码。")), 404)


@dataclass(frozen=True)
class H5:
    """The services the mobile pages act through."""

    commands: MatchingCommands
    engine: AsyncEngine
    limits: Limits
    codes: Codes
    signer: Signer
    hasher: PersonalDataHasher
    notifier: Notifier
    settings: MatchingSettings

    def resident_hash(self, request: Request) -> str | None:
        return self.signer.open(request.cookies.get(COOKIE), RESIDENT)

    def remember(self, response: Response, request: Request, phone_hash: str) -> None:
        response.set_cookie(
            COOKIE,
            self.signer.seal(phone_hash, 7 * 86400, RESIDENT),
            max_age=7 * 86400,
            path="/h5",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    async def send_code(self, request: Request, phone: str, deliver: bool = True) -> str | None:
        """Send a code to ``phone``; a reason in Chinese when refused — or when no sender
        is configured (``CODE_NOT_SENT``; the page said sent before, round 16), and then
        no code is issued at all (round 17). ``deliver=False`` counts the ask against the
        same limits and sends nothing: a number that may not have a code gets the answers
        the right one gets (their difference told which number placed an order)."""
        client = request.client.host if request.client else "-"
        phone_hash = self.hasher.phone(phone)
        if not await self.limits.hit(
            f"code-phone:{phone_hash}", self.settings.matching_h5_codes_per_phone, 600
        ):
            return "该手机号获取验证码太频繁，请10分钟后再试。"
        if not await self.limits.hit(
            f"code-phone-day:{phone_hash}", self.settings.matching_h5_codes_per_phone_day, 86400
        ):
            return (
                "该手机号今天的验证码次数已用完，请明天再试。"
                " / This number has had today's codes; try again tomorrow."
            )
        if not await self.limits.hit(
            f"code-ip:{client}", self.settings.matching_h5_codes_per_ip, 3600
        ):
            return "获取验证码太频繁，请稍后再试。"
        if isinstance(self.notifier, UnsentNotifier):
            # Nobody can receive a code: none is issued (round 17). One kept in Redis and
            # in the notifier's memory opened the order to a guess, and to nobody else.
            if deliver:
                self.notifier.withhold("resident_code", phone)
            return CODE_NOT_SENT
        if not deliver:  # the answer a sender gives the right number
            return None
        code = await self.codes.issue(phone_hash)
        text = (
            f"【社工服务】您的验证码是 {code}，{CODE_TTL_S // 60} 分钟内有效。如非本人操作请忽略。"
        )
        try:
            unsent = await self.notifier.send(Message(to=phone, text=text, kind="resident_code"))
        except Exception:  # a sender's failure is shown, not raised
            log.exception("could not send a one-time code")
            return "验证码发送失败，请稍后再试。"
        return CODE_NOT_SENT if unsent else None

    def order_link(self, rid: str) -> str:
        return f"/h5/o/{quote(rid)}?{urlencode({'sig': self.signer.sign('order', rid)})}"
