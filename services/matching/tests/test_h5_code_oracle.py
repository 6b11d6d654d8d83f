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
    notifier = m.app.state.notifier
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
        before = len(notifier.sent)
        wrong = await answers(other)
        assert len(notifier.sent) == before  # nothing sent to a number that did not order
        right = await answers(NUMBER)
        assert wrong == right, (wrong, right)
