"""How large a request body may be, checked before anything reads it (413 beyond).

FastAPI reads and parses a request's body *before* the API-key check runs (the body is
solved with the route's dependencies), so without a limit anyone — no key needed — could
make a service hold a body of any size: a 300 MB JSON string took a registry from 367 to
1,351 MB and 14 s of work before it answered 401, and a multipart upload of any size was
spooled to the temporary directory. This ASGI middleware, outside everything else, answers
413 at once when ``Content-Length`` says the body is too large, and stops reading a body
sent without one (chunked) at the limit:

- ``multipart/form-data`` to a route that takes a file (the spreadsheet imports,
  ``upload_routes``): twice the sheet limit
  ``SHEET_MAX_BYTES`` (a file a little over it still reaches the sheet reader, which reads
  it to the end and words the refusal for the file; a client still sending when the
  connection closes may not see the answer);
- anything else (JSON commands, forms): ``HTTP_MAX_BODY_BYTES`` (1 MiB by default).

An upload is one file and a few text fields: past ``UPLOAD_PARTS`` parts the body is
refused as it arrives (round 12: 990 files of 62 KiB, each kept in memory by the form
parser, no key sent, were 3.5 s of the event loop each before their 401; eight at once
took ``shegong up``'s process from 549 to 770 MiB, kept).
"""

from __future__ import annotations

import json
import os

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shegong.kernel.data.tabular import Limits
from shegong.kernel.web.upload_routes import takes_upload

DEFAULT_MAX_BODY = 1024 * 1024
UPLOAD_PARTS = 32


def _delimiter(content_type: bytes) -> bytes:
    """What starts each part of a multipart body (``--`` and its boundary)."""
    for param in content_type.split(b";")[1:]:
        name, _, value = param.strip().partition(b"=")
        if name.strip().lower() == b"boundary":
            return b"--" + value.strip().strip(b'"')
    return b"--"


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` at the limit; an HTTPException so that FastAPI passes it on
    instead of turning it into "There was an error parsing the body" (400)."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


def body_limits() -> tuple[int, int]:
    """(any body, a multipart upload), from the environment."""
    raw = os.environ.get("HTTP_MAX_BODY_BYTES")
    plain = int(raw) if raw else DEFAULT_MAX_BODY
    return plain, 2 * Limits.from_env().max_bytes


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def too_large_body(limit: int, upload: bool, parts: bool = False) -> bytes:
    """The refusal, as the sheet reader words it for an upload (the same limit's name)."""
    error: dict[str, str | None]
    if parts:
        error = {
            "code": "body_too_large",
            "message": f"an upload is one file and a few fields: more than {UPLOAD_PARTS} "
            "parts were sent",
            "message_zh": f"上传内容应为一个文件和少量字段，已超过 {UPLOAD_PARTS} 个部分",
            "field": "file",
        }
    elif upload:
        most = limit // 2
        error = {
            "code": "body_too_large",
            "message": f"the uploaded file is larger than {_mib(most)} (limit max_bytes)",
            "message_zh": f"上传的文件超过 {_mib(most)}（限制 max_bytes）",
            "field": "file",
        }
    else:
        error = {
            "code": "body_too_large",
            "message": f"the request body is larger than {_mib(limit)} (HTTP_MAX_BODY_BYTES)",
            "message_zh": f"请求内容超过 {_mib(limit)}，已拒绝（HTTP_MAX_BODY_BYTES）",
            "field": None,
        }
    return json.dumps({"error": error}, ensure_ascii=False).encode()


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int) -> None:
        self.app, self.max_body, self.max_upload = app, max_body, max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        upload = kind == b"multipart/form-data"  # until routed: only a file route's
        limit = self.max_upload if upload else self.max_body
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(send, limit, upload)
            return
        seen = parts = 0
        exceeded = started = False
        delimiter, tail = _delimiter(headers.get(b"content-type", b"")), b""

        async def limited() -> Message:
            nonlocal seen, exceeded, upload, limit, parts, tail
            if upload and not takes_upload(scope):
                upload, limit = False, self.max_body
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                seen += len(chunk)
                if upload:  # a delimiter cut between two chunks is counted once
                    joined = tail + chunk
                    parts += joined.count(delimiter)
                    tail = joined[-len(delimiter) + 1 :]
                if seen > limit or parts > UPLOAD_PARTS:
                    exceeded = True
                    raise BodyTooLarge()
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # whatever the app answers to the cut body: ours goes instead
            started = True
            await send(message)

        try:
            await self.app(scope, limited, guarded)
        except BodyTooLarge:
            pass
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await _refuse(send, limit, upload, parts > UPLOAD_PARTS)


async def _refuse(send: Send, limit: int, upload: bool, parts: bool = False) -> None:
    await send_json(send, 413, too_large_body(limit, upload, parts), close=True)


async def send_json(send: Send, status: int, body: bytes, *, close: bool = False) -> None:
    """A whole JSON answer from an ASGI middleware (``close``: the body was not read)."""
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
