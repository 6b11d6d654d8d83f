"""An upload in the console runs as an import job: a live bar (rows read of rows total,
rejected, linked, events written), polled until the service's row-by-row report replaces
it — in a real headless Chromium against the platform as ``shegong up`` runs it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from shegong.platform.launcher import Platform

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ROWS = 3000


def resident_id(n: int) -> str:
    body = f"621102{date(1950, 1, 1) + timedelta(days=n):%Y%m%d}{n % 1000:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def roster(rows: int) -> bytes:
    lines = ["记录编号,姓名,身份证号,岗位类别,入职日期"]
    for n in range(rows):
        lines.append(f"B-{n:06d},李工{n},{resident_id(n)},社会工作岗位,2023-01-01")
    lines.append("B-bad,,,社工大师,2024-02-30")  # one row refused, named in the report
    lines.append(f"合计,{rows}人,,,")  # the form's total: a line skipped, not a row refused
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


@pytest.fixture
def page(browser: Any, platform: Platform) -> Iterator[Any]:
    key_file = platform.data_dir / "admin.key"
    key = key_file.read_text().strip() if key_file.exists() else ""
    context = browser.new_context(base_url=platform.service("console").url, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.goto("/login")
    pg.fill("[data-testid=api-key]", key)
    pg.click("[data-testid=login]")
    pg.wait_for_url("**/dashboard")
    try:
        yield pg
    finally:
        context.close()


def test_a_roster_upload_shows_a_live_bar_then_the_report(
    page: Any, platform: Platform, tmp_path: Path
) -> None:
    seen: list[str] = []
    page.on(
        "response",
        lambda r: seen.append(r.url) if "/imports/registry/" in r.url else None,
    )
    file = tmp_path / "大花名册.csv"
    file.write_bytes(roster(ROWS))
    page.goto("/census")
    page.fill("[data-testid=roster-department]", "big-dept")
    page.set_input_files("[data-testid=roster-file]", str(file))
    page.click("[data-testid=roster-submit]")

    bar = page.locator("[data-testid=import-job] [data-testid=import-progress]")
    bar.wait_for()  # the job answered at once: its bar, before any report
    assert page.locator("[data-testid=import-report]").count() == 0
    report = page.locator("[data-testid=import-report]")
    report.wait_for(timeout=300_000)  # the bar polled until the report replaced it
    assert page.locator("[data-testid=import-job]").count() == 0
    assert seen, "the bar asked the console for the job"
    assert page.locator("[data-testid=rows-read]").inner_text() == str(ROWS + 2)
    assert page.locator("[data-testid=rows-new]").inner_text() == str(ROWS)
    assert page.locator("[data-testid=rows-rejected]").inner_text() == "1"
    assert report.locator("tr.bad").count() >= 1
    skipped = page.locator("[data-testid=skipped-lines] li")
    assert skipped.count() == 1 and "合计" in skipped.inner_text()
    written = int(page.locator("[data-testid=events-written]").inner_text())
    key_file = platform.data_dir / "admin.key"
    headers = (
        {"Authorization": f"Bearer {key_file.read_text().strip()}"} if key_file.exists() else {}
    )
    job_id = seen[-1].rsplit("/", 1)[1]
    job = httpx.get(
        f"{platform.service('registry').url}/imports/{job_id}", headers=headers, timeout=20
    ).json()
    assert job["status"] == "done" and job["events_written"] == written >= ROWS


def test_a_needs_survey_upload_shows_the_bar_then_the_report(page: Any, tmp_path: Path) -> None:
    survey = tmp_path / "需求调查.csv"
    survey.write_bytes(
        (
            "区县,街道,社区,户号,服务对象,服务需求\n"
            "安定区,永定路街道,东关社区,9-501,一老,助餐、健康管理\n"
            "安定区,永定路街道,东关社区,9-502,一小,课后托管\n"
            "安定区,永定路街道,,9-503,一老,助餐\n"
        ).encode("gbk")
    )
    page.goto("/services")
    page.set_input_files("[data-testid=survey-file]", str(survey))
    page.click("[data-testid=survey-submit]")
    page.locator("#survey-report [data-testid=import-progress]").wait_for()
    report = page.locator("#survey-report [data-testid=import-report]")
    report.wait_for(timeout=60_000)
    assert report.locator("[data-testid=rows-read]").inner_text() == "3"
    # needs recorded: two households, three needs; the row without a community is named
    assert report.locator("[data-testid=rows-recorded]").inner_text() == "3"
    assert report.locator("tr.bad").count() == 1
