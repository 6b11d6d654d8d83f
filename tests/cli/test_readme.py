"""Every command README.md shows, run as written against a real ``shegong up``.

- Every ```sh block runs, in order, in one bash session (variables carry from block to
  block, as in a reader's terminal), from a folder that has the repository's ``examples/``,
  against the ``platform`` fixture's ``shegong up``. Three things differ from a reader's
  terminal, and only these: ``uv run X`` runs X from this checkout's environment (no
  ``uv sync`` in the test), ``curl`` fails on an HTTP error (``--fail-with-body``), and the
  default ports (8100–8103) are the ones this ``shegong up`` bound, as the README tells a
  reader whose ports were taken.
- A ```text block with commands is one another test runs (``ELSEWHERE`` names it); a new
  one nobody runs fails here.
- Every ``uv run shegong …`` the README names, in a block or inline, is a command that
  exists (``--help`` answers): one spelling of each command.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
DEFAULT_PORTS = {"console": 8100, "registry": 8101, "training": 8102, "matching": 8103}

# The first line of each ```text block that holds commands → what runs them.
ELSEWHERE = {
    "uv run shegong demo": "tests/e2e/test_platform.py::test_demo_runs_end_to_end_and_leaves_"
    "nothing_running (the demo); `uv run pytest` is the suite itself",
    "TEST_REDIS_URL=redis://127.0.0.1:6379/0 \\": "CI runs the suite exactly so",
    "uv run pytest -m fast": "the suite itself, by kind (markers set in conftest.py)",
    "REDIS_URL=redis://redis.internal:6379/0 \\": "tests/e2e/test_platform.py::test_up_with_"
    "postgres_uses_a_database_per_service and tests/deploy/test_container_start.py",
}
SHIMS = r"""
set -euo pipefail
uv() { if [ "$1" = run ]; then shift; "$@"; else command uv "$@"; fi; }
curl() { command curl --fail-with-body -sS "$@"; }
"""


def blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(README.read_text(encoding="utf-8"))]


def test_text_blocks_with_commands_are_run_elsewhere() -> None:
    for lang, body in blocks():
        if lang == "text" and re.search(r"^(uv run|curl|[A-Z_]+=)", body, re.M):
            first = body.splitlines()[0].split("  #")[0].strip()
            assert first in ELSEWHERE, f"a README block nobody runs: {first!r}"


def test_every_shegong_command_the_readme_names_exists() -> None:
    from typer.testing import CliRunner

    from shegong.platform import cli

    text = README.read_text(encoding="utf-8")
    named = set()
    for line in re.findall(r"uv run shegong ([^\n`|#]*)", text):
        words = []
        for word in line.split():
            word = word.rstrip(")\"'")
            if not re.fullmatch(r"[a-z][a-z-]*", word):
                break
            words.append(word)
        named.add(tuple(words[:2]))
    assert ("report", "training") in named and ("report", "workforce") in named
    runner = CliRunner()
    for command in sorted(named):
        result = runner.invoke(cli.app, [*command, "--help"])
        assert result.exit_code == 0, f"`shegong {' '.join(command)}`: {result.output}"
    assert runner.invoke(cli.app, ["training", "report", "--help"]).exit_code != 0


def test_the_readmes_shell_blocks_run_against_a_live_platform(
    platform: Any, tmp_path: Path
) -> None:
    if not (shutil.which("bash") and shutil.which("curl")):
        pytest.skip("the README's blocks need bash and curl (apt-get install curl)")
    (tmp_path / "examples").symlink_to(REPO / "examples")
    script = [SHIMS]
    sh_blocks = [body for lang, body in blocks() if lang == "sh"]
    assert len(sh_blocks) >= 6
    for n, body in enumerate(sh_blocks, 1):
        for service, port in DEFAULT_PORTS.items():
            bound = platform.services[service].removeprefix("http://")
            body = body.replace(f"127.0.0.1:{port}", bound)
        first = body.strip().splitlines()[0][:70].replace("'", "")
        script.append(f"echo '::: README block {n}: {first}' >&2\n{body}\n")
    env = {
        **platform.env,
        "SHEGONG_DATA_DIR": str(platform.data_dir),  # before a ./.shegong of the test's own
        "PATH": f"{Path(sys.executable).parent}:{platform.env['PATH']}",
    }
    result = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
    )
    failed_at = [x for x in result.stderr.splitlines() if x.startswith("::: README block")]
    assert result.returncode == 0, (
        f"README block failed ({failed_at[-1] if failed_at else '?'}):\n"
        f"--- stdout (tail)\n{result.stdout[-3000:]}\n--- stderr (tail)\n{result.stderr[-3000:]}"
    )
    assert len(failed_at) == len(sh_blocks), "every block ran"
    assert (tmp_path / "census.csv").exists() and (tmp_path / "hours.csv").exists()
