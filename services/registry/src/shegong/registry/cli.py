"""``shegong registry …``, ``shegong census …`` and ``shegong report workforce``: clients of
the registry's HTTP API (``shegong.platform.client``), with a key, so the key's scope and
the audit apply and the actor recorded is the key's name.

Imports nothing of the registry itself (the ``shegong`` command loads this module at start);
the service's own operations commands (migrate, rebuild) are ``python -m shegong.registry``.
"""

from __future__ import annotations

import csv
import io
import json
import time
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
    err,
    fail,
    out,
    positions_text,
    url_option,
    write_out,
)
from shegong.platform.import_jobs import (
    import_exit,
    progress_bar,
    rejections_table,
    run_import,
)

app = typer.Typer(
    rich_markup_mode=None,  # plain help: rich help formatting costs 0.3 s at every start
    help="人员库 registry: rosters, regions, the expert pool.",
    no_args_is_help=True,
)
census_app = typer.Typer(
    rich_markup_mode=None,  # plain help: rich help formatting costs 0.3 s at every start
    help="人员库普查 the city census: status, review queue, export.",
    no_args_is_help=True,
)

File = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".csv or .xlsx")]
Url = Annotated[str | None, url_option("registry")]


def _registry(
    url: str | None, key: str | None, data_dir: Path | None, key_file: Path | None
) -> Api:
    return connect("registry", url, key, data_dir, key_file)


def _upload(file: Path) -> dict[str, Any]:
    return {"files": {"file": (file.name, file.read_bytes())}}


@app.command("import-roster")
def import_roster(
    file: File,
    department: Annotated[str, typer.Option(help="Department code, e.g. civil-affairs")],
    name: Annotated[str | None, typer.Option(help="Department name, e.g. 民政局")] = None,
    url: Url = None,
    key: KeyOption = None,
    key_file: KeyFileOption = None,
    data_dir: DataDirOption = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="wait until the census has linked the file (the default), so that what "
            "you ask next counts it",
        ),
    ] = True,
) -> None:
    """Import a department's roster (花名册) and print the report (rows new/changed/rejected),
    then wait until the census has linked it.

    Exit 0 when the good rows went in (rejected rows are listed), 1 when nothing could be."""
    form = {"department": department, **({"department_name": name} if name else {})}
    api = _registry(url, key, data_dir, key_file)
    report = run_import(
        api, "/imports/roster", f"importing {file.name}", data=form, **_upload(file)
    )
    print_report(report)
    if wait:
        wait_for_census(api, report.get("last_position"))
    import_exit(report["rows_read"], report["rejected_rows"])


CENSUS_PATIENCE_S = 900.0


def wait_for_census(api: Api, position: int | None) -> None:
    """Until the census has linked the import's records (applied its last event), so that
    the export and the reports asked next count the file; says so if it takes too long."""
    status = api.json("GET", "/census/status")
    if position and _applied(status) < position:
        from rich.progress import TimeElapsedColumn

        deadline = time.monotonic() + CENSUS_PATIENCE_S
        with progress_bar(TimeElapsedColumn(), transient=True) as bar:
            task = bar.add_task("人员库比对 linking into the census", total=None)
            while (seen := _applied(status)) < position:
                if time.monotonic() > deadline:
                    err.print(
                        f"人员库尚未完成本次导入的比对（事件 {seen:,} / {position:,}），"
                        "完成后统计将包含本文件 / "
                        f"the census has not linked this import yet (event {seen:,} of "
                        f"{position:,}); its figures will include the file once it has"
                    )
                    return
                records = f"{status['records']:,} records"
                bar.update(task, description=f"人员库比对 linking into the census: {records}")
                time.sleep(0.3)
                status = api.json("GET", "/census/status")
    out.print(
        f"census 人员库: records {status['records']:,} · persons {status['persons']:,} · "
        f"in review {status['in_review']:,}"
    )


def _applied(status: dict[str, Any]) -> int:
    return max(status["as_of"]["positions"].values(), default=0)


