"""What a resident or a clerk types in free text never puts a whole phone or ID number on
the bus (issue 7: "no raw ID number or phone ever appears on a Redis stream").

Probed: an order's notes "请先打电话 138 1234 0000 或找女儿 13900001111，身份证6211…" went
whole into ``RequestPlaced`` on ``matching.events`` and to every department's ``/requests``;
a follow-up's notes and a cancel reason the same; so did a provider's name and
organisation and a programme's title (round 5). Now each keeps its first three digits
(``redact_numbers``, as import reports quote a cell); dates stay as written. Real
components: the matching app on SQLite and PostgreSQL, real Redis, HTTP; the stream read
as any Redis client reads it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

from redis.asyncio import Redis

from shegong.kernel.testing import eventually

from .conftest import COMMUNITY
from .test_h5 import PHONE, code_sent_to, community_link

NUMBERS = ("13812340000", "138 1234 0000", "13900001111", "621126197501180351")
NOTES = (
    "老人独居，请先打电话 138 1234 0000 或找女儿 13900001111，"
    "身份证621126197501180351，2025-03-01 上午"
)


async def test_numbers_typed_in_free_text_keep_three_digits(
    database_url: str, start_matching: Any, redis: Redis, stream_prefix: str
) -> None:
    m = await start_matching(database_url)
    await m.ok("POST", "/providers", {"kind": "volunteer", "name": "甲", "region": COMMUNITY}, 201)
    # A provider's name and organisation and a programme's title, typed by a clerk (round 5).
    provider = {"kind": "volunteer", "name": "乙 13900001111", "region": COMMUNITY,
                "organisation": "东关社区 621126197501180351"}  # fmt: skip
    await m.ok("POST", "/providers", provider, 201)
    programme = {"title": "八段锦 联系 138 1234 0000", "community": COMMUNITY,
                 "service_type": "health_management", "rrule": "FREQ=WEEKLY;BYDAY=SA",
                 "starts_on": "2025-03-01"}  # fmt: skip
    await m.ok("POST", "/programmes", programme, 201)
    placed = await m.place(notes=NOTES, resident_phone="13812340000")
    rid = placed["request"]["request_id"]
    assert (
        placed["request"]["notes"]
        == "老人独居，请先打电话 138*** 或找女儿 139***，身份证621***，2025-03-01 上午"
    )
    r = await m.client.post(f"/requests/{rid}/cancel", json={"reason": "家属 13900001111 来电取消"})
    assert r.status_code == 200, r.text
    # The mobile page's order: the same rule.
    q = parse_qs(urlparse(await community_link(m)).query)
    body = {"community": q["community"][0], "sig": q["sig"][0], "phone": PHONE}
    body |= {"service_type": "探访", "target_group": "elderly", "notes": NOTES}
    assert (await m.client.post("/h5/order/code", data=body)).status_code == 200
    sent = await m.client.post("/h5/order", data={**body, "code": code_sent_to(m)})
    assert sent.status_code == 303, sent.text

    async def on_the_bus() -> str | None:
        entries = await redis.xrange(f"{stream_prefix}matching.events")
        text = "\n".join(
            v.decode() if isinstance(v, bytes) else str(v)
            for _, fields in entries
            for v in fields.values()
        )
        return text if text.count("RequestPlaced") >= 2 else None

    stream = await eventually(on_the_bus)
    listed = (await m.client.get("/requests")).text
    listed += (await m.client.get("/providers")).text + (await m.client.get("/programmes")).text
    for number in NUMBERS:
        assert number not in stream, number
        assert number not in listed, number
    assert "621***" in stream and "2025-03-01" in stream


async def test_a_providers_skills_keep_three_digits(sqlite_url: str, start_matching: Any) -> None:
    """Round 8: a provider's ``skills`` were plain strings: "联系人13909310002" went onto
    ``matching.events`` whole (registering, and changing availability)."""
    m = await start_matching(sqlite_url)
    body = {"kind": "volunteer", "name": "技能", "region": COMMUNITY}
    made = await m.ok("POST", "/providers", {**body, "skills": ["联系人13909310002"]}, 201)
    assert made["skills"] == ["联系人139***"]
    pid = made["provider_id"]
    await m.ok("PUT", f"/providers/{pid}/availability", {"skills": ["621126197501180351"]})
    long = await m.client.post("/providers", json={**body, "skills": ["个" * 65]})
    assert long.status_code == 422 and long.json()["error"]["field"].startswith("skills")
    stored = [e.model_dump_json() for e in await m.app.state.runtime.store.read_after(0, 10_000)]
    assert not any("13909310002" in e or "621126197501180351" in e for e in stored)


async def test_a_participants_name_and_a_providers_region_keep_three_digits(
    sqlite_url: str, start_matching: Any
) -> None:
    """Round 8: a check-in's participant ("张阿姨13909310002") and a provider's region went
    onto ``matching.events`` whole."""
    m = await start_matching(sqlite_url)
    body = {"kind": "volunteer", "name": "区域", "region": "安定区/621126197501180351"}
    made = await m.ok("POST", "/providers", body, 201)
    assert made["region"] == "安定区/621***"
    today = datetime.now(UTC).date()
    programme = {
        "title": "助餐点",
        "community": COMMUNITY,
        "service_type": "meal_help",
        "rrule": "FREQ=DAILY",
        "starts_on": str(today),
    }
    pid = (await m.ok("POST", "/programmes", programme, 201))["programme_id"]
    check_in = {"occurrence": str(today), "participant": "张阿姨13909310002"}
    await m.ok("POST", f"/programmes/{pid}/check-ins", check_in)
    stored = [e.model_dump_json() for e in await m.app.state.runtime.store.read_after(0, 10_000)]
    assert not any("13909310002" in e or "621126197501180351" in e for e in stored)
    assert any("张阿姨139***" in e for e in stored)
