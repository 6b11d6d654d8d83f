"""Idle memory of the whole platform as ``shegong up`` runs it: the RSS of the launcher
and of every process under it (the services' host, the embedded Redis), after start-up
and a short idle, beside the 300 MB target.

    uv run python bench/bench_idle_memory.py [--separate] [--idle 10]

``--separate`` runs each service in its own process (as containers do), for comparison.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import psutil

from shegong.platform.launcher import Platform

TARGET_MB = 300


def rss_mb(process: psutil.Process) -> float:
    return float(process.memory_info().rss) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--separate", action="store_true", help="one process per service")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds idle before measuring")
    options = parser.parse_args()
    os.environ.pop("REDIS_URL", None)  # the embedded default: its own Redis
    os.environ.pop("DATABASE_URL", None)
    with tempfile.TemporaryDirectory(prefix="shegong-mem-") as tmp:
        platform = Platform(Path(tmp), log_level="WARNING", shared_process=not options.separate)
        started = time.monotonic()
        platform.start(progress=lambda _line: None)
        print(f"started in {time.monotonic() - started:.1f} s; idle {options.idle:.0f} s …")
        try:
            time.sleep(options.idle)
            launcher = psutil.Process()
            rows = [("launcher (shegong up)", rss_mb(launcher))]
            for child in launcher.children(recursive=True):
                try:
                    args = " ".join(child.cmdline()[1:4]).strip()
                    cmd = args if args.startswith("-m") else child.name()
                    rows.append((cmd[:60], rss_mb(child)))
                except psutil.NoSuchProcess:
                    continue
        finally:
            platform.stop()
    mode = "one process per service" if options.separate else "services in one host process"
    print(f"\nidle RSS, {mode}")
    for name, mb in rows:
        print(f"  {name:<62} {mb:7.1f} MB")
    total = sum(mb for _, mb in rows)
    verdict = "within" if total <= TARGET_MB else "OVER"
    print(f"  {'total':<62} {total:7.1f} MB   target ≤ {TARGET_MB} MB: {verdict}")


if __name__ == "__main__":
    main()
