"""A test SMS gateway: a real HTTP server that ``MATCHING_NOTIFIER=webhook`` posts each
message to, keeping what it received — the tests' own sender. With no sender configured
(the default) nothing is sent and the event says so (round 16), so a test that reads a
one-time code or a worker's offer reads it here, where it arrived."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections import deque
from collections.abc import Iterator

from shegong.matching.h5.notify import Message


class _Receive(http.server.BaseHTTPRequestHandler):
    server: Gateway

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.sent.append(Message(to=body["to"], text=body["text"], kind=body["kind"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


class Gateway(http.server.ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Receive)
        self.sent: deque[Message] = deque()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/sms"

    def last_to(self, to: str) -> Message | None:
        return next((m for m in reversed(self.sent) if m.to == to), None)


@contextlib.contextmanager
def gateway() -> Iterator[Gateway]:
    """A gateway answering in a thread of its own while the block runs."""
    server = Gateway()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
