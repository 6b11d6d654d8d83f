"""A key on the command line is in the process list (round 12b): ``ps`` shows every user
of the machine ``shegong … --key sgk_…``. Every command that takes ``--key`` says so and
takes ``--key-file`` too: a file of the user's own, mode 0600 like the credentials file,
else refused in both languages before anything is sent."""

from __future__ import annotations

import http.server
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from shegong.platform.cli import app

from .conftest import SHEGONG, answer_json, clean_env, serving

KEY = "sgk_0123456789ab_" + "f" * 43


class Node(http.server.ThreadingHTTPServer):
    keys: list[str | None]


@pytest.fixture
def node() -> Iterator[tuple[str, Node]]:
    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server: Any = self.server
            server.keys.append(self.headers.get("Authorization"))
            me = {"name": "民政局", "role": "department", "department": "civil-affairs"}
            answer_json(self, 200, me | {"writes": "civil-affairs", "auth": "key"})

        def log_message(self, *_: object) -> None: ...

    server = Node(("127.0.0.1", 0), Answer)
    server.keys = []
    with serving(server) as url:
        yield url, server


def whoami(url: str, tmp_path: Path, *args: str) -> tuple[int, str]:
    done = subprocess.run(
        [*SHEGONG, "auth", "whoami", "--url", url, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        env=clean_env(XDG_CONFIG_HOME=str(tmp_path)),
    )
    return done.returncode, done.stdout + done.stderr


def test_a_key_file_of_the_users_own_is_sent_as_the_key(
    node: tuple[str, Node], tmp_path: Path
) -> None:
    path = tmp_path / "civil-affairs.key"
    path.write_text(KEY + "\n")
    path.chmod(0o600)
    code, said = whoami(node[0], tmp_path, "--key-file", str(path))
    assert code == 0 and "民政局: department of civil-affairs" in said, said
    assert node[1].keys == [f"Bearer {KEY}"]


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_key_file_others_may_read_is_refused_before_anything_is_sent(
    node: tuple[str, Node], tmp_path: Path, mode: int
) -> None:
    path = tmp_path / "civil-affairs.key"
    path.write_text(KEY + "\n")
    path.chmod(mode)
    code, said = whoami(node[0], tmp_path, "--key-file", str(path))
    assert code == 1 and "Traceback" not in said and KEY not in said, said
    assert f"mode {mode:o}" in said and "chmod 600" in said and "不使用密钥文件" in said, said
    assert node[1].keys == []


def _commands(group: Any, ctx: Any) -> Iterator[tuple[str, Any]]:
    """Every command under ``group`` (typer's click), by its full name."""
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if hasattr(command, "list_commands"):
            yield from ((f"{name} {n}", c) for n, c in _commands(command, ctx))
        elif command is not None:
            yield name, command


def test_every_command_taking_a_key_warns_of_the_process_list_and_takes_a_key_file() -> None:
    group = typer.main.get_command(app)
    with group.context_class(group) as ctx:
        taking = {
            name: {o: p for p in command.params for o in p.opts}
            for name, command in _commands(group, ctx)
            if any("--key" in p.opts for p in command.params)
        }
    assert {"auth whoami", "registry import-roster", "census export"} <= set(taking), taking
    for name, options in taking.items():
        said = getattr(options["--key"], "help", "")
        assert "process list (ps)" in said and "--key-file" in said, (name, said)
        assert "--key-file" in options, name
