"""``shegong matching …`` and ``shegong report services``: clients of matching's HTTP
API (``shegong.platform.client``), with a key. Imports nothing of the service (the
``shegong`` command loads this module at start)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from shegong.kernel.data.formula import csv_text, safe_csv
from shegong.platform.client import (
    Api,
    DataDirOption,
    KeyFileOption,
    KeyOption,
    connect,
    out,
    url_option,
    write_out,
)
from shegong.platform.import_jobs import import_exit, rejections_table, run_import

app = typer.Typer(
    rich_markup_mode=None,  # plain help: rich help formatting costs 0.3 s at every start
    help="居民点单、社工接单 matching: hours ledger, needs surveys.",
    no_args_is_help=True,
)
Url = Annotated[str | None, url_option("matching")]


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def _matching(
    url: str | None, key: str | None, data_dir: Path | None, key_file: Path | None
) -> Api:
    return connect("matching", url, key, data_dir, key_file)


def report_services(
    year: Annotated[int, typer.Option(min=2000, max=2100, help="calendar year, e.g. 2024")],
    region: Annotated[str | None, typer.Option(help="region path, e.g. 安定区/永定路街道")] = None,
    format: Annotated[Format, typer.Option("--format", help="table, json or csv")] = Format.TABLE,
    url: Url = None,
    key: KeyOption = None,
    key_file: KeyFileOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Service indicators (服务指标): orders, acceptance, escalation, follow-up, hours."""
    params: dict[str, Any] = {"year": year, **({"region": region} if region else {})}
    report = _matching(url, key, data_dir, key_file).json(
        "GET", "/indicators/services", params=params
    )
    if format is Format.JSON:
        write_out(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        return
    lines = flat_rows(report)
    if format is Format.CSV:
        # The node named them: no cell runs as a formula in a spreadsheet (round 13).
        write_out(csv_text([("indicator", "value"), *lines]))
        return
    from rich.table import Table

    table = Table("indicator 指标", "value", title=f"services {year} · {region or 'all regions'}")
    for name, value in lines:
        table.add_row(name, value)
    out.print(table)


@app.command("export-hours")
def export_hours(
    out_file: Annotated[Path, typer.Option("--out", help="CSV file to write")],
    year: Annotated[int | None, typer.Option(min=2000, max=2100, help="only this year")] = None,
    url: Url = None,
    key: KeyOption = None,
    key_file: KeyFileOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Write the hours ledger as volunteer service records (志愿服务记录) to a CSV file."""
    params = {"year": year} if year else {}
    body = (
        _matching(url, key, data_dir, key_file)
        .ok("GET", "/hours/export.csv", params=params)
        .content
    )
    from shegong.kernel.ops.private_file import write_private  # only when writing

    # As the node sent it, unless a cell would run as a formula (round 13).
    body = safe_csv(body.decode("utf-8")).encode("utf-8")
    write_private(out_file, body)  # names and hours of people: the user's only
    records = max(len(body.decode("utf-8-sig").splitlines()) - 1, 0)
    out.print(f"{records} records → {out_file}")


@app.command("import-needs")
def import_needs(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".csv or .xlsx")],
    url: Url = None,
    key: KeyOption = None,
    key_file: KeyFileOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Import a needs survey (需求调查: 区县, 街道, 社区, 户号, 服务对象, 服务需求)."""
    report = run_import(
        _matching(url, key, data_dir, key_file),
        "/imports/needs-survey",
        f"importing {file.name}",
        files={"file": (file.name, file.read_bytes())},
    )
    shown = {k: v for k, v in report.items() if isinstance(v, int | float)}
    out.print(" · ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in shown.items()))
    rejected = report.get("rejected") or []
    rejections_table(rejected)
    import_exit(int(report.get("rows_read", 0)), len({r["row"] for r in rejected}))


def flat_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    """The report as (indicator, value) lines, for a table or a CSV."""
    out: list[tuple[str, str]] = [("requests 点单数", str(report["requests"]))]
    for code, v in report["by_target_group"].items():
        out.append((f"requests · {v['label_zh']} {code}", str(v["requests"])))
    for code, v in report["by_service_type"].items():
        out.append((f"requests · {v['label_zh']} {code}", str(v["requests"])))
    out += [
        ("acceptance rate 接单率", _pct(report["acceptance_rate"])),
        ("time to accept, median (s)", _num(report["time_to_accept_s"]["median"])),
        ("time to accept, p90 (s)", _num(report["time_to_accept_s"]["p90"])),
    ]
    for level, rate in report["escalation_rate"].items():
        out.append((f"escalated to {level} 升级率", _pct(rate)))
    out += [
        ("completion rate 完成率", _pct(report["completion_rate"])),
        ("follow-up coverage 回访率", _pct(report["follow_up_coverage"])),
        ("mean satisfaction 满意度", _num(report["mean_satisfaction"])),
        ("volunteer hours 志愿服务时长", _num(report["hours"]["volunteer"])),
        ("all service hours 服务总时长", _num(report["hours"]["total"])),
        ("programme check-ins 打卡人次", str(report["programme_attendance"]["check_ins"])),
    ]
    return out


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"
