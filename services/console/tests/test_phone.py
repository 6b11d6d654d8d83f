"""The console on a phone (390×844) in a real headless Chromium against the running
platform: the order board, a census person, a training session with its sign-in sheet
and the dashboard fit the screen (nothing wider than the phone: the board swipes and
tables scroll inside their cards); a community's QR code leads to matching's residents'
order page. Screenshots go to the test's folder (and to ``$SHEGONG_SCREENSHOTS``)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shegong.platform.demo import WORKERS
from shegong.platform.launcher import Platform

PHONE = {"width": 390, "height": 844}
EAST = "安定区/永定路街道/东关社区"
REGIONS = "区县,乡镇街道,社区村,城镇常住人口\n安定区,永定路街道,东关社区,5000\n"


def eventually(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
            if found:
                return found
        except (AssertionError, httpx.HTTPError, KeyError, IndexError):
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout}s")
        time.sleep(0.3)


def key_of(platform: Platform) -> str:
    path = platform.data_dir / "admin.key"
    return path.read_text().strip() if path.exists() else ""


def client(url: str, key: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=url, headers=headers, timeout=20)


@pytest.fixture(scope="module")
def seeded(platform: Platform) -> dict[str, Any]:
    key = key_of(platform)
    registry = client(platform.service("registry").url, key)
    matching = client(platform.service("matching").url, key)
    training = client(platform.service("training").url, key)
    assert registry.post("/imports/regions", files={"file": ("r.csv", REGIONS.encode())}).is_success
    for worker in WORKERS:
        assert registry.post("/workers", json=worker).status_code == 201
    eventually(lambda: len(matching.get("/providers").json()) >= 2)
    order = matching.post(
        "/requests", json={"community": EAST, "target_group": "elderly", "service_type": "助餐"}
    )
    assert order.status_code == 201, order.text
    base = training.post(
        "/bases", json={"name": "市社会工作培训基地", "kind": "training_base", "tier": "city"}
    ).json()["base"]["base_id"]
    body = {"kind": "lecture", "title": "社工实务专题讲座", "held_on": dt.date.today().isoformat()}
    made = training.post("/sessions", json={**body, "hours": 6, "base_id": base, "capacity": 30})
    assert made.status_code == 201, made.text
    session = eventually(
        lambda: [s for s in training.get("/sessions").json() if s["title"] == body["title"]]
    )[0]
    person = eventually(lambda: registry.get("/census/persons").json()["persons"][0])
    return {
        "key": key,
        "console": platform.service("console").url,
        "session": session["session_id"],
        "person": person["person_id"],
    }


@pytest.fixture
def phone(browser: Any, seeded: dict[str, Any]) -> Iterator[Any]:
    context = browser.new_context(
        base_url=seeded["console"],
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/dashboard")
    page.fill("[data-testid=api-key]", seeded["key"])
    page.click("[data-testid=login]")
    page.wait_for_url("**/dashboard")
    yield page
    context.close()


def fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a 390px phone"


def shot(page: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    extra = os.environ.get("SHEGONG_SCREENSHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)


def test_the_console_fits_a_phone(phone: Any, seeded: dict[str, Any], tmp_path: Path) -> None:
    page = phone
    page.wait_for_selector("[data-testid=identity]")
    fits(page)
    shot(page, tmp_path, "console-phone-dashboard")

    page.goto("/services")
    page.wait_for_selector("[data-column]")
    fits(page)
    nav = page.locator("header nav")
    assert nav.bounding_box()["width"] <= PHONE["width"]
    shot(page, tmp_path, "console-phone-board")

    page.goto(f"/census/persons/{seeded['person']}")
    page.wait_for_selector("[data-testid=person-name]")
    fits(page)
    shot(page, tmp_path, "console-phone-person")

    page.goto(f"/training/sessions/{seeded['session']}")
    page.wait_for_selector("[data-testid=signin-upload-form]")
    fits(page)
    shot(page, tmp_path, "console-phone-session")


def test_a_community_code_leads_to_the_residents_order_page(
    phone: Any, seeded: dict[str, Any], tmp_path: Path
) -> None:
    page = phone
    page.goto("/services")
    page.click("[data-testid=h5-codes]")
    page.wait_for_url("**/services/h5-codes")
    card = page.locator(f"[data-testid=qr-card][data-community='{EAST}']")
    assert card.locator("svg").count() == 1
    fits(page)
    shot(page, tmp_path, "console-phone-codes")
    link = card.locator("[data-testid=qr-link]").get_attribute("href")
    assert link and "/h5/order?" in link
    page.goto(link)  # what a resident's phone opens after scanning
    assert "东关社区" in page.title() and page.locator("[data-testid=service]").count() == 1
    fits(page)
