"""A client command imports only what it needs: no service, no kernel, no database layer,
no pydantic (typer 0.29's option parsing), no asyncio, no rich printing, no HTTP library.

What each command loaded is read from ``sys.modules`` in a process of its own, after the
command ran to its end (``auth whoami`` against a real ``shegong up``): a count of modules,
not a timing, so it holds on a loaded machine and fails on the import that made it slow.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

Up = Any  # conftest.Up: a running `shegong up`

# What a client command must not load: each service's own code (its ``cli`` module, the
# client, is the one part the ``shegong`` command may load), the shared server packages,
# and the heavy libraries a service or a report needs.
SERVICES = ("registry", "training", "matching", "console")
SERVER = ("shegong.kernel", "shegong.contracts", "shegong.report.figures")
HEAVY = (
    "pydantic",
    "sqlalchemy",
    "fastapi",
    "starlette",
    "httpx",
    "redis",
    "faststream",
    "openpyxl",
    "asyncio",
    "rich.console",
    "rich.table",
)

PROBE = """
import json, sys
from shegong.platform import cli
sys.argv = ['shegong', *sys.argv[1:]]
try:
    cli.main()
except SystemExit as done:
    code = done.code
else:
    code = 0
print('LOADED' + json.dumps({'code': code, 'modules': sorted(sys.modules)}), file=sys.stderr)
"""


def loaded_by(args: list[str], env: dict[str, str] | None = None, cwd: Any = None) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=cwd,
        timeout=60,
    )
    line = next(x for x in result.stderr.splitlines() if x.startswith("LOADED"))
    found = json.loads(line.removeprefix("LOADED"))
    assert found["code"] in (0, None), f"shegong {' '.join(args)}: {result.stderr}"
    return list(found["modules"])


def too_heavy(modules: list[str]) -> list[str]:
    def service_code(m: str) -> bool:
        parts = m.split(".")
        return (
            len(parts) > 2 and parts[0] == "shegong" and parts[1] in SERVICES and parts[2] != "cli"
        )

    def under(m: str, roots: tuple[str, ...]) -> bool:
        return any(m == r or m.startswith(r + ".") for r in roots)

    return [m for m in modules if service_code(m) or under(m, SERVER) or under(m, HEAVY)]


@pytest.mark.parametrize("args", [["--help"], ["report", "--help"], ["registry", "--help"]])
def test_help_loads_no_service_and_no_heavy_module(args: list[str]) -> None:
    modules = loaded_by(args)
    assert "shegong.platform.cli" in modules
    assert too_heavy(modules) == []


def test_whoami_against_a_live_platform_loads_no_service_and_no_heavy_module(
    platform: Up,
) -> None:
    modules = loaded_by(["auth", "whoami"], env=platform.env, cwd=platform.home)
    assert too_heavy(modules) == []
    # It did its work: asked the service over HTTP (urllib, not an HTTP library).
    assert "urllib.request" in modules


def test_the_probe_sees_a_heavy_import() -> None:
    """The check above can fail: a command that imports the kernel is caught."""
    assert too_heavy(["shegong.kernel.events.store", "shegong.registry.cli", "json"]) == [
        "shegong.kernel.events.store"
    ]
    assert too_heavy(["shegong.registry.application.roster_import"]) != []
    assert too_heavy(["pydantic.main", "rich", "rich.console"]) == ["pydantic.main", "rich.console"]
