"""The census bench's user path (``bench_census_quality.py --path service``): ``shegong
up`` in a subprocess with its own Redis and SQLite files, every roster ``POST
/imports/roster`` over HTTP, timed until ``/census/status`` holds every imported record;
the persons read back from ``/census/export`` and scored from the generator's truth."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from census_score import Result, score
from cities import City
from proc_cpu import cpu_s, tree


class Platform:
    """``shegong up --data-dir TMP`` in a subprocess (its own Redis and SQLite files)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data_dir = folder / "data"
        self.log = folder / "shegong-up.log"
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
        env["XDG_CONFIG_HOME"] = str(folder / "config")  # leave the user's credentials alone
        exe = Path(sys.executable).parent / "shegong"
        self.command = [str(exe), "up", "--data-dir", str(self.data_dir)]
        self.proc = subprocess.Popen(
            self.command,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        self.url = self._wait_for_url()
        self.key = (self.data_dir / "admin.key").read_text().strip()

    def _wait_for_url(self, timeout: float = 180) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log.read_text(errors="replace")
            if "Press Ctrl-C" in text:
                found = re.search(r"registry\s+(http://\S+)", text)
                if found:
                    return found.group(1)
            if self.proc.poll() is not None:
                break
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"shegong up did not come up; see {self.log}:\n{text[-2000:]}")

    def cpu_s(self) -> dict[str, float]:
        """CPU seconds used so far by the platform's processes, by command line: the
        host, its census worker, Redis, the launcher (Linux /proc)."""
        out: dict[str, float] = {}
        for pid in tree(self.proc.pid):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            kind = next(
                (k for k in ("ops.worker", "platform.host", "redis", "up") if k in cmd), "other"
            )
            out[kind] = out.get(kind, 0.0) + (cpu_s(pid) or 0.0)
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)  # the group we started: Ctrl-C
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


class Timeline:
    """``--timeline``: every second, the census's records and position, the registry
    store's head and the relay's checkpoint, printed to stderr (is the census behind its
    input, or its input behind the store?); at the end, the store's events by type."""

    def __init__(self, url: str, headers: dict[str, str], start: float, db: Path) -> None:
        import threading

        self.url, self.headers, self.start, self.db = url, headers, start, db
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        import httpx

        with httpx.Client(base_url=self.url, headers=self.headers, timeout=60) as client:
            while not self.done.wait(1.0):
                try:
                    status = client.get("/census/status").json()
                except httpx.HTTPError:
                    continue
                seen = max(status["as_of"]["positions"].values(), default=0)
                t = time.perf_counter() - self.start
                head = relayed = -1
                try:
                    con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=1)
                    head = con.execute("SELECT max(position) FROM events").fetchone()[0] or 0
                    relayed = (
                        con.execute("SELECT max(position) FROM relay_checkpoints").fetchone()[0]
                        or 0
                    )
                    con.close()
                except sqlite3.Error:
                    pass
                print(
                    f"t={t:6.1f}s census records {status['records']:>7} position {seen:>7}"
                    f" store head {head:>7} relayed {relayed:>7}",
                    file=sys.stderr,
                    flush=True,
                )

    def stop(self) -> None:
        self.done.set()
        self.thread.join(5)
        try:
            con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)
            counts = con.execute("SELECT type, count(*) FROM events GROUP BY type ORDER BY 2 DESC")
            print("events by type:", dict(counts.fetchall()), file=sys.stderr, flush=True)
            con.close()
        except sqlite3.Error as err:
            print("events by type: unread,", err, file=sys.stderr)


def run_ours_service(
    city: City, files: dict[str, tuple[str, bytes, str]], folder: Path, timeline: bool = False
) -> Result:
    import httpx

    platform = Platform(folder)
    try:
        headers = {"Authorization": f"Bearer {platform.key}"}
        client = httpx.Client(base_url=platform.url, headers=headers, timeout=1800)
        imported = refused = 0
        last_position = 0
        cpu0 = platform.cpu_s()
        start = time.perf_counter()
        progress = (
            Timeline(platform.url, headers, start, platform.data_dir / "registry.db")
            if timeline
            else None
        )
        for roster in city.rosters:
            filename, data, _ = files[roster.code]
            resp = client.post(
                "/imports/roster",
                data={"department": roster.code, "department_name": roster.name},
                files={"file": (filename, data)},
            )
            resp.raise_for_status()
            report = resp.json()
            imported += report["new"]
            refused += report["rejected_rows"]
            last_position = max(last_position, report.get("last_position") or 0)
        import_s = time.perf_counter() - start
        while True:  # until the census holds every imported record, and has seen the last event
            status = client.get("/census/status").json()
            seen = max(status["as_of"]["positions"].values(), default=0)
            if status["records"] >= imported and seen >= last_position:
                break
            if time.perf_counter() - start > 3600:
                raise RuntimeError(f"the census did not catch up: {status}")
            time.sleep(0.2)
        total = time.perf_counter() - start
        if progress is not None:
            progress.stop()
        cpu = {k: v - cpu0.get(k, 0.0) for k, v in platform.cpu_s().items()}
        persons = client.get("/census/export", params={"format": "json"}).json()
        if isinstance(persons, Mapping):  # an envelope, should the export grow one
            persons = persons.get("persons") or persons.get("items") or []
        partition = [set(p["records"]) for p in persons]
        return Result(
            "ours (service)",
            score(partition, city.truth),
            total,
            int(status["in_review"]),
            {
                "import over HTTP": import_s,
                "import rows/s": round(city.n_rows / import_s),
                "census caught up after": total - import_s,
                "refused by import": refused,
                "events (last position)": last_position,
                **{f"CPU s, {kind}": round(sec, 1) for kind, sec in sorted(cpu.items())},
            },
        )
    finally:
        platform.stop()
