"""Sending a message to a person (one-time codes today), behind one interface.

``LogNotifier`` is the embedded default: it writes the message to the log (a phone
masked) and keeps the last ones in memory, so a developer or a test can read the code
(or the offer a worker was sent).
``WebhookNotifier`` posts ``{"to": phone, "text": …, "kind": …}`` to a URL (an SMS
gateway's adapter, say). ``MATCHING_NOTIFIER=log|webhook``, ``MATCHING_NOTIFIER_URL``.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Protocol

import httpx

from shegong.kernel.data.identity import mask_phone

log = logging.getLogger("shegong.matching.notify")


@dataclass(frozen=True)
class Message:
    # A normalised phone number (a resident's one-time code), or a keyed reference:
    # provider:<id>, region:<path> (application/notifications.py).
    to: str
    text: str
    kind: str  # resident_code, offer_made, order_escalated, follow_up_overdue


class Notifier(Protocol):
    async def send(self, message: Message) -> None: ...


class LogNotifier:
    def __init__(self, keep: int = 200) -> None:
        self.sent: deque[Message] = deque(maxlen=keep)

    async def send(self, message: Message) -> None:
        self.sent.append(message)
        to = message.to if ":" in message.to else mask_phone(message.to)
        log.info("notify %s → %s: %s", message.kind, to, message.text)

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


def notifier_for(kind: str, url: str | None) -> Notifier:
    if kind == "webhook":
        if not url:
            raise ValueError("MATCHING_NOTIFIER=webhook needs MATCHING_NOTIFIER_URL")
        return WebhookNotifier(url)
    return LogNotifier()
