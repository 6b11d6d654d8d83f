"""``shegong auth …``: issue, list and revoke the API keys of a platform's data dir.

The keys file is the platform's own (like its database, it is opened only on the machine
that runs it): by default the data dir of the platform the other commands talk to
(``--data-dir``, else ``./.shegong``, else the last one started). The running services
re-read it when it changes: a key issued here works at once, a revoked one stops working
at once — rotation needs no restart. ``whoami`` asks a service over HTTP.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from shegong.platform.client import (
    DataDirOption,
    KeyFileOption,
    KeyOption,
    connect,
    fail,
    find_platform,
    lazy_console,
    local_key,
)
from shegong.platform.credentials import keys_file

if TYPE_CHECKING:
    from shegong.kernel.web.api_keys import Role

ROLES = ("admin", "department", "auditor", "service")  # kernel.api_keys.ROLES (checked there)

app = typer.Typer(
    rich_markup_mode=None,  # plain help: rich help formatting costs 0.3 s at every start
    help="接口密钥 API keys: issue, list, revoke (hashes only are stored).",
    no_args_is_help=True,
)
console = lazy_console(soft_wrap=True)
err = lazy_console(stderr=True, soft_wrap=True)

DataDir = DataDirOption


def _data_dir(data_dir: Path | None) -> Path:
    """The data dir named, else the platform's the other commands would talk to."""
    if data_dir is not None:
        return data_dir
    found = find_platform(None)
    if found is not None:
        return found.data_dir
    if Path(".shegong").is_dir():
        return Path(".shegong")
    fail(
        "没有找到平台的数据目录 / no platform data dir found: pass --data-dir, or start the "
        "platform first: uv run shegong up"
    )


@app.command()
def issue(
    role: Annotated[str, typer.Option(help=f"one of {', '.join(ROLES)}")],
    department: Annotated[
        str | None, typer.Option(help="department code (for --role department)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="who holds it (recorded as the actor)")] = None,
    data_dir: DataDir = None,
) -> None:
    """Issue a key and print it once; only its hash is kept."""
    if role not in ROLES:
        err.print(f"[red]--role must be one of {', '.join(ROLES)}[/]")
        raise typer.Exit(2)
    if role == "department" and not department:
        err.print("[red]a department key needs --department (e.g. --department hrss)[/]")
        raise typer.Exit(2)
    if role != "department" and department:
        err.print("[red]--department is only for --role department[/]")
        raise typer.Exit(2)
    label = name or (f"{department}-key" if department else f"{role}-key")
    try:
        key = keys_file(_data_dir(data_dir)).issue(
            cast("Role", role), name=label, department=department
        )
    except ValueError as error:
        err.print(f"[red]{error}[/]")
        raise typer.Exit(2) from None
    article = "an" if role in ("admin", "auditor") else "a"
    scope = f" for {department}" if department else ""
    err.print(f"issued {article} {role} key{scope} ({label}); it is shown only this once:")
    print(key)


@app.command("list")
def list_keys(data_dir: DataDir = None) -> None:
    """The keys of this data dir (id, role, department, name, created; never the secret)."""
    from rich.table import Table

    table = Table("id", "role", "department", "name", "created")
    for r in keys_file(_data_dir(data_dir)).read():
        table.add_row(r.id, r.role, r.department or "", r.name, r.created.isoformat()[:19])
    console.print(table)


@app.command()
def revoke(
    key_id: Annotated[str, typer.Argument(help="the key's id (sgk_<id>_…), see `auth list`")],
    data_dir: DataDir = None,
) -> None:
    """Revoke a key: the services refuse it from their next request on."""
    if key_id.startswith("sgk_"):
        key_id = key_id.split("_")[1]
    keys = keys_file(_data_dir(data_dir))
    if not keys.revoke(key_id):
        err.print(f"[red]no key {key_id} in {keys.path}[/]")
        raise typer.Exit(1)
    console.print(f"revoked {key_id}")


@app.command()
def token(data_dir: DataDir = None) -> None:
    """Print the admin key of the platform (for curl: -H "Authorization: Bearer $(uv run
    shegong auth token)"); each platform's data dir has its own."""
    home = _data_dir(data_dir)
    key = local_key(home)
    if not key:
        fail(f"no admin key for the platform of {home.resolve()}: start it with `shegong up`")
    print(key)


@app.command()
def whoami(
    key: KeyOption = None,
    key_file: KeyFileOption = None,
    url: Annotated[
        str | None,
        typer.Option(envvar="SHEGONG_REGISTRY_URL", help="a service's URL (default: registry)"),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Ask a running service who a key is: name, role, department, what it may change."""
    me = connect("registry", url, key, data_dir, key_file).json("GET", "/whoami")
    scope = f" of {me['department']}" if me.get("department") else ""
    # Plain output: rich's import would be a fifth of this command's start-up.
    typer.echo(f"{me['name']}: {me['role']}{scope}, writes {me['writes']} ({me['auth']})")


@app.command("keys-json")
def keys_json(data_dir: DataDir = None) -> None:
    """The keys file as one line of JSON (hashes only), for API_KEYS in compose/Kubernetes."""
    rows = keys_file(_data_dir(data_dir)).read()
    print(json.dumps([r.model_dump(mode="json") for r in rows]))
