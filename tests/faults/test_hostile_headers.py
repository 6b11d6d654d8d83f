"""A request's head (request line and headers) is bounded before anything reads it
(round 6, on ``shegong up``).

uvicorn's httptools parser keeps a request's headers until they end, with no limit: one
anonymous connection sending a 200 MiB header took the platform's process (every service
of ``shegong up`` is in it) from 214 to 432 MiB, kept after the connection closed — a few
such connections at once end it. h11's 16 KiB limit does not apply to httptools. Now a
head over ``HTTP_MAX_HEADER_BYTES`` (1 MiB) is a 431 in both languages and the
connection is closed, memory flat; ordinary requests (and large bodies) are served.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path

import httpx
from redis.asyncio import Redis

from .test_hostile_bodies import keyed_registry, rss_mib

MIB = 1024 * 1024


def send_head(url: str, head: bytes, filler: int) -> bytes:
    """``head``, then ``filler`` MiB of one header's value; what the server answered."""
    host, port = url.split("//")[1].split(":")
    sock = socket.create_connection((host, int(port)), timeout=60)
    answer = b""
    try:
        sock.sendall(head)
        for _ in range(filler):
            sock.sendall(b"a" * MIB)
        sock.sendall(b"\r\n\r\n")
    except OSError:
        pass  # closed on us: what the answer says
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except OSError:
        pass
    sock.close()
    return answer


async def test_an_oversized_head_is_refused_and_memory_stays_flat(
    redis: Redis, service_process, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    admin, svc = keyed_registry(service_process, redis_url, stream_prefix, tmp_path)
    svc.start()
    assert svc.process is not None
    pid = svc.process.pid
    before = rss_mib(pid)
    for head in (
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ",  # one huge header
        b"GET /health?",  # a huge request line
    ):
        started = time.monotonic()
        answer = await asyncio.to_thread(send_head, svc.url, head, 64)
        assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
        body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
        assert body["error"]["code"] == "headers_too_large"
        assert "header" in body["error"]["message"] and "请求头" in body["error"]["message_zh"]
        assert time.monotonic() - started < 20
    assert rss_mib(pid) - before < 40, (before, rss_mib(pid))
    # Many headers within the limit, and a body larger than it: served as before.
    async with httpx.AsyncClient(base_url=svc.url, timeout=60) as client:
        many = {f"X-H{i}": "v" * 100 for i in range(500)}
        assert (await client.get("/health", headers=many)).status_code == 200
        resp = await client.post(
            "/workers",
            content=b'{"name": "' + b"a" * (900 * 1024) + b'"}',
            headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/json"},
        )
        assert resp.status_code == 422, resp.text[:200]  # read, and refused by the model
