"""The platform as ``shegong up`` runs it (every service a process, the console among them)
on the real Redis, for the console's browser tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shegong.platform.launcher import Platform

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def platform(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    running = Platform(
        data_dir=tmp_path_factory.mktemp("platform"),
        redis_url=redis_url,
        stream_prefix=f"console-{uuid.uuid4().hex[:8]}.",
    )
    # The seeded workers were hired in past years: count them as new hires (owing pre-job
    # training) so that the overdue pages have someone to show.
    before = os.environ.get("PREJOB_NEW_HIRES_FROM")
    os.environ["PREJOB_NEW_HIRES_FROM"] = "2000-01-01"
    try:
        running.start(progress=lambda _line: None)
        yield running
    finally:
        running.stop()
        if before is None:
            os.environ.pop("PREJOB_NEW_HIRES_FROM", None)
        else:
            os.environ["PREJOB_NEW_HIRES_FROM"] = before


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            yield chromium
        finally:
            chromium.close()