@app.command("import-regions")
def import_regions(
    file: File,
    url: Url = None,
    key: KeyOption = None,
    key_file: KeyFileOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Load the region tree with urban population (区县, 乡镇街道, 社区村, 城镇常住人口)."""
    api = _registry(url, key, data_dir, key_file)
    report = run_import(api, "/imports/regions", f"importing {file.name}", **_upload(file))
    rejected = report.get("rejected_rows", len({r["row"] for r in report["rejected"]}))
    out.print(
        f"rows read {report['rows_read']:,} · regions {report['nodes']:,} · new "
        f"{report['new']:,} · changed {report['changed']:,} · unchanged {report['unchanged']:,}"
        f" · rejected rows {rejected:,} · events {report['events']:,}"
    )
    rejections_table(report["rejected"])
    import_exit(report["rows_read"], rejected)


@app.command("import-expert-pool")
def import_expert_pool(
    file: File,
    url: Url = None,
    key: KeyOption = None,
    key_file: KeyFileOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Admit persons to the expert pool (专家库: 姓名, 身份证号, 入库日期); anyone below
    社会工作师 (intermediate) on the admission date is refused, with the reason."""
    api = _registry(url, key, data_dir, key_file)
    report = run_import(api, "/imports/expert-pool", f"importing {file.name}", **_upload(file))
    rejected = report.get("rejected_rows", len({r["row"] for r in report["rejected"]}))
    out.print(
        f"rows read {report['rows_read']:,} · admitted {report['admitted']:,} · already in the "
        f"pool {report['unchanged']:,} · rejected rows {rejected:,}"
    )
    rejections_table(report["rejected"])
    import_exit(report["rows_read"], rejected)


def print_report(report: dict[str, Any]) -> None:
    if report.get("department_created"):
        out.print(f"new department {report['department']} created", style="bold")
    out.print(
        f"rows read {report['rows_read']:,} · new {report['new']:,} · changed "
        f"{report['changed']:,} · unchanged {report['unchanged']:,} · rejected rows "
        f"{report['rejected_rows']:,} · events {report['events']:,}"
    )
    if len(report.get("sheets") or ()) > 1 or report.get("skipped_sheets"):
        out.print(f"sheets read 已读取工作表: {'、'.join(report.get('sheets') or ()) or '-'}")
    if report.get("skipped_sheets"):
        out.print(
            "sheets skipped (no 姓名 header row) 未读取（无“姓名”表头）: "
            + "、".join(report["skipped_sheets"])
        )
    if report.get("ignored_columns"):
        out.print(f"ignored columns: {', '.join(report['ignored_columns'])}")
    rejections_table(report["rejected"])
    skipped = report.get("skipped_lines") or []
    if skipped:
        shown = "; ".join(_at(s) + f" {s.get('value') or ''}" for s in skipped[:5])
        out.print(
            f"lines of the form skipped (合计、填表人、重复的表头) 已跳过表格说明行: "
            f"{len(skipped):,} — {shown}" + (" …" if len(skipped) > 5 else "")
        )
    for w in report.get("warnings", [])[:50]:
        sheet = f"{w['sheet']} " if w.get("sheet") else ""
        out.print(f"  {sheet}row {w['row']}: {w['warning']}")


def _at(entry: dict[str, Any]) -> str:
    return f"{entry['sheet']} row {entry['row']}" if entry.get("sheet") else f"row {entry['row']}"


# --- the census ---------------------------------------------------------------------------


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


class ReportFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


@census_app.command()
def export(
    format: Annotated[ExportFormat, typer.Option(help="csv or json")] = ExportFormat.CSV,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file; default stdout")
    ] = None,
    url: Url = None,
    key: KeyOption = None,
    key_file: KeyFileOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """One row per person, with every department record merged into it (department:record_id)."""
    api = _registry(url, key, data_dir, key_file)
    text = api.ok("GET", "/census/export", params={"format": format.value}).text
    if format is ExportFormat.CSV:  # as the node sent it, unless a cell would run (round 13)
        text = safe_csv(text)
    if output is None:
        write_out(text)
        return
    from shegong.kernel.ops.private_file import write_private  # only when writing

    write_private(output, text.encode("utf-8"))  # personal data: the user's only
    persons = (
        len(json.loads(text))
        if format is ExportFormat.JSON
        else max(len(list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))) - 1, 0)
    )
    out.print(f"{persons:,} persons written to {output}", style="green")


