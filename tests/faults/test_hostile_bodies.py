"""Oversized request bodies sent to a running service (started as its container starts it,
with API keys required) by someone with no key at all.

FastAPI reads and parses a body before the key check runs: before the body limit, a 300 MB
JSON string sent without a key took a registry from 367 to 1,351 MB and 14 s before it
answered 401, and a multipart "upload" of any size was spooled to disk first. Now a body
over its limit is a 413 at once, in English and Chinese, whether it declares its length or
is sent in chunks, and the process's memory stays flat; a body within the limit is still
served (the key check answers as before)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from redis.asyncio import Redis

from shegong.kernel.web.api_keys import new_key

MIB = 1024 * 1024


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def post_raw(url: str, path: str, headers: dict[str, str], body: Iterator[bytes]) -> httpx.Response:
    """POST over a plain socket, reading the answer while the body is still being sent (as
    curl does): a server that refuses early answers before the client has sent it all."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
    head = f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    sock.sendall(head.encode() + b"\r\n")

    def send_body() -> None:
        with contextlib.suppress(OSError):
            for piece in body:
                sock.sendall(piece)

    sender = threading.Thread(target=send_body, daemon=True)
    sender.start()
    answer = b""
    with contextlib.suppress(OSError):
        while not _complete(answer):
            got = sock.recv(65536)
            if not got:
                break
            answer += got
    sock.close()
    status_line, rest = answer.split(b"\r\n", 1)
    content = rest.split(b"\r\n\r\n", 1)[1]
    return httpx.Response(int(status_line.split()[1]), content=content)


def _complete(answer: bytes) -> bool:
    head, sep, content = answer.partition(b"\r\n\r\n")
    length = re.search(rb"content-length: (\d+)", head.lower())
    return bool(sep) and length is not None and len(content) >= int(length.group(1))


