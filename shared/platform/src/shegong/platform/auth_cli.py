"""``shegong auth …``: issue, list and revoke the API keys of a platform's data dir.

The running services re-read the keys file when it changes: a key issued here works at
once, a revoked one stops working at once — rotation needs no restart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, cast

import httpx
import typer
from rich.console import Console
from rich.table import Table

from shegong.kernel.api_keys import ROLES, Role
from shegong.platform.credentials import credentials_path, keys_file, read_credentials

app = typer.Typer(
    help="接口密钥 API keys: issue, list, revoke (hashes only are stored).",
    no_args_is_help=True,
)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DataDir = Annotated[Path, typer.Option("--data-dir", help="the platform's data dir")]


@app.command()
def issue(
    role: Annotated[str, typer.Option(help=f"one of {', '.join(ROLES)}")],
    department: Annotated[
        str | None, typer.Option(help="department code (for --role department)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="who holds it (recorded as the actor)")] = None,
    data_dir: DataDir = Path(".shegong"),
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
        key = keys_file(data_dir).issue(cast(Role, role), name=label, department=department)
    except ValueError as error:
        err.print(f"[red]{error}[/]")
        raise typer.Exit(2) from None
    article = "an" if role in ("admin", "auditor") else "a"
    scope = f" for {department}" if department else ""
    err.print(f"issued {article} {role} key{scope} ({label}); it is shown only this once:")
    print(key)


@app.command("list")
def list_keys(data_dir: DataDir = Path(".shegong")) -> None:
    """The keys of this data dir (id, role, department, name, created; never the secret)."""
    table = Table("id", "role", "department", "name", "created")
    for r in keys_file(data_dir).read():
        table.add_row(r.id, r.role, r.department or "", r.name, r.created.isoformat()[:19])
    console.print(table)


@app.command()
def revoke(
    key_id: Annotated[str, typer.Argument(help="the key's id (sgk_<id>_…), see `auth list`")],
    data_dir: DataDir = Path(".shegong"),
) -> None:
    """Revoke a key: the services refuse it from their next request on."""
    if key_id.startswith("sgk_"):
        key_id = key_id.split("_")[1]
    if not keys_file(data_dir).revoke(key_id):
        err.print(f"[red]no key {key_id} in {keys_file(data_dir).path}[/]")
        raise typer.Exit(1)
    console.print(f"revoked {key_id}")


@app.command()
def token() -> None:
    """Print the local admin key `shegong up` saved for you (for curl: -H "Authorization:
    Bearer $(uv run shegong auth token)")."""
    creds = read_credentials()
    if not creds:
        err.print(f"[red]no {credentials_path()}: start the platform with `shegong up` first[/]")
        raise typer.Exit(1)
    print(creds["api_key"])


@app.command()
def whoami(
    key: Annotated[
        str | None, typer.Option(envvar="SHEGONG_API_KEY", help="a key (default: yours)")
    ] = None,
    url: Annotated[str | None, typer.Option(help="a service's URL (default: the registry)")] = None,
) -> None:
    """Ask a running service who a key is: name, role, department, what it may change."""
    creds = read_credentials() or {}
    key = key or creds.get("api_key")
    url = url or creds.get("services", {}).get("registry") or creds.get("url")
    if not url:
        err.print(f"[red]no {credentials_path()}: pass --url, or start `shegong up` first[/]")
        raise typer.Exit(1)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        resp = httpx.get(f"{url.rstrip('/')}/whoami", headers=headers, timeout=10)
    except httpx.HTTPError as error:
        err.print(f"[red]{url} does not answer: {error}[/]")
        raise typer.Exit(1) from None
    if resp.status_code != 200:
        err.print(f"[red]{resp.status_code}: {resp.text}[/]")
        raise typer.Exit(1)
    me = resp.json()
    scope = f" of {me['department']}" if me.get("department") else ""
    console.print(f"{me['name']}: {me['role']}{scope}, writes {me['writes']} ({me['auth']})")


@app.command("keys-json")
def keys_json(data_dir: DataDir = Path(".shegong")) -> None:
    """The keys file as one line of JSON (hashes only), for API_KEYS in compose/Kubernetes."""
    print(json.dumps([r.model_dump(mode="json") for r in keys_file(data_dir).read()]))
