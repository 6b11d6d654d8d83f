"""``shegong training …`` (and ``shegong report training``): the training service's own
commands, run against its database (the running service's relay publishes what they record)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from shegong.kernel.db import reading
from shegong.kernel.runtime import Runtime
from shegong.kernel.serve import hasher_for
from shegong.kernel.store import CommandContext
from shegong.kernel.tabular import TabularFileError
from shegong.training.application.imports import ImportReport, SheetImporter
from shegong.training.reports.indicators import training_indicators

R = TypeVar("R")

app = typer.Typer(
    help="培训 training: sign-in sheets, exam results, indicators.", no_args_is_help=True
)
report_app = typer.Typer(help="Reports (报表).", no_args_is_help=True)
console = Console(soft_wrap=True)


@report_app.callback()
def _reports() -> None:
    """Reports (报表): ``shegong report training --year 2025``."""


DataDir = Annotated[Path, typer.Option(help="the platform's data dir")]
Actor = Annotated[str, typer.Option(help="who imports")]
DEFAULT_ACTOR = os.environ.get("USER", "cli")


def _settings(data_dir: Path) -> Any:
    from shegong.training.main import TrainingSettings

    overrides = {} if os.environ.get("DATA_DIR") else {"data_dir": str(data_dir.resolve())}
    return TrainingSettings(**overrides)  # type: ignore[arg-type]


def _against_training(settings: Any, work: Callable[[Runtime], Awaitable[R]]) -> R:
    from shegong.training.main import SERVICE

    runtime = Runtime(SERVICE, settings)

    async def run() -> R:
        await runtime.create_schema()
        try:
            return await work(runtime)
        finally:
            await runtime.engine.dispose()
            await runtime.redis.aclose()

    try:
        return asyncio.run(run())
    except TabularFileError as err:
        console.print(f"[bold red]file refused:[/] {err.message} / {err.message_zh}")
        raise typer.Exit(2) from err


@app.command("import-signin")
def import_signin(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".csv or .xlsx")],
    session: Annotated[str, typer.Option("--session", help="Session id")],
    data_dir: DataDir = Path(".shegong"),
    actor: Actor = DEFAULT_ACTOR,
) -> None:
    """Import a sign-in sheet (签到表: 姓名, 身份证号 and/or 手机号, 签到时间) for a session."""
    settings = _settings(data_dir)

    async def run(runtime: Runtime) -> ImportReport:
        importer = SheetImporter(runtime.store, hasher_for(settings))
        return await importer.import_signin(
            session, file.read_bytes(), file.name, CommandContext(actor=actor)
        )

    _finish(_against_training(settings, run))


@app.command("import-exams")
def import_exams(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".csv or .xlsx")],
    data_dir: DataDir = Path(".shegong"),
    actor: Actor = DEFAULT_ACTOR,
) -> None:
    """Import national exam results (姓名, 身份证号, 考试年度, 级别, 是否通过)."""
    settings = _settings(data_dir)

    async def run(runtime: Runtime) -> ImportReport:
        importer = SheetImporter(runtime.store, hasher_for(settings))
        return await importer.import_exams(
            file.read_bytes(), file.name, CommandContext(actor=actor)
        )

    _finish(_against_training(settings, run))


Format = Literal["table", "json", "csv"]


@app.command("report")
@report_app.command("training")
def report(
    year: Annotated[int, typer.Option(help="e.g. 2025")],
    region: Annotated[str | None, typer.Option(help="Region path, e.g. 安定区")] = None,
    format: Annotated[str, typer.Option("--format", help="table | json | csv")] = "table",
    data_dir: DataDir = Path(".shegong"),
) -> None:
    """Training indicators for a year (培训指标): sessions, person-times, trainees, hours…"""
    if format not in ("table", "json", "csv"):
        console.print(f"[bold red]--format {format!r}:[/] use table, json or csv")
        raise typer.Exit(2)
    settings = _settings(data_dir)

    async def run(runtime: Runtime) -> dict[str, Any]:
        async with reading(runtime.engine) as conn:
            return await training_indicators(conn, year, settings.prejob_window_days, region)

    figures = _against_training(settings, run)
    if format == "json":
        typer.echo(json.dumps(figures, ensure_ascii=False, indent=2, default=str))
    elif format == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["indicator", "指标", "value"])
        for key, label, value in flat_rows(figures):
            writer.writerow([key, label, value])
        typer.echo(out.getvalue(), nl=False)
    else:
        table = Table("indicator", "指标", "value", title=f"training {year} {region or ''}")
        for key, label, value in flat_rows(figures):
            table.add_row(key, label, str(value))
        console.print(table)
        console.print(f"as of event positions: {json.dumps(figures['as_of'], ensure_ascii=False)}")


def flat_rows(figures: dict[str, Any]) -> list[tuple[str, str, Any]]:
    labels = figures["labels_zh"]
    rows: list[tuple[str, str, Any]] = [
        (k, labels.get(k, ""), figures[k])
        for k in ("sessions", "person_times", "trainees", "hours", "session_hours")
    ]
    for group in ("by_kind", "by_tier"):
        for code, item in figures[group].items():
            rows.append((f"{group}.{code}.sessions", f"{item['label_zh']}班次", item["sessions"]))
            rows.append(
                (f"{group}.{code}.person_times", f"{item['label_zh']}人次", item["person_times"])
            )
    for k in ("prejob_coverage", "examprep_pass_rate"):
        share = figures[k]
        rows.append((k, labels[k], share["value"]))
        rows.append((f"{k}.numerator", "", share["numerator"]))
        rows.append((f"{k}.denominator", "", share["denominator"]))
    return rows


def _finish(report: ImportReport) -> None:
    console.print(
        f"rows read {report.rows_read:,} · recorded {report.recorded:,} · repeated "
        f"{len(report.repeated):,} · rejected {len(report.rejected):,} · events {report.events:,}"
    )
    if report.repeated:
        table = Table("行 row", "姓名 name", "说明", title="counted once 重复，只计一次")
        for r in report.repeated[:200]:
            table.add_row(str(r["row"]), r["name"] or "", f"{r['reason']} / {r['reason_zh']}")
        console.print(table)
    if report.rejected:
        table = Table("行 row", "姓名 name", "字段 field", "原因 reason", title="rejected 未导入")
        for r in report.rejected[:200]:
            table.add_row(
                str(r["row"]),
                r["name"] or "",
                r["field"] or "",
                f"{r['reason']} / {r['reason_zh'] or ''}",
            )
        console.print(table)
        raise typer.Exit(1)
