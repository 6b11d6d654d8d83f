"""The annual report from a generated city, end to end: registry (PostgreSQL), training and
matching (SQLite) in-process over real Redis; the city goes in over HTTP (rosters of 18
departments, a training year, residents' orders); the report asks the same HTTP APIs; the
document is read back with python-docx and every figure in its sentences is the API's.
Then figures as of a day, a region's report, the province's XLSX, and publishing: a
correction afterwards leaves the published report byte for byte as it was, and "what
changed since publication" names the figures it moved and the events that moved them."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from docx import Document
from fastapi import FastAPI
from openpyxl import load_workbook
from redis.asyncio import Redis

from shegong.kernel.events.feed import HttpFeed
from shegong.kernel.ops.settings import ServiceSettings
from shegong.matching.main import build as build_matching
from shegong.matching.settings import MatchingSettings
from shegong.registry.main import build as build_registry
from shegong.report import publish
from shegong.report.document import build_docx
from shegong.report.figures import collect
from shegong.report.tables import TEMPLATE, build_xlsx
from shegong.testkit.democity import populate, settle
from shegong.training.main import TrainingSettings
from shegong.training.main import build as build_training

YEAR = date.today().year  # orders are stamped when placed: the services' year is this one


@contextlib.asynccontextmanager
async def platform(
    postgres_url: str, redis_url: str, stream_prefix: str, tmp_path: Path
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    common: dict[str, Any] = {
        "redis_url": redis_url,
        "stream_prefix": stream_prefix,
        "pii_hash_key": "k" * 32,
        "catch_up_s": 0,
        "claim_idle_ms": 500,
    }
    apps: dict[str, FastAPI] = {
        "registry": build_registry(
            ServiceSettings(
                database_url=postgres_url,
                data_dir=str(tmp_path / "r"),
                consumer_name="r-e2e",
                **common,
            )
        ),
        "training": build_training(
            TrainingSettings(
                database_url=f"sqlite:///{tmp_path}/training.db",
                data_dir=str(tmp_path / "t"),
                consumer_name="t-e2e",
                **common,
            )
        ),
        "matching": build_matching(
            MatchingSettings(
                database_url=f"sqlite:///{tmp_path}/matching.db",
                data_dir=str(tmp_path / "m"),
                consumer_name="m-e2e",
                **common,
            )
        ),
    }
    async with contextlib.AsyncExitStack() as stack:
        clients = {}
        for name, app in apps.items():
            await stack.enter_async_context(
                LifespanManager(app, startup_timeout=60, shutdown_timeout=60)
            )
            clients[name] = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url=f"http://{name}", timeout=120
                )
            )
        for name, app in apps.items():  # each fills gaps from the others' pull feeds
            for other, other_app in apps.items():
                if other != name:
                    app.state.runtime.feeds.add(
                        other_app.state.runtime.source,
                        HttpFeed(f"http://{other}", client=clients[other]),
                    )
        yield clients


def _get(clients: dict[str, httpx.AsyncClient]) -> Any:
    async def get(service: str, path: str, params: dict[str, Any]) -> Any:
        resp = await clients[service].get(
            path, params={k: v for k, v in params.items() if v is not None}
        )
        assert resp.status_code == 200, resp.text
        return resp.json()

    return get


def _text(docx: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(docx)).paragraphs)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


async def test_annual_report_from_a_generated_city(
    postgres_url: str, redis: Redis, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    async with platform(postgres_url, redis_url, stream_prefix, tmp_path) as c:
        await populate(c["registry"], c["training"], c["matching"], YEAR, persons=260)
        # The API's figures and the report's are compared: read them once the census has
        # caught up with the rosters (else the two reads can see two censuses).
        await settle(c["registry"])
        get = _get(c)
        api = {
            "workforce": await get("registry", "/indicators/workforce", {"year": YEAR}),
            "training": await get("training", "/indicators/training", {"year": YEAR}),
            "services": await get("matching", "/indicators/services", {"year": YEAR}),
        }
        w, t, s = api["workforce"], api["training"], api["services"]
        assert w["professionals"] > 50 and w["professionals_prev"] > 0
        assert t["sessions"] == 17 and t["person_times"] > 100 and s["requests"] > 20

        figures = await collect(get, YEAR)
        text = _text(build_docx(figures))
        if out := os.environ.get("REPORT_SAMPLE_DIR"):  # to look at it
            Path(out, "report.docx").write_bytes(build_docx(figures))
            Path(out, "figures.json").write_text(json.dumps(figures, ensure_ascii=False))
        # The seed report's sentences, with this city's numbers — each the API's.
        growth = "增长" if w["professionals_yoy"] >= 0 else "下降"
        assert (
            f"截至{YEAR}年年底，全市社会工作专业人员总量达 {w['professionals']} 人，其中持证专业"
            f"人员达 {w['certified']} 人，同比分别{growth} {_pct(abs(w['professionals_yoy']))}"
        ) in text
        assert (
            f"{YEAR}年新增社会工作专业人员 {w['new_professionals']} 名，考取社会工作职业资格证书 "
            f"{w['newly_certified']} 人、持证专业人员转化率达 {_pct(w['conversion_rate'])}。"
        ) in text
        assert f"{YEAR}年新配备社区工作者 {w['new_community_workers']} 人" in text
        assert f"高级社会工作师 {w['senior']} 人" in text
        assert f"由 {w['expert_pool']} 名取得社会工作师以上资格人员组成" in text
        assert f"全市 {w['certified_in_community']} 名社区持证社工" in text
        assert (
            f"{YEAR} 年累计开展各类专题培训 {t['sessions']} 期，覆盖 {t['person_times']} 人次"
            f"（{t['trainees']} 人）"
        ) in text
        assert f"累计受理居民点单 {s['requests']} 件" in text
        assert f"接单 {s['accepted']} 件，接单率 {_pct(s['acceptance_rate'])}" in text
        assert f"志愿服务时长 {s['hours']['volunteer']:g} 小时" in text
        progs = s["programme_attendance"]
        assert progs["programmes"] == 2 and progs["check_ins"] > 0
        assert (
            f"{progs['programmes']} 个常态化项目开展活动 {progs['occurrences']} 次，"
            f"打卡 {progs['check_ins']} 人次"
        ) in text
        # Every number in the workforce sentences is one the API gave.
        given = (
            {str(v) for v in w.values() if isinstance(v, int)}
            | {str(v) for v in w["by_level"].values()}
            | {"18"}
        )  # and the standard: 每万城镇常住人口 18 人
        first = text.split("一、社会工作专业人员队伍建设")[1].split("二、")[0]
        for n in re.findall(r" (\d+) (?:人|名)", first):
            assert n in given, n

        # As of a day of the year, through the same APIs.
        mid = date(YEAR, 6, 30)
        w_mid = await get("registry", "/indicators/workforce", {"year": YEAR, "as_of": mid})
        t_mid = await get("training", "/indicators/training", {"year": YEAR, "as_of": mid})
        mid_text = _text(build_docx(await collect(get, YEAR, as_of=mid)))
        assert (
            f"截至{YEAR}年6月30日，全市社会工作专业人员总量达 {w_mid['professionals']} 人"
            in mid_text
        )
        assert f"累计开展各类专题培训 {t_mid['sessions']} 期" in mid_text
        assert t_mid["sessions"] < t["sessions"]

        # A county's report.
        w_ad = await get("registry", "/indicators/workforce", {"year": YEAR, "region": "安定区"})
        ad = await collect(get, YEAR, region="安定区")
        assert f"安定区社会工作专业人员总量达 {w_ad['professionals']} 人" in _text(build_docx(ad))

        # The province's tables: one sheet per table, the template's columns, the API's figures.
        book = load_workbook(io.BytesIO(build_xlsx(figures)))
        assert book.sheetnames == [*TEMPLATE, "表6 培训分类", "说明"]
        sheet = book["表1 专业人员总体情况"]
        assert [c.value for c in sheet[3]] == [
            "区划",
            *(h for h, _, _ in TEMPLATE["表1 专业人员总体情况"][1]),
        ]
        assert sheet["A4"].value == "全市（合计）" and sheet["B4"].value == w["professionals"]
        assert book["表4 培训情况"]["C4"].value == t["person_times"]
        counties = {row[0].value: row[1].value for row in sheet.iter_rows(min_row=5)}
        assert counties["安定区"] == w_ad["professionals"]

        # Publishing freezes it; a correction afterwards moves the live figures only.
        record = publish.publish(figures, "市委社会工作部", tmp_path / "published.json")
        published_docx = publish.render(record, "docx")
        assert "发布并冻结" in _text(published_docx)
        roster = (
            "记录编号,姓名,身份证号,工作单位,单位类型,岗位类别,所属区县,入职日期\n"
            f"LATE-1,迟报员,,安定区晚报社工中心,社会工作服务机构,社会工作岗位,安定区,{YEAR}-02-01\n"
        )
        resp = await c["registry"].post(
            "/imports/roster",
            data={"department": "civil-affairs"},
            files={"file": ("late.csv", roster.encode())},
        )
        assert resp.status_code == 200, resp.text
        await settle(c["registry"])
        assert publish.render(publish.load(tmp_path / "published.json"), "docx") == published_docx
        found = await publish.changes(get, record)
        moved = {m["figure"]: m for m in found["changed"]}
        prof = moved["workforce.professionals"]
        assert (prof["published"], prof["now"]) == (w["professionals"], w["professionals"] + 1)
        assert any(e["type"] == "WorkerRegistered" for e in prof["events"])
        assert "training.sessions" not in moved
        assert found["positions_now"]["registry"] != record["positions"]["registry"]
