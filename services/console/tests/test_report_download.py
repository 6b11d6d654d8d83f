"""年度报告 from the dashboard: the download asks the services' indicator APIs with the
user's key and answers a DOCX / XLSX whose figures are theirs; "what changed since
publication" takes a published report's file and shows the figures later events moved.
Services answered in-process (httpx.MockTransport) from a generated city's answers."""

from __future__ import annotations

import copy
import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from docx import Document
from openpyxl import load_workbook

from shegong.console.main import build
from shegong.console.settings import ConsoleSettings
from shegong.console.testing import csrf_aware
from shegong.report import publish

pytestmark = pytest.mark.slow

KEY = "k-good-0001"
FIGURES = json.loads((Path(__file__).parents[3] / "shared/report/tests/figures.json").read_text())
PATHS = {
    "registry": "/indicators/workforce",
    "training": "/indicators/training",
    "matching": "/indicators/services",
}
FAMILY = {"registry": "workforce", "training": "training", "matching": "services"}


def city(figures: dict[str, Any], events: list[dict[str, Any]], seen: list[httpx.Request]) -> Any:
    units = {u["code"]: u for u in figures["units"]}

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        host, path, q = request.url.host, request.url.path, request.url.params
        if request.headers.get("Authorization") != f"Bearer {KEY}":
            return httpx.Response(401, json={"error": {"message": "a valid key is required"}})
        if path == "/whoami":
            return httpx.Response(200, json={"name": "admin", "role": "admin", "writes": "all"})
        if path == "/regions":
            return httpx.Response(
                200,
                json=[
                    {"code": u["code"], "name": u["name"], "parent": None, "level": "county"}
                    for u in figures["units"]
                ],
            )
        if path == PATHS.get(host):
            unit = units[q["region"]] if q.get("region") else figures
            return httpx.Response(200, json=unit[FAMILY[host]])
        if path == "/events":
            mine = [e for e in events if e["service"] == host]
            head = max([e["sequence"] for e in mine], default=int(q["after"]))
            return httpx.Response(
                200,
                json={
                    "source": "/shegong/registry/city" if host == "registry" else host,
                    "events": [e for e in mine if e["sequence"] > int(q["after"])],
                    "next_after": head,
                    "head": head,
                },
            )
        return httpx.Response(404, json={"detail": "Not Found"})

    return answer


async def console(answer: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings = ConsoleSettings(
        registry_url="http://registry",
        matching_url="http://matching",
        training_url="http://training",
        session_secret="s" * 32,
    )
    app = build(settings, transport=httpx.MockTransport(answer))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as client,
    ):
        await csrf_aware(client).post("/login", data={"api_key": KEY})
        yield client


async def test_download_the_annual_report_with_the_users_key() -> None:
    seen: list[httpx.Request] = []
    async for client in console(city(FIGURES, [], seen)):
        page = await client.get("/dashboard", params={"year": FIGURES["year"]})
        assert 'data-testid="download-docx"' in page.text
        seen.clear()
        resp = await client.get("/dashboard/report", params={"year": FIGURES["year"]})
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.wordprocessingml"
        )
        assert "attachment" in resp.headers["content-disposition"]
        text = "\n".join(p.text for p in Document(io.BytesIO(resp.content)).paragraphs)
        w = FIGURES["workforce"]
        assert f"全市社会工作专业人员总量达 {w['professionals']} 人" in text
        asked = [r for r in seen if r.url.path == "/indicators/workforce"]
        assert asked and all(r.url.params["as_of"] == f"{FIGURES['year']}-12-31" for r in asked)
        xlsx = await client.get(
            "/dashboard/report", params={"year": FIGURES["year"], "format": "xlsx"}
        )
        book = load_workbook(io.BytesIO(xlsx.content))
        assert book["表1 专业人员总体情况"]["B4"].value == w["professionals"]
        mid = await client.get(
            "/dashboard/report",
            params={"year": FIGURES["year"], "as_of": f"{FIGURES['year']}-06-30"},
        )
        assert mid.status_code == 200
        assert seen[-1].url.params["as_of"] == f"{FIGURES['year']}-06-30"
        wrong = await client.get("/dashboard/report", params={"year": 2020, "as_of": "2021-01-01"})
        assert wrong.status_code == 422


async def test_what_changed_since_publication(tmp_path: Path) -> None:
    record = publish.publish(FIGURES, "市委社会工作部", tmp_path / "p.json")
    later = copy.deepcopy(FIGURES)
    later["workforce"]["professionals"] += 1
    position = FIGURES["positions"]["registry"]["/shegong/registry/city"]
    events = [
        {
            "service": "registry",
            "sequence": position + 1,
            "type": "WorkerRegistered",
            "subject": "w-1",
            "time": "2026-12-01T10:00:00Z",
            "department": "civil-affairs",
        },
        {
            "service": "registry",
            "sequence": position + 2,
            "type": "PersonalDataViewed",
            "subject": "w-1",
            "time": "2026-12-01T10:01:00Z",
        },
    ]
    async for client in console(city(later, events, [])):
        upload = {"file": ("p.json", (tmp_path / "p.json").read_bytes(), "application/json")}
        page = await client.post("/dashboard/report/changes", files=upload)
        assert page.status_code == 200, page.text
        assert 'data-figure="workforce.professionals"' in page.text
        assert "WorkerRegistered" in page.text and "PersonalDataViewed" not in page.text
        assert record["published"]["at"] in page.text
        bad = await client.post(
            "/dashboard/report/changes", files={"file": ("x.json", b"{}", "application/json")}
        )
        assert "不是已发布的报告文件" in bad.text
        # Files of another shape (redteam round 3: each was a 500).
        deep = b"[" * 100_000 + b"]" * 100_000
        wrong_shape = json.dumps({**record, "figures": [1]}).encode()
        kind_only = json.dumps({"kind": publish.KIND, "figures": None}).encode()
        for crafted in (deep, wrong_shape, kind_only):
            page = await client.post(
                "/dashboard/report/changes", files={"file": ("x.json", crafted, "application/json")}
            )
            assert page.status_code == 200 and "不是已发布的报告文件" in page.text, page.status_code
    async for client in console(city(FIGURES, [], [])):
        upload = {"file": ("p.json", (tmp_path / "p.json").read_bytes(), "application/json")}
        page = await client.post("/dashboard/report/changes", files=upload)
        assert 'data-testid="nothing-changed"' in page.text


async def test_a_refused_download_is_plain_text_in_both_languages() -> None:
    """Round 9: a wrong format or region answered with no Content-Type at all, quoting
    what was asked (``format=<script>…``) — left to the browser to read. Now it is plain
    text, in English and Chinese."""
    async for client in console(city(FIGURES, [], [])):
        year = FIGURES["year"]
        for params in (
            {"year": year, "format": "<script>alert(1)</script>"},
            {"year": year, "region": "<img src=x onerror=alert(1)>"},
            {"year": year, "as_of": f"{year + 1}-01-01"},
        ):
            resp = await client.get("/dashboard/report", params=params)
            assert resp.status_code == 422, resp.text
            assert resp.headers["content-type"].startswith("text/plain"), params
            assert "<script>" not in resp.text
            assert re.search("[\u4e00-\u9fff]", resp.text) and re.search("[a-z]{3} ", resp.text)
