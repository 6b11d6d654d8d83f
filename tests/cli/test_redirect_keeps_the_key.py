"""The command line never sends its key to a host a redirect names (round 10).

Probed: the CLI's HTTP client (urllib) followed a redirect with every header it had sent,
the ``Authorization`` header too, to whatever host the ``Location`` named — a node (or
anything between) answering ``302 Location: http://elsewhere/`` to ``shegong auth whoami
--url … --key …`` had the key sent to ``elsewhere``. The services never redirect (round 9),
so the CLI follows no redirect: it stops, names where it was sent, in both languages.

Real processes: the ``shegong`` command, two HTTP servers (one redirecting, one recording
what reaches it).
"""

from __future__ import annotations

import http.server
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import SHEGONG, clean_env

KEY = "sgk_0123456789ab_" + "s" * 43


@pytest.fixture
def servers() -> Iterator[tuple[str, list[str]]]:
    """A redirecting server's URL and what reached the server it redirects to."""
    reached: list[str] = []

    class Elsewhere(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            reached.append(self.headers.get("Authorization") or "(no key)")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"name": "elsewhere", "role": "admin"}')

        def log_message(self, *_: object) -> None: ...

    elsewhere = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Elsewhere)
    to = f"http://localhost:{elsewhere.server_port}/whoami"

    class Redirecting(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", to)
            self.end_headers()

        def log_message(self, *_: object) -> None: ...

    redirecting = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    for server in (elsewhere, redirecting):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{redirecting.server_port}", reached
    finally:
        for server in (elsewhere, redirecting):
            server.shutdown()
            server.server_close()


def test_a_redirect_is_not_followed_with_the_key(
    servers: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, reached = servers
    done = subprocess.run(
        [*SHEGONG, "auth", "whoami", "--url", url, "--key", KEY],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(XDG_CONFIG_HOME=str(tmp_path)),
    )
    assert done.returncode != 0, done.stdout
    said = done.stdout + done.stderr
    assert "HTTP 302" in said and "重定向" in said and "not followed" in said, said
    assert KEY not in said
    assert reached == [], "nothing reached the host the redirect named"
