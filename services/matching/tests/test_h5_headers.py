"""The mobile pages keep their own policy (forms, inline styles) under the platform's
data-only policy for API answers (kernel ``edge.py``); the API answers get the latter.
Real components: the matching app, Redis, SQLite, over HTTP."""

from __future__ import annotations

from typing import Any

from .conftest import COMMUNITY
from .test_h5 import community_link


async def test_pages_keep_their_policy_and_answers_are_data_only(
    sqlite_url: str, start_matching: Any
) -> None:
    m = await start_matching(sqlite_url)
    await m.ok("POST", "/providers", {"kind": "volunteer", "name": "甲", "region": COMMUNITY}, 201)
    page = await m.client.get(await community_link(m))
    assert page.status_code == 200 and "<form" in page.text
    policy = page.headers["content-security-policy"]
    assert "form-action 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    answer = await m.client.get("/requests")
    assert answer.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert answer.headers["x-content-type-options"] == "nosniff"
