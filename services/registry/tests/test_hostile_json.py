"""JSON bodies that the parser cannot finish, sent to a registry with keys on (round 6):
nested 200,000 deep, an integer of 5,000 digits. FastAPI answered 400 "There was an
error parsing the body", English only; now the platform's error in both languages, the
service unharmed and nothing stored."""

from __future__ import annotations

import time

from shegong.kernel.testing import RoleKeys

from .conftest import Node, as_


async def test_unreadable_json_is_a_bilingual_400(node: Node, keys: RoleKeys) -> None:
    bodies = [
        b"[" * 200_000 + b"]" * 200_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b'{"name": ' + b"1" * 5_000 + b"}",
    ]
    before = await node.runtime.store.head()
    async with as_(node, keys.admin) as admin:
        for body in bodies:
            resp = await admin.post(
                "/workers", content=body, headers={"Content-Type": "application/json"}
            )
            assert resp.status_code == 400, resp.text[:300]
            error = resp.json()["error"]
            assert error["field"] == "body" and error["message"] and "JSON" in error["message_zh"]
        # other HTTP errors keep FastAPI's answers
        assert (await admin.get("/no-such-route")).status_code == 404
        assert (await admin.get("/health")).status_code == 200
    # nothing but the access log's records was written
    after = [e for e in await node.runtime.store.read_after(before, 100)]
    assert all(e.type in {"AccessRecorded", "ApiKeyIssued"} for e in after)


async def test_a_body_of_many_unknown_fields_is_answered_in_a_few_lines(
    node: Node, keys: RoleKeys
) -> None:
    """Round 12: a body of thousands of unknown fields was answered with each of them (one
    of 90,000 in 1 MiB: 7 MB). The answer lists the first problems and counts the rest, in
    both languages; a body of more values than a command holds is refused before the
    route's model reads it (the model's 90,000 errors were 1.8 s of the event loop on
    ``shegong up``; six such bodies at once held ``/health`` 4.8 s)."""
    json_type = {"Content-Type": "application/json"}
    fields = "{" + ",".join(f'"k{i}": 0' for i in range(9_000)) + "}"
    values = "{" + ",".join(f'"k{i}": 0' for i in range(80_000)) + "}"
    async with as_(node, keys.admin) as admin:
        resp = await admin.post("/workers", content=fields.encode(), headers=json_type)
        started = time.monotonic()
        refused = await admin.post("/workers", content=values.encode(), headers=json_type)
        took = time.monotonic() - started
    assert resp.status_code == 422, resp.text[:300]
    assert len(resp.content) < 8_000, f"{len(resp.content):,} bytes answered"
    answer = resp.json()
    assert answer["error"]["field"] == "name"
    assert "and 9000 more" in answer["error"]["message"]
    assert "另有 9000 处" in answer["error"]["message_zh"]
    assert answer["detail"][1] == {
        "type": "extra_forbidden",
        "loc": ["body", "k0"],
        "msg": "Extra inputs are not permitted",
    }
    assert refused.status_code == 422, refused.text[:300]
    error = refused.json()["error"]
    assert error["field"] == "body" and "more than 10,000 values" in error["message"]
    assert "超过 10,000 个取值" in error["message_zh"]
    assert "detail" not in refused.json()  # the model never saw it
    assert took < 0.5, f"{took:.2f} s"
