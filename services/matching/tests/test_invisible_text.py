"""A provider, a programme or an order's text that shows nothing (round 10).

Probed on ``shegong up`` with a department key: providers named U+200B, U+2800, U+3164
U+3164 and U+00AD were registered (201) and stood blank among an order's ranked
candidates — on every department's 派单 list — and ``社区非洲鼓队`` + U+200B beside the real
社区非洲鼓队; an order's window took 0001-01-01 … 9999-12-31. Now typed text
(``FreeText``) drops invisible characters and a value with nothing left to see is a 422
naming the field in both languages; a command's days are 1900–2100.

Real components: the matching app on SQLite and PostgreSQL, real Redis, HTTP.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import COMMUNITY


@pytest.mark.parametrize("name", ["\u200b", "\u2800", "\u3164\u3164", "\u00ad", "\u0301"])
async def test_a_provider_named_with_nothing_to_see_is_refused(
    database_url: str, start_matching: Any, name: str
) -> None:
    m = await start_matching(database_url)
    before = await m.app.state.runtime.store.head()
    r = await m.client.post(
        "/providers", json={"kind": "volunteer_team", "name": name, "region": COMMUNITY}
    )
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["field"] == "name" and "可显示" in error["message_zh"]
    assert await m.app.state.runtime.store.head() == before, "nothing stored"


async def test_a_look_alike_provider_is_stored_as_the_name_it_shows(
    database_url: str, start_matching: Any
) -> None:
    m = await start_matching(database_url)
    body = {"kind": "volunteer_team", "name": "社区非洲鼓队\u200b", "region": COMMUNITY}
    made = await m.ok("POST", "/providers", body, 201)
    assert made["name"] == "社区非洲鼓队"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"window_start": "0001-01-01T00:00:00"}, "window_start"),
        ({"window_end": "9999-12-31T23:59:59"}, "window_end"),
    ],
)
async def test_an_orders_window_is_a_time_people_live_in(
    database_url: str, start_matching: Any, extra: dict[str, str], field: str
) -> None:
    m = await start_matching(database_url)
    order = {"community": COMMUNITY, "target_group": "一老", "service_type": "助餐", **extra}
    r = await m.client.post("/requests", json=order)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field
    assert "2100-12-31" in r.json()["error"]["message_zh"]
