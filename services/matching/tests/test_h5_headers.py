"""The mobile pages keep their own policy (forms, inline styles) under the platform's
data-only policy for API answers (kernel ``edge.py``); the API answers get the latter.
Real components: the matching app, Redis, SQLite, over HTTP."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

from .conftest import COMMUNITY
from .test_h5 import community_link

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


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


async def test_a_refusal_of_the_framework_is_a_page_in_both_languages(
    sqlite_url: str, start_matching: Any
) -> None:
    """Round 9: an unknown page, a wrong method, a form of 2,000 fields and a field over
    its length were FastAPI's English JSON on the residents' phones (``{"detail": "Not
    Found"}``, "Too many fields. Maximum number of fields is 1000.", a validation list
    echoing the value typed). Now each is the pages' own page, Chinese and English, with
    the pages' headers, quoting nothing sent."""
    m = await start_matching(sqlite_url)
    await m.ok("POST", "/providers", {"kind": "volunteer", "name": "甲", "region": COMMUNITY}, 201)
    link = await community_link(m)
    query = parse_qs(urlparse(link).query)
    own = {"Origin": str(m.client.base_url).rstrip("/")}
    typed = "13909310002" * 10  # a phone typed over the field's 40 characters
    tried = {
        404: await m.client.get("/h5/no-such-page"),
        405: await m.client.put("/h5/me"),
        400: await m.client.post("/h5/order/code", content="a=1&" * 2000, headers=own | FORM),
    }
    tried[422] = await m.client.post(
        "/h5/order/code",
        data={"community": query["community"][0], "sig": query["sig"][0], "phone": typed},
        headers=own,
    )
    # A form of text fields (no file) is not an upload: a multipart body over 1 MiB is
    # refused before it is parsed, as any other body (it was allowed 64 MiB, spooled).
    big = b"--x\r\n" + b"a" * (2 * 1024 * 1024)
    multipart = {"Content-Type": "multipart/form-data; boundary=x"}
    refused = await m.client.post("/h5/order/code", content=big, headers=own | multipart)
    assert refused.status_code == 413, refused.text[:200]
    # A trailing slash was a 307 to the request's own Host (a redirect anywhere).
    tried[404] = await m.client.get("/h5/me/", headers={"Host": "evil.example"})
    assert "location" not in tried[404].headers
    for status, answer in tried.items():
        assert answer.status_code in (status, 400), (status, answer.text[:200])
        assert answer.headers["content-type"].startswith("text/html"), status
        assert "detail" not in answer.text and typed not in answer.text, status
        assert re.search("[\u4e00-\u9fff]", answer.text) and re.search("[A-Za-z]{4} ", answer.text)
        assert answer.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
