"""``shegong report services`` and ``shegong matching export-hours`` through the real
``shegong`` command (entry points included), against a data folder's database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner


@pytest.fixture(scope="module")
def shegong():  # type: ignore[no-untyped-def]
    from shegong.platform import cli

    cli._add_service_commands()
    return cli.app


def test_report_services_and_export_hours(
    shegong, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    for name in ("DATABASE_URL", "DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    args = ["--data-dir", str(tmp_path)]
    out = runner.invoke(
        shegong, ["report", "services", "--year", "2025", "--format", "json", *args]
    )
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert report["year"] == 2025 and report["requests"] == 0
    assert report["acceptance_rate"] is None and set(report["escalation_rate"]) == {
        "community",
        "street",
        "district",
    }
    table = runner.invoke(shegong, ["report", "services", "--year", "2025", *args])
    assert table.exit_code == 0 and "acceptance rate 接单率" in table.output
    csv_out = runner.invoke(
        shegong, ["report", "services", "--year", "2025", "--format", "csv", *args]
    )
    assert csv_out.output.splitlines()[0] == "indicator,value"
    target = tmp_path / "hours.csv"
    done = runner.invoke(shegong, ["matching", "export-hours", "--out", str(target), *args])
    assert done.exit_code == 0, done.output
    assert (
        target.read_text(encoding="utf-8").lstrip("\ufeff").startswith("记录编号 entry,姓名 person")
    )
    assert (tmp_path / "matching.db").exists()
