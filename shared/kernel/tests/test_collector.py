"""The collector's settings for a long-running service (kernel ops/collector.py)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

import pytest

from shegong.kernel.ops import collector

pytestmark = pytest.mark.fast


def _threshold_after_tune(env: dict[str, str]) -> int:
    code = (
        "from shegong.kernel.ops import collector; import gc;"
        " collector.tune(); print(gc.get_threshold()[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return int(out.stdout)


def test_the_youngest_generation_is_collected_less_often_unless_told_otherwise() -> None:
    base = {k: v for k, v in os.environ.items() if k != "SHEGONG_GC_THRESHOLD"}
    assert _threshold_after_tune(base) == collector.DEFAULT_THRESHOLD
    assert _threshold_after_tune({**base, "SHEGONG_GC_THRESHOLD": "0"}) == 700  # CPython's
    assert _threshold_after_tune({**base, "SHEGONG_GC_THRESHOLD": "20000"}) == 20_000
    assert _threshold_after_tune({**base, "SHEGONG_GC_THRESHOLD": "many"}) == (
        collector.DEFAULT_THRESHOLD
    )


def test_freeze_takes_what_is_alive_out_of_the_collectors_walks() -> None:
    before = gc.get_freeze_count()
    try:
        collector.freeze()
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
