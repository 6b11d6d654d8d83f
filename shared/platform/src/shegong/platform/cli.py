"""``shegong``: run the platform on this machine, watch the demo, and work with it.

shegong up [--data-dir DIR]     every service + a local Redis, until Ctrl-C
shegong demo                    a fresh platform, a scripted scenario, then stop
shegong status                  where the platform is and whether it answers
shegong auth issue|list|revoke|token|whoami   the platform's API keys
shegong registry|census|training|matching|report …   clients of the services' HTTP APIs

Every command but ``up`` and ``demo`` is a client (``client.py``): it finds the running
platform from the discovery file ``up`` writes, or ``--url``/``--key``. Start-up imports
no service and no database layer: the launcher and the demo load when ``up``/``demo`` run,
and each service's commands are built only when named (``lazy.py``).
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from shegong.platform import auth_cli
from shegong.platform.client import lazy_console
from shegong.platform.credentials import (
    credentials_path,
    forget_credentials,
    remove_platform_file,
    write_credentials,
    write_platform_file,
)
from shegong.platform.lazy import ReportCommands, ServiceCommands

if TYPE_CHECKING:
    from shegong.platform.launcher import Platform

app = typer.Typer(
    cls=ServiceCommands,  # each service's commands, built only when named (lazy.py)
    rich_markup_mode=None,  # plain help: rich help formatting costs 0.3 s at every start
    add_completion=False,
    no_args_is_help=True,
    help="shegong (社工): the social-work workforce platform.",
)
console = lazy_console(width=None if sys.stdout.isatty() else 130, soft_wrap=True)
app.add_typer(auth_cli.app, name="auth")
app.add_typer(
    typer.Typer(
        cls=ReportCommands,  # ``shegong report workforce``: each service contributes its own
        rich_markup_mode=None,
        no_args_is_help=True,
        help="指标报表 indicator reports (table, json or csv).",
    ),
    name="report",
)

DataDir = Annotated[
    Path,
    typer.Option("--data-dir", envvar="SHEGONG_DATA_DIR", help="SQLite files, Redis AOF, logs"),
]


def _platform(data_dir: Path, log_level: str = "INFO") -> Platform:
    from shegong.platform.launcher import Platform

    return Platform(
        data_dir=data_dir,
        redis_url=os.environ.get("REDIS_URL") or None,
        database_url=os.environ.get("DATABASE_URL") or None,
        stream_prefix=os.environ.get("STREAM_PREFIX", ""),
        log_level=log_level,
    )


def _stop_on_sigterm() -> None:
    # SIGTERM (systemd, docker stop, kill) must take the same clean path as Ctrl-C — and
    # so must SIGINT when the platform was started from a script in the background, which
    # starts it with SIGINT ignored: Ctrl-C then did nothing, and a bench that stopped it
    # so left its host running (the host has a session of its own).
    def raise_interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, raise_interrupt)
        signal.signal(signal.SIGINT, raise_interrupt)


@app.command()
def up(data_dir: DataDir = Path(".shegong")) -> None:
    """Start every service on the embedded default (SQLite + a local Redis) until Ctrl-C.

    With REDIS_URL / DATABASE_URL set, those are used instead (DATABASE_URL may contain
    {service}; each service gets its own database). The URLs it bound go to
    DATA_DIR/platform.json, where the other commands find them.
    """
    with running(_platform(data_dir), "starting shegong …") as platform, _published(platform):
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
            f"\nwhere it runs: {platform.data_dir / 'platform.json'} (the shegong commands read it)"
            f"\nAPI key (admin) of this platform saved in {credentials_path()};\n"
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
    import tempfile

    from shegong.platform.demo import run_demo

    with tempfile.TemporaryDirectory(prefix="shegong-demo-") as tmp:
        fresh = _platform(data_dir or Path(tmp), log_level="WARNING")
        # A temporary data dir is gone afterwards: its log paths are not worth printing.
        quiet = data_dir is None
        with running(fresh, "starting a fresh shegong (SQLite + local Redis) …", quiet) as platform:
            run_demo(platform, console)
            if keep:
                with _published(platform, forget=data_dir is None):
                    for svc in platform.services:
                        if svc.definition.extras.get("web"):
                            console.print(f"\nLook around in the {svc.name}: {svc.url}")
                    console.print(
                        "The shegong commands talk to this platform while it is up, e.g. "
                        "uv run shegong report workforce --year 2024"
                    )
                    console.print("\nThe platform stays up; press Ctrl-C to stop.")
                    signal.pause()


@contextmanager
def _published(platform: Platform, forget: bool = False) -> Iterator[None]:
    """While the platform runs: its discovery file (the URLs it bound) and its admin key in
    this user's credentials, beside other platforms' keys. ``forget``: take the key out
    again at the end (a data dir about to be deleted)."""
    services = {s.name: s.url for s in platform.services}
    assert platform.bus is not None
    for svc in platform.services:
        if svc.port != svc.definition.default_port:
            console.print(
                f"  [yellow]port {svc.definition.default_port} is taken: {svc.name} listens on "
                f"{svc.port} instead[/] (written to {platform.data_dir / 'platform.json'})"
            )
    write_platform_file(platform.data_dir, {"services": services, "redis": platform.bus.url})
    write_credentials(platform.data_dir, platform.admin_key, services)
    try:
        yield
    finally:
        remove_platform_file(platform.data_dir)
        if forget:
            forget_credentials(platform.data_dir)


@app.command()
def status(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", envvar="SHEGONG_DATA_DIR", show_default=False)
    ] = None,
) -> None:
    """Which local platform the commands talk to, and whether each service answers."""
    import urllib.request

    from shegong.platform.client import fail, find_platform

    platform = find_platform(data_dir)
    if platform is None:
        from shegong.platform.client import START_HINT

        fail("没有正在运行的 shegong 平台 / no running shegong platform found.\n" + START_HINT)
    state = "running" if platform.running else f"not running (pid {platform.pid} is gone)"
    console.print(f"platform of {platform.data_dir}: {state}")
    for name, url in platform.services.items():
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=3) as resp:
                answer = "answers" if resp.status == 200 else f"HTTP {resp.status}"
        except OSError:
            answer = "does not answer 无应答"
        console.print(f"  {name:<10} {url}   {answer}")
    if not platform.running:
        raise typer.Exit(1)


def _platform_error() -> type[Exception]:
    from shegong.platform.launcher import PlatformError

    return PlatformError


@contextmanager
def running(platform: Platform, status: str, temporary: bool = False) -> Iterator[Platform]:
    """Start the platform; whatever happens inside (Ctrl-C, SIGTERM, an error), stop it.
    ``temporary``: its data dir is deleted afterwards, so no path into it is printed."""
    _stop_on_sigterm()

    def progress(line: str) -> None:
        if temporary:
            line = re.sub(r" \(log: [^)]*\)|,? ?AOF in [^)]*", "", line)
        console.print(f"  {line}", markup=False, highlight=False)

    try:
        with console.status(status):
            platform.start(progress=progress)
        yield platform
    except _platform_error() as err:
        console.print(f"[bold red]shegong could not start:[/] {err}")
        raise typer.Exit(1) from err
    except KeyboardInterrupt:
        console.print("\nstopping …")
    finally:
        platform.stop()
        console.print("stopped; nothing left running.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
