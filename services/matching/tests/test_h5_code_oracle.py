"""An order's link cannot be asked "is this the phone that placed it?" (round 6).

Whoever holds an order's link (forwarded, shoulder-surfed, left in a shared phone's
history) sees ``138****2001`` on its page and may ask for a code "to the phone that
placed it". A code went out — and was counted against the phone's and the address's
limits — only for the right number: after ``MATCHING_H5_CODES_PER_PHONE`` asks the right
number answered 429 ("该手机号获取验证码太频繁") and every wrong one 200, so the 10,000
numbers behind the mask gave the whole phone. Now a wrong number is counted as the
right one is: the answers are the same, only the right phone gets a code.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from .conftest import COMMUNITY
from .test_h5 import NUMBER, community_link, order_as_resident


async def test_the_right_phone_and_a_wrong_one_get_the_same_answers(
    database_url: str, start_matching: Any
) -> None:
    m = await start_matching(
        database_url, matching_h5_codes_per_phone=2, matching_h5_posts_per_min=1000
    )
    provider = {"kind": "volunteer", "name": "张志愿", "region": COMMUNITY}
    await m.ok("POST", "/providers", provider, 201)
    where = await order_as_resident(m, m.client)
    notifier = m.sms
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=m.app), base_url="http://m"
    ) as stranger:

        async def answers(phone: str) -> list[int]:
            return [
                (
                    await stranger.post(where.replace("?", "/code?"), data={"phone": phone})
                ).status_code
                for _ in range(4)
            ]

        # Another number behind the same mask, which asked for a code once too (to order
        # elsewhere), as the right one did when it ordered.
        other = "13809312009"
        link = await community_link(m)
        query = parse_qs(urlparse(link).query)
        body = {"community": query["community"][0], "sig": query["sig"][0], "phone": other}
        assert (await m.client.post("/h5/order/code", data=body)).status_code == 200

        def codes_to(number: str) -> int:  # the order's offer goes out meanwhile
            return sum(1 for x in list(notifier.sent) if x.to == number)

        before = codes_to(other)
        wrong = await answers(other)
        assert codes_to(other) == before  # nothing sent to a number that did not order
        right = await answers(NUMBER)
        assert wrong == right, (wrong, right)


async def test_a_phone_gets_a_days_codes_and_no_more(
    database_url: str, start_matching: Any
) -> None:
    """Round 12: a community's link is public (printed on its posters), and the limits were
    per 10 minutes (``MATCHING_H5_CODES_PER_PHONE``, 3) and per address: anyone could have
    one number sent 432 codes a day from 43 addresses (短信轰炸). A number gets
    ``MATCHING_H5_CODES_PER_PHONE_DAY`` (10) codes a day, whoever asks from where; another
    number is not held back by it."""
    m = await start_matching(
        database_url,
        matching_h5_codes_per_phone=1000,
        matching_h5_codes_per_ip=1000,
        matching_h5_posts_per_min=1000,
    )
    await m.ok(
        "POST", "/providers", {"kind": "volunteer", "name": "张志愿", "region": COMMUNITY}, 201
    )
    notifier = m.sms
    link = await community_link(m)
    query = parse_qs(urlparse(link).query)
    base = {"community": query["community"][0], "sig": query["sig"][0]}
    victim, other = "13809315501", "13809315502"
    before = len(notifier.sent)
    asks = [
        (await m.client.post("/h5/order/code", data={**base, "phone": victim})).status_code
        for _ in range(12)
    ]
    assert asks == [200] * 10 + [429] * 2, asks
    assert sum(1 for sent in list(notifier.sent)[before:] if sent.to == victim) == 10
    refused = await m.client.post("/h5/order/code", data={**base, "phone": victim})
    assert "明天再试" in refused.text and "tomorrow" in refused.text
    assert (await m.client.post("/h5/order/code", data={**base, "phone": other})).status_code == 200
