"""JSON bodies that the parser cannot finish, sent to a registry with keys on (round 6):
nested 200,000 deep, an integer of 5,000 digits. FastAPI answered 400 "There was an
error parsing the body", English only; now the platform's error in both languages, the
service unharmed and nothing stored."""

from __future__ import annotations

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
