"""A NUL or a text-direction override in what a resident types on the mobile pages, or in
an order placed over the API, is refused naming the field (kernel ``text_guard.py``).

Before: the H5 order form with ``notes=…%00…`` placed the order (303) and the API took
``"notes": "…\\u0000…"`` (201) — on PostgreSQL the read models could not store the NUL, so
the order was never on the board nor in any list, though the resident was told it was
placed. Real components: the matching app on SQLite and PostgreSQL, real Redis, HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from .conftest import COMMUNITY
from .test_h5 import PHONE, code_sent_to, community_link


async def test_a_control_character_in_an_order_is_refused_naming_the_field(
    database_url: str, start_matching: Any
) -> None:
    m = await start_matching(database_url)
    await m.ok("POST", "/providers", {"kind": "volunteer", "name": "甲", "region": COMMUNITY}, 201)
    before = await m.app.state.runtime.store.head()
    q = parse_qs(urlparse(await community_link(m)).query)
    body = {"community": q["community"][0], "sig": q["sig"][0], "phone": PHONE}
    body |= {"service_type": "探访", "target_group": "elderly"}
    assert (await m.client.post("/h5/order/code", data=body)).status_code == 200
    code = code_sent_to(m)
    for notes, char in (("独居老人\x00送餐", "U+0000"), ("送餐\u202e到家", "U+202E")):
        r = await m.client.post("/h5/order", data={**body, "notes": notes, "code": code})
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert (
            error["field"] == "notes" and char in error["message"] and char in error["message_zh"]
        )
    api = {"community": COMMUNITY, "target_group": "elderly", "service_type": "meal_help"}
    r = await m.client.post("/requests", json={**api, "notes": "中午\u0000送餐"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "notes", r.text
    assert await m.app.state.runtime.store.head() == before, "nothing stored"
    # The same form without it is placed, and the code was not spent by the refusals.
    placed = await m.client.post("/h5/order", data={**body, "notes": "独居老人送餐", "code": code})
    assert placed.status_code == 303, placed.text