@census_app.command()
def status(
    url: Url = None,
    key: KeyOption = None,
    key_file: KeyFileOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Records, persons, pairs awaiting review, and the event positions applied."""
    s = _registry(url, key, data_dir, key_file).json("GET", "/census/status")
    out.print(f"records {s['records']:,} · persons {s['persons']:,} · in review {s['in_review']:,}")
    out.print(f"as of event positions {_positions(s['as_of'])}", style="dim")


@census_app.command()
def review(
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    url: Url = None,
    key: KeyOption = None,
    key_file: KeyFileOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """The pairs the rules cannot decide (decide them with POST /census/review)."""
    q = _registry(url, key, data_dir, key_file).json(
        "GET", "/census/review", params={"limit": limit}
    )
    out.print(f"{q['total']:,} pairs await a decision 待人工判定")
    for p in q["pairs"]:
        a, b = p["a"], p["b"]
        out.print(
            f"  {a['key']} {a.get('name', '')} ⟷ {b['key']} {b.get('name', '')}: {p['reason']}"
        )


def report_workforce(
    year: Annotated[int, typer.Option(min=2000, max=2100, help="as of 31 December")],
    region: Annotated[
        str | None, typer.Option(help="region, e.g. 安定区 (import the region tree first)")
    ] = None,
    format: Annotated[ReportFormat, typer.Option(help="table, json or csv")] = ReportFormat.TABLE,
    url: Url = None,
    key: KeyOption = None,
    key_file: KeyFileOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Workforce indicators (社会工作人才指标) for the city or a region, as of 31 Dec YEAR."""
    api = _registry(url, key, data_dir, key_file)
    params: dict[str, Any] = {"year": year, **({"region": region} if region else {})}
    resp = api.request("GET", "/indicators/workforce", params=params)
    if resp.status_code == 404 and region:
        regions = api.json("GET", "/regions")
        hint = (
            "没有导入区划：请先导入区划 no region tree yet — import it first: "
            "uv run shegong registry import-regions regions.csv "
            "(区县, 乡镇街道, 社区村, 城镇常住人口)"
            if not _has_regions(regions)
            else "GET /regions lists the known regions (已导入的区划)"
        )
        fail(f"未知区划 unknown region {region!r}: {hint}", code=2)
    if resp.is_error:
        api.ok("GET", "/indicators/workforce", params=params)  # says why, exits 1
    ind = resp.json()
    if format is ReportFormat.JSON:
        write_out(json.dumps(ind, ensure_ascii=False, indent=1) + "\n")
    elif format is ReportFormat.CSV:
        write_out(indicators_csv(ind))
    else:
        table = api.ok("GET", "/indicators/workforce", params={**params, "format": "table"}).text
        out.print(f"社会工作人才指标 workforce indicators {year} · {region or '全市 city'}")
        out.print(table, markup=False, highlight=False)
        out.print(f"as of event positions {_positions(ind['as_of'])}", style="dim")


def _has_regions(regions: Any) -> bool:
    if isinstance(regions, dict):
        return bool(regions.get("regions") or regions.get("items") or regions.get("children"))
    return bool(regions)


def _positions(as_of: dict[str, Any]) -> str:
    return positions_text(as_of.get("positions", {}))


META = ("year", "region", "as_of", "labels_zh", "label_zh", "labels", "as_of_date")


def indicators_csv(ind: dict[str, Any]) -> str:
    """indicator,value — one line per figure, in the service's order; a breakdown as key.sub."""
    rows: list[list[Any]] = [["indicator", "value"]]
    for name, value in ind.items():
        if name in META:
            continue
        if isinstance(value, dict):
            rows += [[f"{name}.{sub}", n] for sub, n in value.items()]
        else:
            rows.append([name, value])
    return csv_text(rows)  # the node named them: no cell runs as a formula (round 13)
