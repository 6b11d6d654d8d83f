"""Sending a message to a person (one-time codes, a worker's offer), behind one interface.

``UnsentNotifier`` is the default (``MATCHING_NOTIFIER`` unset, ``none``, or ``log``):
it sends nothing. Each message's kind and masked recipient go into the log with how to
configure a sender, never its text — a one-time code and a worker's link (which opens
the worker's page and the held order's resident contact) are credentials, and whoever
can read a log could use them (round 13: the old log sender wrote both there). Its
``send`` answers why nothing was sent (``NOT_SENT``), so an order's notification is
recorded as not delivered (round 16). The last messages are kept in the process's memory
only, where a test reads the texts that were never sent. A resident's one-time code is
not even issued with it (round 17: ``H5.send_code`` asks ``withhold`` to log the ask).
``WebhookNotifier`` posts ``{"to": phone, "text": …, "kind": …}`` to a URL (an SMS
gateway's adapter, say): ``MATCHING_NOTIFIER=webhook``, ``MATCHING_NOTIFIER_URL``.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Protocol

import httpx

from shegong.kernel.data.identity import mask_phone

log = logging.getLogger("shegong.matching.notify")

HOW_TO_SEND = (
    "no message sender is configured: set MATCHING_NOTIFIER=webhook and "
    "MATCHING_NOTIFIER_URL to the SMS gateway's adapter / 未配置短信发送：请设置 "
    "MATCHING_NOTIFIER=webhook 与 MATCHING_NOTIFIER_URL（短信网关的接口地址）"
)
# What an unsent notification's event says (``NotificationSent.reason``).
NOT_SENT = "no notifier configured / 未配置短信发送"
# What a resident asking for a one-time code reads then (every number the same).
CODE_NOT_SENT = (
    "验证码未能发送：本系统未配置短信发送，请联系社区工作人员。"
    " / The code was not sent: no SMS sender is configured; ask your community's staff."
)


@dataclass(frozen=True)
class Message:
    # A normalised phone number (a resident's one-time code), or a keyed reference:
    # provider:<id>, region:<path> (application/notifications.py).
    to: str
    text: str
    kind: str  # resident_code, offer_made, order_escalated, follow_up_overdue


class Notifier(Protocol):
    async def send(self, message: Message) -> str | None:
        """Hand the message to a sender: None once one took it, else why nobody was told
        (a sender that fails raises)."""
        ...


class UnsentNotifier:
    """Sends nothing and logs no text: the kind, the masked recipient, how to send."""

    def __init__(self, keep: int = 200) -> None:
        self.sent: deque[Message] = deque(maxlen=keep)

    async def send(self, message: Message) -> str:
        self.sent.append(message)
        self.withhold(message.kind, message.to)
        return NOT_SENT

    def withhold(self, kind: str, to: str) -> None:
        """Log that a message of ``kind`` to ``to`` was not sent (masked, no text)."""
        shown = to if ":" in to else mask_phone(to)
        log.warning("%s → %s not sent (text withheld): %s", kind, shown, HOW_TO_SEND)

    def last_to(self, phone: str) -> Message | None:
        return next((m for m in reversed(self.sent) if m.to == phone), None)


class WebhookNotifier:
    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        self.url, self.timeout_s = url, timeout_s

    async def send(self, message: Message) -> None:
        async with httpx.AsyncClient(timeout=self.timeout_s) as http:
            resp = await http.post(
                self.url, json={"to": message.to, "text": message.text, "kind": message.kind}
            )
            resp.raise_for_status()
        return None


def notifier_for(kind: str, url: str | None) -> Notifier:
    if kind == "webhook":
        if not url:
            raise ValueError("MATCHING_NOTIFIER=webhook needs MATCHING_NOTIFIER_URL")
        return WebhookNotifier(url)
    log.warning("codes and offers will not be sent: %s", HOW_TO_SEND)
    return UnsentNotifier()
