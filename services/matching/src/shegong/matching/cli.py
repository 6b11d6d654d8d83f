"""``shegong matching …`` and ``shegong report services``: run against matching's database."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import sys
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from shegong.kernel.db import create_engine, writing
from shegong.matching.adapters.tables import metadata as tables_metadata
from shegong.matching.application.hours_export import ledger_rows, to_csv
from shegong.matching.application.indicators import flat_rows, service_indicators
from shegong.matching.projections.workforce import training_metadata, workforce_metadata
from shegong.matching.settings import MatchingSettings

R = TypeVar("R")

app = typer.Typer(
    help="居民点单、社工接单 matching: hours ledger, needs surveys.", no_args_is_help=True
)
console = Console(soft_wrap=True)

DataDir = Annotated[Path, typer.Option(help="the platform's data dir")]


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def _settings(data_dir: Path) -> MatchingSettings:
    overrides = {} if os.environ.get("DATA_DIR") else {"data_dir": str(data_dir.resolve())}
    return MatchingSettings(**overrides)  # type: ignore[arg-type]


def against_matching(data_dir: Path, work: Callable[[AsyncEngine], Awaitable[R]]) -> R:
    """Run ``work`` on matching's own database (created empty if it is not there yet)."""
    engine = create_engine(_settings(data_dir).database_for("matching"))

    async def run() -> R:
        try:
            async with writing(engine) as conn:
                for md in (tables_metadata, workforce_metadata, training_metadata):
                    await conn.run_sync(md.create_all)
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def report_services(
    year: Annotated[int, typer.Option(help="calendar year, e.g. 2024")],
    region: Annotated[str | None, typer.Option(help="region path, e.g. 安定区/永定路街道")] = None,
    format: Annotated[Format, typer.Option("--format", help="table, json or csv")] = Format.TABLE,
    data_dir: DataDir = Path(".shegong"),
) -> None:
    """Service indicators (服务指标): orders, acceptance, escalation, follow-up, hours."""
    report = against_matching(data_dir, lambda e: service_indicators(e, year, region))
    if format == Format.JSON:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    lines = flat_rows(report)
    if format == Format.CSV:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(("indicator", "value"))
        writer.writerows(lines)
        return
    table = Table("indicator 指标", "value", title=f"services {year} · {region or 'all regions'}")
    for name, value in lines:
        table.add_row(name, value)
    console.print(table)


@app.command("export-hours")
def export_hours(
    out: Annotated[Path, typer.Option(help="CSV file to write")],
    year: Annotated[int | None, typer.Option(help="only this year")] = None,
    data_dir: DataDir = Path(".shegong"),
) -> None:
    """Write the hours ledger as volunteer service records (志愿服务记录) to a CSV file."""
    rows = against_matching(data_dir, lambda e: ledger_rows(e, year))
    out.write_text(to_csv(rows), encoding="utf-8")
    console.print(f"{len(rows)} records → {out}")
