"""``shegong report annual``: the annual report as DOCX, XLSX or PDF, from the services'
HTTP APIs (the URLs and key ``shegong up`` saved, or --*-url / REGISTRY_URL … and
SHEGONG_API_KEY); --publish freezes it, --from-published regenerates a frozen one,
--changes-since lists what changed since publication."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console


@cache
def _stderr() -> Console:
    """rich loads when something is printed, not at every start of ``shegong``."""
    from rich.console import Console

    return Console(stderr=True)


class Format(StrEnum):
    DOCX = "docx"
    XLSX = "xlsx"
    PDF = "pdf"


def _connection(
    registry: str | None, training: str | None, matching: str | None
) -> tuple[dict[str, str], str | None]:
    services: dict[str, str] = {}
    saved_key: str | None = None
    try:  # the platform `shegong up` runs here (its discovery file and saved key)
        from shegong.platform.client import find_platform, local_key

        found = find_platform(None)
        if found is not None:
            services, saved_key = dict(found.services), local_key(found.data_dir)
    except ImportError:  # the report installed without the platform's command
        pass
    urls = {
        name: given or os.environ.get(f"{name.upper()}_URL") or services.get(name) or ""
        for name, given in (("registry", registry), ("training", training), ("matching", matching))
    }
    missing = [n for n, u in urls.items() if not u]
    if missing:
        raise typer.BadParameter(
            f"no URL for {', '.join(missing)}: start the platform (shegong up) or give "
            f"--{missing[0]}-url / {missing[0].upper()}_URL"
        )
    return urls, os.environ.get("SHEGONG_API_KEY") or saved_key


async def _with_services(urls: dict[str, str], key: str | None, work: Any) -> Any:
    # Imported here: ``shegong --help`` lists this command without loading an HTTP client.
    from shegong.report.figures import HttpGet

    get = HttpGet(urls, key)
    try:
        return await work(get)
    finally:
        await get.aclose()


def _render(figures: dict[str, Any], fmt: Format) -> bytes:
    from shegong.report.document import build_docx

    if fmt is Format.XLSX:
        from shegong.report.tables import build_xlsx

        return build_xlsx(figures)
    docx = build_docx(figures)
    if fmt is Format.PDF:
        from shegong.report.pdf import PdfUnavailable, docx_to_pdf

        try:
            return docx_to_pdf(docx)
        except PdfUnavailable as err:
            _stderr().print(f"[bold red]{err}[/]")
            raise typer.Exit(3) from err
    return docx


def _show_changes(found: dict[str, Any]) -> None:
    pub = found["published"]
    _stderr().print(f"published {pub['at']} by {pub['by']}; positions then {found['positions']}")
    _stderr().print(f"positions now {found['positions_now']}", style="dim")
    _stderr().print(
        f"{len(found['events_since'])} events since publication can move figures; "
        f"{len(found['changed'])} figures changed, {found['unchanged']} unchanged"
    )
    from rich.console import Console
    from rich.table import Table

    table = Table("figure 指标", "published 发布时", "now 现在", "events that move it 更正")

    def shown_value(v: Any) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    for m in found["changed"]:
        events = m["events"]
        shown = ", ".join(f"{e['service']}#{e['position']} {e['type']}" for e in events[:4])
        more = f" … +{len(events) - 4}" if len(events) > 4 else ""
        table.add_row(
            f"{m['label']} ({m['figure']})",
            shown_value(m["published"]),
            shown_value(m["now"]),
            (shown + more) or "—",
        )
    Console().print(table)


def annual(
    year: Annotated[int, typer.Option(min=2000, max=2100, help="the report's year")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="the file to write")] = None,
    region: Annotated[str | None, typer.Option(help="region code, e.g. 安定区")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="a day of the year (default 31 Dec)")
    ] = None,
    format: Annotated[Format | None, typer.Option(help="docx, xlsx or pdf (default: -o's)")] = None,
    publish: Annotated[
        Path | None, typer.Option(help="freeze: write the published report (figures, positions)")
    ] = None,
    from_published: Annotated[
        Path | None, typer.Option(help="regenerate a published report, identical; asks no service")
    ] = None,
    changes_since: Annotated[
        Path | None, typer.Option(help="what changed since this published report (as JSON: -o)")
    ] = None,
    by: Annotated[str | None, typer.Option(help="who publishes (default: your login)")] = None,
    registry_url: Annotated[
        str | None, typer.Option(help="default: REGISTRY_URL, shegong up's")
    ] = None,
    training_url: Annotated[
        str | None, typer.Option(help="default: TRAINING_URL, shegong up's")
    ] = None,
    matching_url: Annotated[
        str | None, typer.Option(help="default: MATCHING_URL, shegong up's")
    ] = None,
) -> None:
    """年度报告 the annual workforce and services report (DOCX, the province's XLSX, PDF)."""
    from shegong.report import publish as published

    if changes_since is not None:
        urls, key = _connection(registry_url, training_url, matching_url)
        record = published.load(changes_since)
        import asyncio

        found = asyncio.run(_with_services(urls, key, lambda g: published.changes(g, record)))
        if output is not None:
            output.write_text(json.dumps(found, ensure_ascii=False, indent=1) + "\n")
        _show_changes(found)
        return
    if output is None:
        raise typer.BadParameter("give -o FILE (报告.docx, 报表.xlsx or 报告.pdf)")
    fmt = format or Format(output.suffix.lstrip(".").lower() or "docx")
    if from_published is not None:
        from shegong.report.pdf import PdfUnavailable

        record = published.load(from_published)
        try:
            output.write_bytes(published.render(record, fmt.value))
        except PdfUnavailable as err:
            _stderr().print(f"[bold red]{err}[/]")
            raise typer.Exit(3) from err
        _stderr().print(f"{output}: the report published {record['published']['at']}, unchanged")
        return
    day = date.fromisoformat(as_of) if as_of else None
    urls, key = _connection(registry_url, training_url, matching_url)
    try:
        import asyncio

        from shegong.report.figures import collect

        figures = asyncio.run(_with_services(urls, key, lambda g: collect(g, year, region, day)))
    except (ValueError, LookupError) as err:
        _stderr().print(f"[bold red]{err}[/]")
        raise typer.Exit(2) from err
    if publish is not None:
        record = published.publish(figures, by or _user(), publish)
        figures = record["figures"]
        _stderr().print(f"published: {publish} (positions {record['positions']})")
    output.write_bytes(_render(figures, fmt))
    _stderr().print(f"{output} written ({fmt.value}, as of {figures['as_of_date']})")
    sys.stdout.flush()


def _user() -> str:
    import getpass

    return getpass.getuser()
