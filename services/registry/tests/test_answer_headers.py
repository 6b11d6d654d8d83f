"""An API answer is data: a browser that opens one neither sniffs it into a page nor runs,
loads or frames anything from it (probed: no ``X-Content-Type-Options`` nor policy on any
answer — a JSON body holds the names departments typed, ``<img src=x onerror=…>`` among
them). The interactive docs keep working. Real components: the registry app, Redis, SQLite."""

from __future__ import annotations

from .conftest import Node, StartNode

DATA_ONLY = "default-src 'none'; frame-ancestors 'none'"


async def test_every_api_answer_is_data_only_and_the_docs_still_load(
    sqlite_url: str, start_node: StartNode
) -> None:
    node: Node = await start_node(sqlite_url)
    r = await node.client.post(
        "/workers", json={"name": "<img src=x onerror=alert(1)>张三", "department": "mz"}
    )
    assert r.status_code == 201
    for path in ("/workers", "/census/export?format=csv", "/health", "/no-such-route"):
        answer = await node.client.get(path)
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["content-security-policy"] == DATA_ONLY, path
    assert r.headers["content-security-policy"] == DATA_ONLY
    docs = await node.client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    assert "content-security-policy" not in docs.headers
