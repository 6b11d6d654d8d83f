"""A service killed while it answers (kill -9 mid-import, a restart) leaves the command a
status line and part of the body: http.client hands that over as if it were the answer.
The command takes it for no answer — it waits for the service as for one restarting —
instead of failing on half a JSON document (the kill -9 import test's CLI once ended
with a JSONDecodeError traceback where it should have said the job was interrupted)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest

from shegong.platform.client import Api

BODY = json.dumps({"job_id": "j1", "status": "interrupted"}).encode()


@pytest.fixture
def restarting_node() -> Iterator[str]:
    """Answers its first request with the headers and half the body, then hangs up; the
    next one whole."""
    server = socket.create_server(("127.0.0.1", 0))
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"

    def serve() -> None:
        for n in range(2):
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                body = BODY[: len(BODY) // 2] if n == 0 else BODY
                conn.sendall(head % len(BODY) + body)

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def test_an_answer_cut_short_is_waited_past_like_a_restart(restarting_node: str) -> None:
    api = Api("registry", restarting_node, None, "--url")
    resp = api.request("GET", "/imports/j1", patience=10)
    assert resp.status_code == 200
    assert json.loads(resp.content) == {"job_id": "j1", "status": "interrupted"}
