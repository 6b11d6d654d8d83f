"""``shegong registry …``: the registry's own commands, run against its database."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from shegong.kernel.runtime import Runtime
from shegong.kernel.serve import hasher_for
from shegong.kernel.settings import ServiceSettings
from shegong.kernel.store import CommandContext
from shegong.registry.application.region_import import RegionImporter, RegionImportReport
from shegong.registry.application.roster_import import ImportReport, RosterImporter
from shegong.registry.imports.roster import RosterFileError

R = TypeVar("R")

app = typer.Typer(help="人员库 registry: rosters, workers, certificates.", no_args_is_help=True)
console = Console(soft_wrap=True)


def _settings(data_dir: Path) -> ServiceSettings:
    overrides = {} if os.environ.get("DATA_DIR") else {"data_dir": str(data_dir.resolve())}
    from shegong.registry.main import RegistrySettings

    return RegistrySettings(**overrides)  # type: ignore[arg-type]


@app.command("import-roster")
def import_roster(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".csv or .xlsx")],
    department: Annotated[str, typer.Option(help="Department code, e.g. civil-affairs")],
    name: Annotated[str | None, typer.Option(help="Department name, e.g. 民政局")] = None,
    data_dir: Annotated[Path, typer.Option(help="the platform's data dir")] = Path(".shegong"),
    actor: Annotated[str, typer.Option(help="who imports")] = os.environ.get("USER", "cli"),
) -> None:
    """Import a department's roster file and print the report (rows new/changed/rejected)."""
    settings = _settings(data_dir)

    async def run(runtime: Runtime) -> ImportReport:
        importer = RosterImporter(runtime.store, hasher_for(settings))
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            task = bar.add_task(f"importing {file.name}", total=None)
            return await importer.import_file(
                department,
                file.read_bytes(),
                file.name,
                CommandContext(actor=actor),
                department_name=name,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )

    report = _against_the_registry(settings, run)
    print_report(report)
    if report.rejected:
        raise typer.Exit(1)


@app.command("import-regions")
def import_regions(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".csv or .xlsx")],
    data_dir: Annotated[Path, typer.Option(help="the platform's data dir")] = Path(".shegong"),
    actor: Annotated[str, typer.Option(help="who imports")] = os.environ.get("USER", "cli"),
) -> None:
    """Load the region tree with urban population (区县, 乡镇街道, 社区村, 城镇常住人口)."""

    async def run(runtime: Runtime) -> RegionImportReport:
        return await RegionImporter(runtime.store).import_file(
            file.read_bytes(), file.name, CommandContext(actor=actor)
        )

    report = _against_the_registry(_settings(data_dir), run)
    console.print(
        f"rows read {report.rows_read:,} · regions {report.nodes:,} · new {report.new:,} · "
        f"changed {report.changed:,} · unchanged {report.unchanged:,} · rejected rows "
        f"{len({r['row'] for r in report.rejected}):,} · events {report.events:,}"
    )
    _print_rejections(report.rejected)
    if report.rejected:
        raise typer.Exit(1)


@app.command("import-expert-pool")
def import_expert_pool(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".csv or .xlsx")],
    data_dir: Annotated[Path, typer.Option(help="the platform's data dir")] = Path(".shegong"),
    actor: Annotated[str, typer.Option(help="who imports")] = os.environ.get("USER", "cli"),
) -> None:
    """Admit persons to the expert pool (专家库: 姓名, 身份证号, 入库日期); anyone below
    社会工作师 (intermediate) on the admission date is refused, with the reason."""
    from shegong.registry.application.census import ExpertPoolImporter, ExpertPoolReport

    settings = _settings(data_dir)

    async def run(runtime: Runtime) -> ExpertPoolReport:
        return await ExpertPoolImporter(runtime.store, hasher_for(settings)).import_file(
            file.read_bytes(), file.name, CommandContext(actor=actor)
        )

    report = _against_the_registry(settings, run)
    console.print(
        f"rows read {report.rows_read:,} · admitted {report.admitted:,} · already in the pool "
        f"{report.unchanged:,} · rejected rows {len({r['row'] for r in report.rejected}):,}"
    )
    _print_rejections(report.rejected)
    if report.rejected:
        raise typer.Exit(1)


def _against_the_registry(settings: ServiceSettings, work: Callable[[Runtime], Awaitable[R]]) -> R:
    """Run ``work`` on the registry's own store (the service's relay publishes it)."""
    from shegong.registry.main import SERVICE

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
    except RosterFileError as err:
        console.print(f"[bold red]file refused:[/] {err} / {err.message_zh}")
        raise typer.Exit(2) from err


def print_report(report: ImportReport) -> None:
    if report.department_created:
        console.print(f"new department [bold]{report.department}[/] created")
    console.print(
        f"rows read {report.rows_read:,} · new {report.new:,} · changed {report.changed:,} · "
        f"unchanged {report.unchanged:,} · rejected rows "
        f"{len({r['row'] for r in report.rejected}):,} · events {report.events:,}"
    )
    if report.ignored_columns:
        console.print(f"ignored columns: {', '.join(report.ignored_columns)}")
    _print_rejections(report.rejected)
    for w in report.warnings[:50]:
        console.print(f"  row {w['row']}: {w['warning']}")


def _print_rejections(rejected: list[dict[str, Any]]) -> None:
    if not rejected:
        return
    table = Table("行 row", "字段 field", "原因 reason", title="rejected 未导入")
    for r in rejected[:200]:
        table.add_row(str(r["row"]), r["field"] or "", f"{r['reason']} / {r['reason_zh'] or ''}")
    console.print(table)
    if len(rejected) > 200:
        console.print(f"… and {len(rejected) - 200} more")
