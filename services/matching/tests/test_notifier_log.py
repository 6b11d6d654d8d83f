"""No credential in the log (round 13). With no sender configured — the default — the
notifier wrote each message's text to the service's log: a resident's one-time code
(beside the masked phone) and a worker's offer with the link to their page, which opens
the held order's resident phone and address. Whoever could read the log (an operator,
a log shipper, a support ticket with a log attached) could order as the resident or act
as the worker. Now nothing is sent, and the log says what was not sent and how to
configure a sender, in both languages — never the text.

Real Redis and database; the log is what the service's loggers emit."""

from __future__ import annotations

import html
import logging
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from redis.asyncio import Redis

from shegong.kernel.testing import eventually
from shegong.matching.h5.notify import CODE_NOT_SENT

from .conftest import COMMUNITY, Matching
from .test_h5 import NUMBER, PHONE, community_link


async def _now(value: Any) -> Any:
    return value


async def ask_with_no_sender(m: Matching) -> dict[str, str]:
    """A resident asks for a code to order and reads that none was sent (round 16: the page
    said "验证码已发送至 138****2001"). The order form's fields."""
    query = parse_qs(urlparse(await community_link(m)).query)
    body = {
        "community": query["community"][0],
        "sig": query["sig"][0],
        "service_type": "meal_help",
        "target_group": "elderly",
        "phone": PHONE,
    }
    asked = await m.client.post("/h5/order/code", data=body)
    assert asked.status_code == 503 and "验证码已发送" not in asked.text, asked.text
    assert CODE_NOT_SENT in html.unescape(asked.text)
    return body


async def order_with_no_sender(m: Matching) -> str:
    """The resident's order placed by the community's staff (no code can reach the
    resident), after the resident asked for one; the order page's path and query, as
    the pages link it."""
    await ask_with_no_sender(m)
    order = await m.place(resident_phone=NUMBER, service_type="meal_help")
    rid = order["request"]["request_id"]
    return f"/h5/o/{rid}?{urlencode({'sig': m.app.state.signer.sign('order', rid)})}"


async def test_with_no_sender_no_code_is_issued(
    database_url: str, start_matching: Any, redis: Redis, stream_prefix: str
) -> None:
    """Round 17 (rounds 13–16's leftover): with no sender the code was still issued — in
    Redis, where a guess could confirm it (its tries), and in the notifier's memory, where
    it placed an order as the resident. Nobody can receive it, so none is issued: no code
    in Redis, none in memory, and no guess places the order."""
    m = await start_matching(database_url, matching_notifier="none")
    await m.ok("POST", "/providers", {"kind": "volunteer", "name": "甲", "region": COMMUNITY}, 201)
    body = await ask_with_no_sender(m)
    held = [k async for k in redis.scan_iter(match=f"{stream_prefix}h5:code:*")]
    assert held == [], held
    kept = [x for x in m.sms.sent if x.kind == "resident_code"]
    assert kept == [], kept
    placed = await m.client.post("/h5/order", data={**body, "code": "123456"})
    assert placed.status_code != 303, placed.text


async def test_with_no_sender_every_number_reads_that_no_code_was_sent(
    database_url: str, start_matching: Any
) -> None:
    """Following an order: the number that ordered and another get the same answer (it
    must not tell which number ordered), and neither is told a code was sent."""
    m = await start_matching(database_url, matching_notifier="none")
    volunteer = {"kind": "volunteer", "name": "甲", "region": COMMUNITY}
    await m.ok("POST", "/providers", volunteer, 201)  # the community's link is listed
    where = await order_with_no_sender(m)
    answers = []
    for number in (NUMBER, "13809312009"):
        asked = await m.client.post(where.replace("?", "/code?"), data={"phone": number})
        answers.append((asked.status_code, html.unescape(asked.text).count(CODE_NOT_SENT)))
        assert "验证码已发送" not in asked.text, asked.text
    assert answers == [(503, 1), (503, 1)], answers


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
    await order_with_no_sender(m)  # asks for a code, orders: an offer to ``vol``

    def offered() -> Any:
        return next((x for x in notifier.sent if x.to == f"provider:{vol}"), None)

    offer = await eventually(lambda: _now(offered()))
    worker_link = offer.text[offer.text.index("/h5/w/") :]
    logged = caplog.text
    assert "验证码是" not in logged, logged
    assert worker_link not in logged and "/h5/w/" not in logged, logged
    # What was not sent, to whom (masked, or the keyed reference), and how to send.
    assert "resident_code → 138****2001 not sent" in logged, logged
    assert f"offer_made → provider:{vol} not sent" in logged, logged
    assert "MATCHING_NOTIFIER=webhook" in logged and "未配置短信发送" in logged
