"""The mobile pages in a real headless Chromium at a phone's size (390×844): a resident
opens their community's link, orders with a one-time code (read from the tests' SMS
gateway), a worker takes, starts and finishes the order on their own page, the
resident confirms and rates it, and the indicators move. Screenshots go to the
test's folder (and to ``$SHEGONG_SCREENSHOTS`` when set)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from shegong.matching.main import build
from shegong.matching.settings import MatchingSettings

from .conftest import COMMUNITY
from .sms_gateway import Gateway, gateway

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}


@dataclass
class Served:
    url: str
    notifier: Gateway  # the tests' SMS gateway: the codes sent
    api: httpx.Client
    shots: Path

    def shot(self, page: Any, name: str) -> None:
        path = self.shots / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        extra = os.environ.get("SHEGONG_SCREENSHOTS")
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(extra) / path.name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(sqlite_url: str, redis_url: str, stream_prefix: str, tmp_path: Path) -> Iterator[Served]:
    """Matching as a real HTTP server (uvicorn in a thread), for the browser."""
    with gateway() as sms:
        yield from _served(sms, sqlite_url, redis_url, stream_prefix, tmp_path)


def _served(
    sms: Gateway, sqlite_url: str, redis_url: str, stream_prefix: str, tmp_path: Path
) -> Iterator[Served]:
    settings = MatchingSettings(
        database_url=sqlite_url,
        redis_url=redis_url,
        stream_prefix=stream_prefix,
        consumer_name="matching-browser",
        pii_hash_key="k" * 32,
        catch_up_s=0,
        data_dir=str(tmp_path / "matching"),
        matching_scheduler_tick_s=0.5,
        matching_notifier="webhook",
        matching_notifier_url=sms.url,
    )
    app = build(settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "matching did not start"
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=url, timeout=20) as api:
        yield Served(url, sms, api, tmp_path)
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            yield browser
        finally:
            browser.close()


def phone_page(chromium: Any, base_url: str) -> Any:
    context = chromium.new_context(
        base_url=base_url,
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def fits_the_screen(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"


def test_a_resident_orders_on_a_phone_and_a_worker_takes_it(served: Served, chromium: Any) -> None:
    api = served.api
    registered = api.post(
        "/providers", json={"kind": "volunteer", "name": "张志愿", "region": COMMUNITY}
    )
    assert registered.status_code == 201, registered.text
    vol = registered.json()["provider_id"]
    link = next(
        x["url"] for x in api.get("/h5-links/communities").json() if x["community"] == COMMUNITY
    )

    # The resident scans the community's code.
    resident = phone_page(chromium, served.url)
    resident.goto(link)
    assert "居民点单" in resident.title()
    fits_the_screen(resident)
    resident.select_option("[data-testid=service]", "meal_help")
    resident.select_option("[data-testid=group]", "elderly")
    resident.fill("[data-testid=notes]", "独居老人，每天中午需要送餐")
    resident.fill("[data-testid=phone]", "13809312001")
    resident.click("[data-testid=send-code]")
    resident.wait_for_selector("[data-testid=code]")
    message = served.notifier.last_to("13809312001")
    assert message is not None
    code = re.search(r"\d{6}", message.text)
    assert code
    resident.fill("[data-testid=code]", code[0])
    served.shot(resident, "h5-resident-order")
    resident.click("[data-testid=submit]")
    resident.wait_for_url(re.compile(r"/h5/o/"))
    status = resident.locator("[data-testid=status]")
    assert status.get_attribute("data-status") == "offered"
    assert "等待接单" in status.inner_text()
    fits_the_screen(resident)
    served.shot(resident, "h5-resident-progress")

    # The worker opens the link their department sent and takes the order.
    worker_link = api.post(f"/providers/{vol}/worker-link").json()["url"]
    worker = phone_page(chromium, served.url)
    worker.goto(worker_link)
    offer = worker.locator("[data-testid=offer]")
    assert offer.count() == 1 and "助餐" in offer.inner_text() and "同社区" in offer.inner_text()
    fits_the_screen(worker)
    served.shot(worker, "h5-worker-offers")
    worker.click("[data-testid=accept]")
    worker.wait_for_selector("[data-testid=start]")
    worker.click("[data-testid=start]")
    worker.wait_for_selector("[data-testid=finish]")
    worker.fill("[data-testid=hours]", "1.5")
    served.shot(worker, "h5-worker-serving")
    worker.click("[data-testid=finish]")
    worker.wait_for_selector("text=已完成，服务时长已记入台账")
    assert "1.5" in worker.locator("[data-testid=hours-total]").inner_text()

    # The resident sees it done, confirms and rates it.
    resident.click("[data-testid=refresh]")
    assert resident.locator("[data-testid=status]").get_attribute("data-status") == "completed"
    resident.check("[data-testid=star-5]")
    resident.check("[data-testid=met-yes]")
    served.shot(resident, "h5-resident-rate")
    resident.click("[data-testid=rate]")
    resident.wait_for_selector("text=感谢您的评价")
    assert resident.locator("[data-testid=status]").get_attribute("data-status") == "followed_up"
    fits_the_screen(resident)
    served.shot(resident, "h5-resident-done")

    figures = api.get(f"/indicators/services?year={datetime.now(UTC).year}").json()
    assert figures["requests"] == 1 and figures["completed"] == 1
    assert figures["mean_satisfaction"] == 5.0 and figures["follow_up_coverage"] == 1.0
    assert figures["hours"]["volunteer"] == 1.5
