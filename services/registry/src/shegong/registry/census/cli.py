"""``shegong census …`` and ``shegong report workforce``: the census from the command line,
run against the registry's database (the same data dir / DATABASE_URL as the service)."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from shegong.kernel.db import reading
from shegong.kernel.runtime import Runtime
from shegong.registry.api.census import export_csv
from shegong.registry.census import queries
from shegong.registry.census.indicators import INDICATOR_KEYS, format_table
from shegong.registry.cli import _against_the_registry, _settings, console

R = TypeVar("R")

app = typer.Typer(
    help="人员库普查 the city census: persons, review queue, export.", no_args_is_help=True
)

DataDir = Annotated[Path, typer.Option(help="the platform's data dir")]


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


class ReportFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def _read(data_dir: Path, query: Callable[[Any], Awaitable[R]]) -> R:
    async def run(runtime: Runtime) -> R:
        async with reading(runtime.engine) as conn:
            return await query(conn)

    return _against_the_registry(_settings(data_dir), run)


@app.command()
def export(
    format: Annotated[ExportFormat, typer.Option(help="csv or json")] = ExportFormat.CSV,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file; default stdout")
    ] = None,
    data_dir: DataDir = Path(".shegong"),
) -> None:
    """One row per person, with every department record merged into it (department:record_id)."""
    rows = _read(data_dir, queries.export_persons)
    text = (
        json.dumps(rows, ensure_ascii=False, indent=1, default=str)
        if format is ExportFormat.JSON
        else export_csv(rows)
    )
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"{len(rows):,} persons written to {output}", style="green")


@app.command()
def status(data_dir: DataDir = Path(".shegong")) -> None:
    """Records, persons, pairs awaiting review, and the event positions applied."""
    s = _read(data_dir, queries.status)
    console.print(
        f"records {s['records']:,} · persons {s['persons']:,} · in review {s['in_review']:,}"
    )
    console.print(f"as of {s['as_of']['positions']}", style="dim")


@app.command()
def review(
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    data_dir: DataDir = Path(".shegong"),
) -> None:
    """The pairs the rules cannot decide (decide them with POST /census/review)."""
    q = _read(data_dir, lambda conn: queries.review_queue(conn, limit=limit))
    console.print(f"{q['total']:,} pairs await a decision 待人工判定")
    for p in q["pairs"]:
        a, b = p["a"], p["b"]
        console.print(
            f"  {a['key']} {a.get('name', '')} ⟷ {b['key']} {b.get('name', '')}: {p['reason']}"
        )


def workforce(
    year: Annotated[int, typer.Option(min=2000, max=2100, help="as of 31 December")],
    region: Annotated[str | None, typer.Option(help="region code, e.g. 安定区")] = None,
    format: Annotated[ReportFormat, typer.Option(help="table, json or csv")] = ReportFormat.TABLE,
    data_dir: DataDir = Path(".shegong"),
) -> None:
    """Workforce indicators (社会工作人才指标) for the city or a region, as of 31 Dec YEAR."""
    try:
        ind = _read(data_dir, lambda conn: queries.workforce(conn, year, region))
    except ValueError as err:
        console.print(f"[bold red]{err}[/]")
        raise typer.Exit(2) from err
    if format is ReportFormat.JSON:
        sys.stdout.write(json.dumps(ind, ensure_ascii=False, indent=1) + "\n")
    elif format is ReportFormat.CSV:
        sys.stdout.write(indicators_csv(ind))
    else:
        console.print(f"社会工作人才指标 workforce indicators {year} · {region or '全市 city'}")
        console.print(format_table(ind))
        console.print(f"as of event positions {ind['as_of']['positions']}", style="dim")


def indicators_csv(ind: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["indicator", "value"])
    for key in INDICATOR_KEYS:
        value = ind.get(key)
        if isinstance(value, dict):
            for sub, n in value.items():
                writer.writerow([f"{key}.{sub}", n])
        else:
            writer.writerow([key, "" if value is None else value])
    return out.getvalue()
