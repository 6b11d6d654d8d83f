"""No credential in the log (round 13). With no sender configured — the default — the
notifier wrote each message's text to the service's log: a resident's one-time code
(beside the masked phone) and a worker's offer with the link to their page, which opens
the held order's resident phone and address. Whoever could read the log (an operator,
a log shipper, a support ticket with a log attached) could order as the resident or act
as the worker. Now nothing is sent, and the log says what was not sent and how to
configure a sender, in both languages — never the text.

Real Redis and database; the log is what the service's loggers emit."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from shegong.kernel.testing import eventually

from .conftest import COMMUNITY
from .test_h5 import code_sent_to, order_as_resident


async def _now(value: Any) -> Any:
    return value


async def test_neither_a_code_nor_a_workers_link_is_written_to_the_log(
    database_url: str, start_matching: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="shegong")
    m = await start_matching(database_url, matching_notify_tick_s=0.1, matching_notifier="none")
    notifier = m.sms  # what the service kept in memory and did not send
    vol = (
        await m.ok(
            "POST", "/providers", {"kind": "volunteer", "name": "甲", "region": COMMUNITY}, 201
        )
    )["provider_id"]
    await order_as_resident(m, m.client)  # asks for a code, orders: an offer to ``vol``
    code = code_sent_to(m)

    def offered() -> Any:
        return next((x for x in notifier.sent if x.to == f"provider:{vol}"), None)

    offer = await eventually(lambda: _now(offered()))
    worker_link = offer.text[offer.text.index("/h5/w/") :]
    logged = caplog.text
    assert f"验证码是 {code}" not in logged and not re.search(rf"\b{code}\b", logged), logged
    assert worker_link not in logged and "/h5/w/" not in logged, logged
    # What was not sent, to whom (masked, or the keyed reference), and how to send.
    assert "resident_code → 138****2001 not sent" in logged, logged
    assert f"offer_made → provider:{vol} not sent" in logged, logged
    assert "MATCHING_NOTIFIER=webhook" in logged and "未配置短信发送" in logged
