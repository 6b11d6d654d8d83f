"""A request the routes' models refuse answers with the field and the reason in English and
Chinese, and never sends the refused values back (probed: FastAPI's answer was English only
and echoed every value — a 1 MB name came back whole; a body missing one field came back
entire, its ID number and phone with it). Real components: the registry app, Redis, SQLite."""

from __future__ import annotations

from .conftest import Node, StartNode

ID_NUMBER = "621126197501180351"
PHONE = "13909310002"


async def test_a_refused_request_names_the_field_in_both_languages_and_echoes_nothing(
    sqlite_url: str, start_node: StartNode
) -> None:
    node: Node = await start_node(sqlite_url)
    cases = [
        ({"id_number": ID_NUMBER, "phone": PHONE}, "name", "必填"),
        ({"name": "张" * 100_000, "id_number": ID_NUMBER}, "name", "过长（最多 64 个字符）"),
        ({"name": "张三", "post": "社工大师", "phone": PHONE}, "post", "不在可选值中"),
        ({"name": "张三", "hired_on": "2024-02-30", "phone": PHONE}, "hired_on", "日期"),
    ]
    for body, field, zh in cases:
        r = await node.client.post("/workers", json={**body, "department": "mz"})
        assert r.status_code == 422, r.text
        assert len(r.content) < 4000, "the refused values are not sent back"
        assert ID_NUMBER not in r.text and PHONE not in r.text and "张张张" not in r.text
        error = r.json()["error"]
        assert error["code"] == "invalid" and error["field"] == field, error
        assert error["message"].startswith(f"{field}: ")
        assert error["message_zh"].startswith(f"{field}：") and zh in error["message_zh"], error
        # FastAPI's list stays for clients that read it: where and what, not the value.
        (first, *_) = r.json()["detail"]
        assert first["loc"][-1] == field and "input" not in first
    r = await node.client.get("/workers", params={"limit": "lots"})
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "limit" and "整数" in r.json()["error"]["message_zh"]
