"""``shegong training …`` and ``shegong report training``: clients of the training
service's HTTP API (``shegong.platform.client``), with a key — the actor recorded is the
key's name. Imports nothing of the service (the ``shegong`` command loads it at start)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from shegong.kernel.data.formula import csv_text
from shegong.platform.client import (
    Api,
    DataDirOption,
    KeyFileOption,
    KeyOption,
    connect,
    out,
    positions_text,
    url_option,
    write_out,
)
from shegong.platform.import_jobs import import_exit, rejections_table, run_import

app = typer.Typer(
    rich_markup_mode=None,  # plain help: rich help formatting costs 0.3 s at every start
    help="培训 training: sign-in sheets, exam results (reports: shegong report training).",
    no_args_is_help=True,
)

File = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".csv or .xlsx")]
Url = Annotated[str | None, url_option("training")]


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def _training(
    url: str | None, key: str | None, data_dir: Path | None, key_file: Path | None
) -> Api:
    return connect("training", url, key, data_dir, key_file)


@app.command("import-signin")
def import_signin(
    file: File,
    session: Annotated[str, typer.Option("--session", help="Session id")],
    url: Url = None,
    key: KeyOption = None,
    key_file: KeyFileOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Import a sign-in sheet (签到表: 姓名, 身份证号 and/or 手机号 — or 姓名 and 工作单位 —,
    签到时间) for a session."""
    api = _training(url, key, data_dir, key_file)
    report = run_import(
        api,
        f"/sessions/{session}/signin-sheet",
        f"importing {file.name}",
        files={"file": (file.name, file.read_bytes())},
    )
    _finish(report)


@app.command("import-exams")
def import_exams(
    file: File,
    year: Annotated[
        int | None,
        typer.Option(
            min=2000, max=2100, help="The exam's year, where neither the sheet nor its name says it"
        ),
    ] = None,
    url: Url = None,
    key: KeyOption = None,
    key_file: KeyFileOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Import national exam results (姓名, 身份证号, 考试年度, 级别, 是否通过
    [, 证书编号, 取证日期])."""
    api = _training(url, key, data_dir, key_file)
    report = run_import(
        api,
        "/imports/exam-results",
        f"importing {file.name}",
        files={"file": (file.name, file.read_bytes())},
        **({"data": {"exam_year": str(year)}} if year is not None else {}),
    )
    _finish(report)


def report_training(
    year: Annotated[int, typer.Option(min=2000, max=2100, help="e.g. 2025")],
    region: Annotated[str | None, typer.Option(help="Region path, e.g. 安定区")] = None,
    format: Annotated[Format, typer.Option("--format", help="table, json or csv")] = Format.TABLE,
    url: Url = None,
    key: KeyOption = None,
    key_file: KeyFileOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Training indicators for a year (培训指标): sessions, person-times, trainees, hours…"""
    params: dict[str, Any] = {"year": year, **({"region": region} if region else {})}
    figures = _training(url, key, data_dir, key_file).json(
        "GET", "/indicators/training", params=params
    )
    if format is Format.JSON:
        write_out(json.dumps(figures, ensure_ascii=False, indent=2, default=str) + "\n")
    elif format is Format.CSV:
        # The node named them: no cell runs as a formula in a spreadsheet (round 13).
        write_out(csv_text([("indicator", "指标", "value"), *flat_rows(figures)]))
    else:
        from rich.table import Table

        table = Table("indicator", "指标", "value", title=f"training {year} {region or ''}")
        for name, label, value in flat_rows(figures):
            table.add_row(name, label, str(value))
        out.print(table)
        out.print(f"as of event positions {positions_text(figures['as_of'])}", style="dim")


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


def _finish(report: dict[str, Any]) -> None:
    out.print(
        f"rows read {report['rows_read']:,} · recorded {report['recorded']:,} · "
        + (f"completed 结业 {report['completed']:,} · " if report.get("completed") else "")
        + f"repeated "
        f"{len(report['repeated']):,} · rejected {len(report['rejected']):,} · events "
        f"{report['events']:,}"
    )
    if report["repeated"]:
        from rich.table import Table

        table = Table("行 row", "姓名 name", "说明", title="counted once 重复，只计一次")
        for r in report["repeated"][:200]:
            table.add_row(str(r["row"]), r["name"] or "", f"{r['reason']} / {r['reason_zh']}")
        out.print(table)
    rejections_table(report["rejected"], with_name=True)
    skipped = report.get("skipped_lines") or []
    if skipped:
        shown = "; ".join(
            (f"{s['sheet']} " if s.get("sheet") else "") + f"row {s['row']} {s.get('name') or ''}"
            for s in skipped[:5]
        )
        out.print(
            f"lines of the form skipped (合计、填表人、重复的表头) 已跳过表格说明行: "
            f"{len(skipped):,} — {shown}" + (" …" if len(skipped) > 5 else "")
        )
    # a line of a printed sheet holds two people, a workbook several sheets: each its own
    rejected_rows = len({(r.get("sheet"), r["row"], r["name"]) for r in report["rejected"]})
    import_exit(report["rows_read"], rejected_rows)