def filler(head: bytes, total: int, tail: bytes, chunked: bool) -> Iterator[bytes]:
    """``head``, ``total`` bytes of filler, ``tail``; in HTTP chunks when ``chunked``."""
    block = b"a" * MIB
    pieces = [head, *([block] * (total // MIB)), tail]
    for piece in pieces:
        yield (b"%x\r\n" % len(piece) + piece + b"\r\n") if chunked else piece
    if chunked:
        yield b"0\r\n\r\n"


def keyed_registry(
    service_process: Any, redis_url: str, stream_prefix: str, tmp_path: Path, **env: str
) -> tuple[str, Any]:
    """A registry process (not started) that wants a key, and its admin key."""
    admin, record = new_key("admin", name="test-admin")
    settings = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/registry.db",
        "REDIS_URL": redis_url,
        "STREAM_PREFIX": stream_prefix,
        "PII_HASH_KEY": "k" * 32,
        "API_KEYS": json.dumps([record.model_dump(mode="json")]),
        "AUTH": "required",
        "LOG_LEVEL": "WARNING",
        **env,
    }
    return admin, service_process("shegong.registry", settings, tmp_path / "registry.log")


async def post_large_roster(client: httpx.AsyncClient, admin: str) -> httpx.Response:
    """A roster of one row padded past 3 MiB, imported with the admin key."""
    sheet = "姓名,手机号\n李四,13900000000\n".encode() + b"\n" * (3 * MIB)
    return await client.post(
        "/imports/roster",
        data={"department": "civil-affairs"},
        files={"file": ("roster.csv", sheet, "text/csv")},
        headers={"Authorization": f"Bearer {admin}"},
    )


def assert_refused_as_too_large(r: httpx.Response) -> None:
    assert r.status_code == 413, r.text[:300]
    error = r.json()["error"]
    assert error["code"] == "body_too_large"
    assert "larger than" in error["message"] and "超过" in error["message_zh"]


async def test_oversized_bodies_are_refused_before_they_are_read(
    redis: Redis, service_process, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    admin, svc = keyed_registry(
        service_process, redis_url, stream_prefix, tmp_path, SHEET_MAX_BYTES=str(4 * MIB)
    )
    svc.start()
    assert svc.process is not None
    pid = svc.process.pid
    before = rss_mib(pid)
    big = 200 * MIB
    async with httpx.AsyncClient(base_url=svc.url, timeout=120) as client:
        # Declared: refused from the header alone, before anything is read.
        started = time.monotonic()
        json_type = {"Content-Type": "application/json"}
        r = await asyncio.to_thread(
            post_raw,
            svc.url,
            "/workers",
            {**json_type, "Content-Length": str(big + 12)},
            filler(b'{"name": "', big, b'"}', chunked=False),
        )
        assert_refused_as_too_large(r)
        assert time.monotonic() - started < 10
        # Chunked, no length: reading stops at the limit.
        r = await asyncio.to_thread(
            post_raw,
            svc.url,
            "/workers",
            {**json_type, "Transfer-Encoding": "chunked"},
            filler(b'{"name": "', 64 * MIB, b'"}', chunked=True),
        )
        assert_refused_as_too_large(r)
        # A multipart "upload" with no key, over twice the sheet limit.
        head = (
            b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\n"
        )
        r = await asyncio.to_thread(
            post_raw,
            svc.url,
            "/imports/roster",
            {"Content-Type": "multipart/form-data; boundary=xyz", "Transfer-Encoding": "chunked"},
            filler(head, 32 * MIB, b"\r\n--xyz--\r\n", chunked=True),
        )
        assert_refused_as_too_large(r)
        growth = rss_mib(pid) - before
        assert growth < 60, f"memory grew by {growth:.0f} MiB"
        # Within the limits nothing changes: no key is a 401, a key is served.
        r = await client.post("/workers", json={"name": "张三"})
        assert r.status_code == 401
        r = await client.post(
            "/workers",
            json={"name": "张三", "department": "civil-affairs"},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert r.status_code == 201, r.text
        r = await post_large_roster(client, admin)
        assert r.status_code == 200, r.text[:300]
        assert (await client.get("/health")).status_code == 200


async def test_a_body_labelled_multipart_is_an_upload_only_where_a_file_is_taken(
    redis: Redis, service_process, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    """Round 9: the upload allowance (twice ``SHEET_MAX_BYTES``) went by the
    ``Content-Type`` alone, and a JSON route reads its body whole before the key check:
    eight bodies of 60 MiB labelled ``multipart/form-data`` sent to ``POST /workers``
    with no key took ``shegong up``'s process from 227 to 724 MiB. Only a route that takes
    a file allows more than ``HTTP_MAX_BODY_BYTES`` now; the imports are unchanged."""
    admin, svc = keyed_registry(service_process, redis_url, stream_prefix, tmp_path)
    svc.start()
    assert svc.process is not None
    multipart = "multipart/form-data; boundary=xyz"
    for path, chunked in (("/workers", False), ("/workers", True), ("/census/review", False)):
        headers = {"Content-Type": multipart}
        headers.update(
            {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(8 * MIB)}
        )
        started = time.monotonic()
        r = await asyncio.to_thread(
            post_raw, svc.url, path, headers, filler(b"--xyz\r\n", 8 * MIB, b"", chunked)
        )
        assert_refused_as_too_large(r)
        assert r.json()["error"]["field"] is None  # the body's limit, not an upload's
        assert time.monotonic() - started < 10
    # A route that takes a file still takes one larger than 1 MiB.
    async with httpx.AsyncClient(base_url=svc.url, timeout=120) as client:
        r = await post_large_roster(client, admin)
        assert r.status_code == 200, r.text[:300]


def many_files(files: int, size: int) -> Iterator[bytes]:
    for i in range(files):
        yield (
            b"--xyz\r\nContent-Disposition: form-data; "
            + f'name="file"; filename="a{i}.csv"\r\nContent-Type: text/csv\r\n\r\n'.encode()
            + b"a" * size
            + b"\r\n"
        )
    yield b"--xyz--\r\n"


async def test_an_upload_of_many_small_files_is_refused_as_it_arrives(
    redis: Redis, service_process, redis_url: str, stream_prefix: str, tmp_path: Path
) -> None:
    """Round 12: the upload allowance (64 MiB) held 990 files of 62 KiB, which the form
    parser keeps in memory, one by one (each under its 1 MiB spool): with no key, each such
    body was 3.5 s of the registry's event loop before its 401, and eight at once took
    ``shegong up``'s process from 549 to 770 MiB, kept. An upload is one file and a few
    fields: past 32 parts it is a 413 in both languages as it arrives; a roster is served."""
    admin, svc = keyed_registry(service_process, redis_url, stream_prefix, tmp_path)
    svc.start()
    assert svc.process is not None
    before = rss_mib(svc.process.pid)
    headers = {"Content-Type": "multipart/form-data; boundary=xyz"}
    for chunked in (False, True):
        started = time.monotonic()
        body = list(many_files(990, 62 * 1024))
        sent = (
            {"Transfer-Encoding": "chunked"}
            if chunked
            else {"Content-Length": str(sum(map(len, body)))}
        )
        pieces = (b"%x\r\n%s\r\n" % (len(p), p) for p in body) if chunked else iter(body)
        tail = [b"0\r\n\r\n"] if chunked else []
        r = await asyncio.to_thread(
            post_raw, svc.url, "/imports/roster", {**headers, **sent}, iter([*pieces, *tail])
        )
        assert r.status_code == 413, r.text[:300]
        error = r.json()["error"]
        assert "32 parts" in error["message"] and "32 个部分" in error["message_zh"]
        assert time.monotonic() - started < 3
    assert rss_mib(svc.process.pid) - before < 20
    async with httpx.AsyncClient(base_url=svc.url, timeout=120) as client:
        r = await post_large_roster(client, admin)
        assert r.status_code == 200, r.text[:300]
