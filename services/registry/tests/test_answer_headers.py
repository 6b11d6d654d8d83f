"""An API answer is data: a browser that opens one neither sniffs it into a page nor runs,
loads or frames anything from it (probed: no ``X-Content-Type-Options`` nor policy on any
answer — a JSON body holds the names departments typed, ``<img src=x onerror=…>`` among
them). The interactive docs keep working. Real components: the registry app, Redis, SQLite."""

from __future__ import annotations

import base64
import hashlib
import re

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
        assert answer.headers["cache-control"] == "no-store", path
    assert r.headers["content-security-policy"] == DATA_ONLY
    # Round 10: the whole ID number and phone went out with no Cache-Control at all.
    worker = r.json()["worker"]["worker_id"]
    full = await node.client.get(f"/workers/{worker}/personal-data")
    assert full.status_code == 200 and full.headers["cache-control"] == "no-store"
    docs = await node.client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text


async def test_the_docs_pages_cannot_be_framed_sniffed_or_made_to_run_other_scripts(
    sqlite_url: str, start_node: StartNode
) -> None:
    """Round 9: ``/docs`` and ``/redoc`` (FastAPI's pages, no key needed) were sent with no
    header at all — any site could frame Swagger UI over a clerk's key typed into
    "Authorize". Now each has a policy: the CDN's scripts and its own inline script by
    hash, calls to the service only, no framing, no ``<base>``; Swagger UI's OAuth2
    redirect page (no OAuth2 here) is not served."""
    node: Node = await start_node(sqlite_url)
    for path, marker in (("/docs", "SwaggerUIBundle"), ("/redoc", "<redoc spec-url")):
        page = await node.client.get(path, headers={"Authorization": ""})
        assert page.status_code == 200 and marker in page.text, path
        policy = page.headers["content-security-policy"]
        for part in ("frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'"):
            assert part in policy, (path, part)
        assert "script-src https://cdn.jsdelivr.net" in policy
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        for inline in re.findall(r"<script>(.*?)</script>", page.text, re.S):
            digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in policy, path
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
    redirect = await node.client.get("/docs/oauth2-redirect", headers={"Authorization": ""})
    assert redirect.status_code in (401, 404)
    assert "window.opener" not in redirect.text
