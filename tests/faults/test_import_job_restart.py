"""kill -9 the registry in the middle of a roster import the CLI runs as a job, restart it:
the CLI waits for the service and says the import was interrupted; the job is still known
(kept in the service's database), says what it had stored — the events in the store,
exactly — and importing the same file again ends as one import would have: every row
registered once, the rows already in reported unchanged."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, func, select

from shegong.kernel.events.schema import events_table, import_jobs
from shegong.kernel.ops.runtime import Runtime
from shegong.registry.main import SERVICE, RegistrySettings

from .conftest import registry_database, registry_env

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# Long enough to be caught mid-way: the running job's progress is watched on the service
# (`GET /imports/{id}`, after each chunk's commit), not in the database, where it is
# written once a second (jobs.py HEARTBEAT_S) — watched there, 6,000 rows were done in
# about that second on a quiet machine, and it took 20,000 to see one mid-way. Here
# 1,000 rows are done after a sixth of the file (≈ 0.2 s on a quiet machine, the rest ≈ 1 s).
ROWS = 8_000


def resident_id(n: int) -> str:
    body = f"621102{date(1960, 1, 1) + timedelta(days=n):%Y%m%d}{n % 1000:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def roster(rows: int) -> bytes:
    lines = ["记录编号,姓名,身份证号,岗位类别,入职日期"]
    family = "王李张刘陈杨赵黄周吴"
    for n in range(rows):
        lines.append(f"R-{n:06d},{family[n % 10]}工{n},{resident_id(n)},社会工作岗位,2023-01-01")
    return ("\n".join(lines) + "\n").encode()


def job_of(url: str, job_id: str) -> dict[str, Any]:
    resp = httpx.get(f"{url}/imports/{job_id}", timeout=30)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def wait_for(url: str, job_id: str, done: Any, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    job = job_of(url, job_id)
    while not done(job) and time.monotonic() < deadline:
        time.sleep(0.05)
        job = job_of(url, job_id)
    assert done(job), job
    return job


async def registered(database_url: str) -> tuple[int, int, int]:
    """Events in the store; WorkerRegistered events; the distinct workers they name."""
    runtime = Runtime(SERVICE, RegistrySettings(database_url=database_url))
    try:
        async with runtime.engine.connect() as conn:
            total = await conn.scalar(select(func.count()).select_from(events_table))
            kind = events_table.c.type == "WorkerRegistered"
            workers = await conn.scalar(select(func.count()).where(kind))
            distinct = await conn.scalar(
                select(func.count(events_table.c.stream_id.distinct())).where(kind)
            )
        return int(total or 0), int(workers or 0), int(distinct or 0)
    finally:
        await runtime.engine.dispose()
        await runtime.redis.aclose()


def running_job(db: Engine) -> tuple[str, int] | None:
    """The running job in the service's database, and the rows it has done (as of its
    last heartbeat)."""
    with db.connect() as conn:
        found = conn.execute(
            select(import_jobs.c.job_id, import_jobs.c.rows_done).where(
                import_jobs.c.status == "running"
            )
        ).first()
    return (str(found[0]), int(found[1])) if found else None


def stored_jobs(db: Engine) -> list[dict[str, Any]]:
    with db.connect() as conn:
        rows = conn.execute(
            select(import_jobs.c.status, import_jobs.c.report).order_by(import_jobs.c.started_at)
        )
        return [{"status": r[0], "report": r[1]} for r in rows]


def shegong(*args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEGONG_")}
    return subprocess.Popen(
        [sys.executable, "-m", "shegong.platform.cli", *args],
        env={**env, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_kill_9_mid_import_the_job_says_interrupted_and_what_it_stored_and_a_reimport_finishes(
    database: str,
    request: pytest.FixtureRequest,
    service_process,
    redis_url: str,
    stream_prefix: str,
    tmp_path: Path,
) -> None:
    database_url = registry_database(database, request, tmp_path)
    env = registry_env(database_url, redis_url, stream_prefix)
    svc = service_process("shegong.registry", env, tmp_path / "registry.log")
    svc.start()
    db = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    file = tmp_path / "roster.csv"
    file.write_bytes(roster(ROWS))
    args = ("registry", "import-roster", "--department", "civil-affairs", "--url", svc.url)
    clerk = shegong(*args, str(file))  # the CLI, its bar following the job

    # Mid-way: some chunks committed, not all.
    deadline = time.monotonic() + 300
    found = running_job(db)
    while not found and time.monotonic() < deadline:
        assert clerk.poll() is None, clerk.communicate()
        time.sleep(0.02)
        found = running_job(db)
    assert found is not None, "no import job started"
    job_id = found[0]
    live = job_of(svc.url, job_id)
    while live["rows_done"] < 1000 and time.monotonic() < deadline:
        assert live["status"] == "running", live
        time.sleep(0.02)
        live = job_of(svc.url, job_id)
    svc.kill()
    assert live["status"] == "running" and 1000 <= live["rows_done"] < ROWS, live
    svc.start()

    # The CLI waited for the service, learnt the job was interrupted, and says so.
    _, said = clerk.communicate(timeout=120)
    assert clerk.returncode == 1, said
    assert "interrupted" in said and job_id in said, said
    assert "importing the same file again is safe" in said, said

    # The restarted service knows the job: interrupted, and what it had stored.
    gone = wait_for(svc.url, job_id, lambda j: j["status"] != "running", timeout=60)
    assert gone["status"] == "interrupted", gone
    _, workers, distinct = asyncio.run(registered(database_url))
    # What it says it stored is what the store holds — a worker per row, and the
    # department's registration — and only whole chunks of rows: nothing half-applied.
    assert gone["events_written"] == workers + 1 and 0 < workers < ROWS and workers == distinct
    assert gone["rows_done"] <= workers and workers % 500 == 0
    assert gone["error"]["code"] == "interrupted" and gone["repeatable"] is True
    assert "重新导入同一文件是安全的" in gone["error"]["message_zh"]
    assert gone["file_sha256"] and gone["filename"] == "roster.csv"

    # The same file again: it finishes, every row registered exactly once (the import's
    # report is what is asked here, not the census's linking after it: --no-wait).
    again = shegong(*args, "--no-wait", str(file))
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, out + err
    done = stored_jobs(db)[-1]
    assert done["status"] == "done", done
    report = done["report"]
    assert (report["unchanged"], report["new"], report["rejected_rows"]) == (
        workers,
        ROWS - workers,
        0,
    )
    _, workers_after, distinct_after = asyncio.run(registered(database_url))
    assert workers_after == distinct_after == ROWS
    db.dispose()
