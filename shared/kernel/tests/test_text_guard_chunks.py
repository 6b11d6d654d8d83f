"""A body that arrives in many small chunks costs what its size costs (redteam round 3).

The text guard added each chunk to the body so far, copying it again every time: a 1 MiB
JSON body dripped in 90,000 chunks, no key needed (the guard runs before the key check),
cost a running registry 6.4 s of CPU before its 401 — 11 s here for 100,000 chunks."""

from __future__ import annotations

import time
from typing import Any

from shegong.kernel.web.text_guard import TextGuardMiddleware

# One long string dripped in pieces (a body of 100,000 values is refused whole since
# round 12: more values than a command holds).
CHUNK = b"aaaaaaaaaaa"


async def _app(scope: Any, receive: Any, send: Any) -> None:
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def _dripped(n: int, last: bytes) -> Any:
    messages = iter(
        [{"type": "http.request", "body": b'["', "more_body": True}]
        + [{"type": "http.request", "body": CHUNK, "more_body": True}] * n
        + [{"type": "http.request", "body": last, "more_body": False}]
    )

    async def receive() -> Any:
        return next(messages)

    return receive


async def test_a_dripped_body_is_joined_once() -> None:
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/workers",
        "headers": [(b"content-type", b"application/json")],
    }
    started = time.process_time()
    await TextGuardMiddleware(_app)(scope, _dripped(100_000, b'", 1]'), send)
    took = time.process_time() - started
    assert sent[0]["status"] == 200
    assert took < 1.0, f"{took:.2f} s of CPU for 1 MiB in 100,000 chunks (11 s before)"
    # Still read whole: a control character in the last chunk is found.
    sent.clear()
    await TextGuardMiddleware(_app)(scope, _dripped(1_000, b'\\u0000"]'), send)
    assert sent[0]["status"] == 422
