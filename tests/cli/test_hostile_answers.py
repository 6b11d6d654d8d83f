"""What a node answers cannot drive the user's terminal or memory (round 12).

Probed with ``shegong auth whoami --url … --key …`` against a server answering as a
hostile (or broken, or impersonated) node would:

- escape sequences in its refusal's message or in the data it returns — ``ESC ] 52``
  (sets the terminal's clipboard), ``ESC [ 2J`` (clears the screen), ``ESC [ ? 1049 h``,
  a lone carriage return (writes over what the line said), U+202E — reached the terminal
  as sent; they are now printed as ``\\x1b``-style escapes, as the services' logs write them;
- an answer of 3 GB took the command to 9.3 GB of memory and 32 s before it printed the
  first 500 characters of it; now a refusal is read to 16 MiB, and an answer past
  ``SHEGONG_MAX_ANSWER_BYTES`` (256 MiB by default) is not read on: the command stops
  saying so in both languages.

Real processes: the ``shegong`` command and an HTTP server counting what it could send.
"""

from __future__ import annotations

import http.server
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import SHEGONG, answer_json, clean_env, serving

KEY = "sgk_0123456789ab_" + "s" * 43
# ESC ] 52 writes the clipboard, ESC [ 2J clears the screen, ESC [ ? 1049 h switches to the
# alternate screen, a lone CR goes back over the line, U+202E reverses what follows.
HOSTILE = "x\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\x1b[?1049h\rOK\u202e"
CHUNK = b"A" * (1 << 20)
# Names as departments may type them (a registry takes both: `POST /workers`, 201), as the
# census's review queue lists them to the administrator.
LINKED, UNCLOSED = "[link=https://evil.example/check]陈建国[/link]", "[/]王五"
REVIEW = {
    "total": 1,
    "pairs": [
        {
            "a": {"key": "civil-affairs:MZ-01", "name": UNCLOSED},
            "b": {"key": "hrss:G14", "name": LINKED},
            "reason": "[bold]same name[/]",
        }
    ],
}


class Hostile(http.server.ThreadingHTTPServer):
    mode = "refusal"
    sent = 0  # bytes of the body the client took


@pytest.fixture
def node() -> Iterator[tuple[str, Hostile]]:
    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server: Any = self.server
            if server.mode in ("refusal", "data", "review"):
                if server.mode == "refusal":
                    status, body = 400, {"error": {"field": HOSTILE, "message": HOSTILE}}
                elif server.mode == "review":
                    status, body = 200, REVIEW
                else:
                    status = 200
                    body = {"name": HOSTILE, "role": "admin", "department": None}
                    body |= {"writes": HOSTILE, "auth": "key"}
                answer_json(self, status, body)
                return
            if server.mode == "html":  # a proxy's page, say, where JSON was expected
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(b"<html>\x1b[2Jlogin</html>")
                return
            # "huge" (a refusal) or "long" (an answer): 256 MiB, no length given
            self.send_response(400 if server.mode == "huge" else 200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            try:
                for _ in range(256):
                    self.wfile.write(CHUNK)
                    server.sent += len(CHUNK)
            except OSError:
                pass  # the client stopped reading and closed

        def log_message(self, *_: object) -> None: ...

    server = Hostile(("127.0.0.1", 0), Answer)
    with serving(server) as url:
        yield url, server


def whoami(
    node: tuple[str, Hostile], mode: str, tmp_path: Path, *command: str, **env: str
) -> tuple[int, str]:
    """``shegong auth whoami`` (or ``command``) against the node answering as ``mode``:
    exit code, output."""
    url, server = node
    server.mode = mode
    done = subprocess.run(
        [*SHEGONG, *(command or ("auth", "whoami")), "--url", url, "--key", KEY],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        env=clean_env(XDG_CONFIG_HOME=str(tmp_path), **env),
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("mode", ["refusal", "data"])
def test_a_nodes_escape_sequences_are_shown_not_sent_to_the_terminal(
    node: tuple[str, Hostile], tmp_path: Path, mode: str
) -> None:
    code, said = whoami(node, mode, tmp_path)
    assert (code != 0) == (mode == "refusal"), said
    for char in ("\x1b", "\x07", "\r", "\u202e"):
        assert char not in said, f"{char!r} reached the terminal: {said!r}"
    assert "\\x1b]52;c;" in said and "\\x1b[2J" in said and "\\x0dOK\\u202e" in said, said
    if mode == "refusal":
        assert "HTTP 400" in said


def test_a_huge_refusal_is_read_only_as_far_as_its_start(
    node: tuple[str, Hostile], tmp_path: Path
) -> None:
    code, said = whoami(node, "huge", tmp_path)
    assert code == 1 and "HTTP 400" in said and "Traceback" not in said, said[:800]
    # 16 MiB read, what the sockets' buffers hold besides; 256 MiB read whole before
    assert node[1].sent < 48 << 20, f"{node[1].sent:,} bytes taken"


def test_an_answer_past_the_limit_stops_the_command_in_both_languages(
    node: tuple[str, Hostile], tmp_path: Path
) -> None:
    code, said = whoami(node, "long", tmp_path, SHEGONG_MAX_ANSWER_BYTES="1000000")
    assert code == 1 and "Traceback" not in said, said[:800]
    assert "more than 1,000,000 bytes" in said and "服务应答超过" in said, said[:800]
    assert node[1].sent < 32 << 20, f"{node[1].sent:,} bytes taken"


def test_an_answer_that_is_not_json_is_a_clear_exit(
    node: tuple[str, Hostile], tmp_path: Path
) -> None:
    code, said = whoami(node, "html", tmp_path)
    assert code == 1 and "Traceback" not in said, said[:800]
    assert "not JSON" in said and "不是JSON" in said and "\x1b" not in said, said


def test_names_are_printed_as_typed_never_read_as_markup(
    node: tuple[str, Hostile], tmp_path: Path
) -> None:
    """Round 12: the command's printing read rich markup in what it printed — a name a
    department typed as ``[link=https://…]陈建国[/link]`` showed as 陈建国 linked to anywhere
    (OSC 8), and ``[/]王五`` ended ``shegong census review`` with a MarkupError."""
    code, said = whoami(node, "review", tmp_path, "census", "review")
    assert code == 0 and "Traceback" not in said and "MarkupError" not in said, said[:800]
    assert LINKED in said and UNCLOSED in said and "[bold]same name[/]" in said, said
