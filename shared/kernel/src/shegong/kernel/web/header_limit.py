"""A request's head — request line and headers — bounded before anything reads it.

uvicorn's httptools protocol keeps a request's headers until they end, with no limit (the
16 KiB ``h11_max_incomplete_event_size`` applies to h11 only): one anonymous connection
sending a 200 MiB header took ``shegong up``'s process, which hosts every service, from
214 to 432 MiB, kept after the connection closed. This protocol counts what arrives
before a request's headers end and, past ``HTTP_MAX_HEADER_BYTES`` (1 MiB), answers 431
in both languages and closes the connection.

The count is of whole reads: the read in which the headers end may carry the start of
the body too (a read is at most 256 KiB), so the limit must stay well above that;
nobody's honest headers come near it.
"""

from __future__ import annotations

import json
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

DEFAULT_MAX_HEADER_BYTES = 1024 * 1024

_BODY = json.dumps(
    {
        "error": {
            "code": "headers_too_large",
            "field": None,
            "message": "the request line and headers are larger than the service accepts",
            "message_zh": "请求行和请求头超过服务允许的大小",
        }
    },
    ensure_ascii=False,
).encode()


def max_header_bytes() -> int:
    raw = os.environ.get("HTTP_MAX_HEADER_BYTES")
    return int(raw) if raw else DEFAULT_MAX_HEADER_BYTES


class BoundedHeadersProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a request's head bounded (module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limit = max_header_bytes()
        self._in_head = True  # a connection starts with a request's head
        self._head_bytes = 0

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
            if self._head_bytes > self._limit:
                self._refuse()
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0  # the next request's head

    def _refuse(self) -> None:
        if self.transport.is_closing():
            return
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: application/json\r\n"
            b"content-length: " + str(len(_BODY)).encode() + b"\r\n"
            b"connection: close\r\n\r\n" + _BODY
        )
        self.transport.close()
