"""``shegong``: run the platform on this machine, or watch the demo.

shegong up [--data-dir DIR]     every service + a local Redis, until Ctrl-C
shegong demo                    a fresh platform, a scripted scenario, then stop
shegong auth issue|list|revoke|token   the platform's API keys
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from shegong.platform import auth_cli
from shegong.platform.credentials import credentials_path, write_credentials
from shegong.platform.launcher import Platform, PlatformError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="shegong (社工): the social-work workforce platform.",
)
console = Console(width=None if Console().is_terminal else 130, soft_wrap=True)
app.add_typer(auth_cli.app, name="auth")

DataDir = Annotated[Path, typer.Option("--data-dir", help="SQLite files, Redis AOF, logs")]


def _platform(data_dir: Path, log_level: str = "INFO") -> Platform:
    return Platform(
        data_dir=data_dir,
        redis_url=os.environ.get("REDIS_URL") or None,
        database_url=os.environ.get("DATABASE_URL") or None,
        stream_prefix=os.environ.get("STREAM_PREFIX", ""),
        log_level=log_level,
    )


def _stop_on_sigterm() -> None:
    # SIGTERM (systemd, docker stop, kill) must take the same clean path as Ctrl-C.
    def raise_interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, raise_interrupt)


@app.command()
def up(data_dir: DataDir = Path(".shegong")) -> None:
    """Start every service on the embedded default (SQLite + a local Redis) until Ctrl-C.

    With REDIS_URL / DATABASE_URL set, those are used instead (DATABASE_URL may contain
    {service}; each service gets its own database).
    """
    with running(_platform(data_dir), "starting shegong …") as platform:
        _save_credentials(platform)
        console.print("\n[bold green]shegong is up[/]")
        for svc in platform.services:
            if svc.definition.extras.get("web"):  # a web front-end: pages, no events
                console.print(f"  {svc.name:<10} {svc.url}   (open it in a browser)")
                continue
            console.print(
                f"  {svc.name:<10} {svc.url}   API docs {svc.url}/docs   "
                f"events {svc.url}/events   AsyncAPI {svc.url}/asyncapi"
            )
        assert platform.bus is not None
        console.print(f"  redis      {platform.bus.url}")
        console.print(
            f"\nAPI key (admin) for this machine saved in {credentials_path()};\n"
            '  curl -H "Authorization: Bearer $(uv run shegong auth token)" '
            f"{platform.service('registry').url}/workers"
        )
        console.print("\nPress Ctrl-C to stop.")
        # A service that ends (killed, crashed) is restarted, and the operator told.
        platform.supervise(report=lambda line: console.print(f"[bold red]![/] {line}"))


@app.command()
def demo(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="default: a fresh temp dir")
    ] = None,
    keep: Annotated[bool, typer.Option("--keep", help="keep the platform up afterwards")] = False,
) -> None:
    """Run a scripted scenario against a fresh platform and print what happened."""
    from shegong.platform.demo import run_demo

    with tempfile.TemporaryDirectory(prefix="shegong-demo-") as tmp:
        fresh = _platform(data_dir or Path(tmp), log_level="WARNING")
        with running(fresh, "starting a fresh shegong (SQLite + local Redis) …") as platform:
            run_demo(platform, console)
            if keep:
                with _credentials_while_up(platform):
                    for svc in platform.services:
                        if svc.definition.extras.get("web"):
                            console.print(f"\nLook around in the {svc.name}: {svc.url}")
                    console.print("\nThe platform stays up; press Ctrl-C to stop.")
                    signal.pause()


def _save_credentials(platform: Platform) -> None:
    registry = platform.service("registry").url
    services = {s.name: s.url for s in platform.services}
    write_credentials(registry, platform.admin_key, platform.data_dir, services)


@contextmanager
def _credentials_while_up(platform: Platform) -> Iterator[None]:
    """The kept demo's key for this user, then back to what was there (``shegong up``'s)."""
    path = credentials_path()
    before = path.read_bytes() if path.exists() else None
    _save_credentials(platform)
    console.print(f"its admin key is in {path} until it stops")
    try:
        yield
    finally:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(before)


@contextmanager
def running(platform: Platform, status: str) -> Iterator[Platform]:
    """Start the platform; whatever happens inside (Ctrl-C, SIGTERM, an error), stop it."""
    _stop_on_sigterm()
    try:
        with console.status(status):
            platform.start(progress=lambda line: console.print(f"  {line}"))
        yield platform
    except PlatformError as err:
        console.print(f"[bold red]shegong could not start:[/] {err}")
        raise typer.Exit(1) from err
    except KeyboardInterrupt:
        console.print("\nstopping …")
    finally:
        platform.stop()
        console.print("stopped; nothing left running.")


def _add_service_commands() -> None:
    """Each service contributes its own sub-commands (``shegong registry import-roster``)."""
    from importlib.metadata import entry_points

    for ep in entry_points(group="shegong.cli"):
        app.add_typer(ep.load(), name=ep.name)
    # ``shegong report <what>``: each service contributes the reports of its indicators.
    reports = typer.Typer(
        help="指标报表 indicator reports (table, json or csv).", no_args_is_help=True
    )
    for ep in sorted(entry_points(group="shegong.reports"), key=lambda e: e.name):
        reports.command(ep.name)(ep.load())
    app.add_typer(reports, name="report")


def main() -> None:
    _add_service_commands()
    app()


if __name__ == "__main__":
    main()
