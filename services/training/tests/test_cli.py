"""``shegong training import-signin`` / ``import-exams`` and ``shegong report training``
against the training service's own database, next to a running node."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from stdnum.cn import ric
from typer.testing import CliRunner

from shegong.training.cli import app, report_app

if TYPE_CHECKING:
    from conftest import StartTraining


def rid(birth: str, serial: str) -> str:
    body = f"621102{birth}{serial}"
    return body + ric.calc_check_digit(body + "0")


async def test_cli_imports_and_reports(
    start_training: StartTraining, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    node = await start_training(f"sqlite:///{data}/training.db")
    monkeypatch.setenv("PII_HASH_KEY", "k" * 32)
    monkeypatch.delenv("DATA_DIR", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    zhang = rid("19880312", "123")
    node.feed.register("张伟", zhang)
    await node.sync()
    session = await node.ok(
        "POST",
        "/sessions",
        json={"kind": "prejob", "title": "岗前培训", "held_on": "2025-03-01", "hours": 16},
    )
    sid = session["session"]["session_id"]
    sheet = tmp_path / "签到表.csv"
    sheet.write_bytes(
        f"姓名,身份证号,签到时间\n张伟,{zhang},2025-03-01 09:00\n张伟,{zhang},09:30\n"
        f"某人,{rid('19700101', '111')},09:00\n".encode("gbk")
    )
    runner = CliRunner()

    def run(*args: str, which: object = app) -> tuple[int, str]:
        result = runner.invoke(which, [*args, "--data-dir", str(data)])  # type: ignore[arg-type]
        return result.exit_code, result.output

    code, out = await asyncio.to_thread(run, "import-signin", "--session", sid, str(sheet))
    assert code == 1, out  # a rejected row makes the exit code say so
    assert "recorded 1 · repeated 1 · rejected 1" in out and "查无此人" in out
    code, out = await asyncio.to_thread(run, "import-signin", "--session", "nope", str(sheet))
    assert code != 0
    exams = tmp_path / "exams.csv"
    exams.write_text(f"姓名,身份证号,考试年度,级别,是否通过\n张伟,{zhang},2025,中级,是\n")
    code, out = await asyncio.to_thread(run, "import-exams", str(exams))
    assert code == 0 and "recorded 1" in out, out

    await node.sync_own()
    code, out = await asyncio.to_thread(
        run, "training", "--year", "2025", "--format", "json", which=report_app
    )
    assert code == 0, out
    figures = json.loads(out)
    assert figures["sessions"] == 1 and figures["person_times"] == 1
    code, out = await asyncio.to_thread(run, "report", "--year", "2025", "--format", "csv")
    rows = {r[0]: r[2] for r in csv.reader(io.StringIO(out))}
    assert rows["person_times"] == "1" and rows["by_kind.prejob.sessions"] == "1"
    code, out = await asyncio.to_thread(run, "report", "--year", "2025")
    assert code == 0 and "培训人次" in out and "as of event positions" in out
