"""How large a request body the console takes, checked before anything reads it (413).

The console is not a kernel app (it has no kernel dependency), so the services' body limit
did not cover it: anyone could fetch the login page for a session cookie and a form token,
then post a multipart body of any size to an upload page — Starlette spooled all of it to
the temporary directory (2 GB probed, in the process that hosts the services too under
``shegong up``) before the page found there was no signed-in user. Now:

- a session that is not signed in may post ``CONSOLE_MAX_BODY_BYTES`` (1 MiB: the login
  form, a logout) and no more, whatever the content type;
- a signed-in one may upload (``multipart/form-data``) twice ``SHEET_MAX_BYTES`` (the
  services' own limit for the same file, which the console passes on) to a page that takes
  a file (the imports: a route whose body has FastAPI's ``File``, or one marked
  ``upload_page`` that reads its form itself); any other body ``CONSOLE_MAX_BODY_BYTES``.
  Round 9: the allowance went by the ``Content-Type`` alone, so a signed-in user could post
  64 MiB labelled multipart to any page taking a form (``/census/review``), spooled to
  disk. The route is in the request's scope (FastAPI puts it there) before a page reads
  its body: the first read finds the limit (a page that reads no body, ``/logout``, reads
  none of it).

Refused at once when ``Content-Length`` says so, at the limit when the body comes chunked,
with a page in both languages. Inside the session middleware (it reads ``scope["session"]``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import params
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY = 1024 * 1024
DEFAULT_SHEET_BYTES = 32 * 1024 * 1024

F = TypeVar("F", bound=Callable[..., Any])
_UPLOAD_PAGES: set[Callable[..., Any]] = set()


def upload_page(endpoint: F) -> F:
    """Marks a page that reads a form with files itself (its fields are not declared)."""
    _UPLOAD_PAGES.add(endpoint)
    return endpoint


def takes_upload(scope: Scope) -> bool:
    """Whether the route the request was routed to (``scope["route"]``) takes a file."""
    route = scope.get("route")
    if not isinstance(route, APIRoute):
        return False
    field = route.body_field
    return route.endpoint in _UPLOAD_PAGES or (
        field is not None and isinstance(field.field_info, params.File)
    )


class _TooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=413)


def console_limits() -> tuple[int, int]:
    """(any body, a signed-in user's upload), from the environment."""
    plain = int(os.environ.get("CONSOLE_MAX_BODY_BYTES") or DEFAULT_MAX_BODY)
    sheet = int(os.environ.get("SHEET_MAX_BYTES") or DEFAULT_SHEET_BYTES)
    return plain, 2 * sheet


def _refusal(limit: int) -> HTMLResponse:
    size = f"{limit / 1024 / 1024:.0f} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"
    body = (
        "<!doctype html><meta charset='utf-8'><title>413</title>"
        f"<p data-testid='body-too-large'>提交的内容超过 {size}，已拒绝"
        "（只有导入页面接受上传，且须先登录）。</p>"
        f"<p>The request body is larger than {size} and was refused "
        "(only the import pages take a file, and only after signing in).</p>"
    )
    return HTMLResponse(body, status_code=413, headers={"Connection": "close"})


class ConsoleBodyLimit:
    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int) -> None:
        self.app, self.max_body, self.max_upload = app, max_body, max_upload

    def limit_for(self, scope: Scope) -> int:
        headers = dict(scope["headers"])
        kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        signed_in = bool(scope.get("session", {}).get("signed_in"))
        return self.max_upload if signed_in and kind == b"multipart/form-data" else self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refusal(limit)(scope, receive, send)
            return
        seen = 0
        exceeded = started = False
        routed = limit == self.max_body  # an upload's allowance waits for the route

        async def limited() -> Message:
            nonlocal seen, exceeded, limit, routed
            if not routed:  # the first read: routed by now (FastAPI's ``scope["route"]``)
                routed = True
                if not takes_upload(scope):  # a page without a file: the small limit
                    limit = self.max_body
                    if declared is not None and int(declared) > limit:
                        exceeded = True
                        raise _TooLarge()
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise _TooLarge()
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # whatever the page answers to the cut body: the refusal instead
            started = True
            await send(message)

        try:
            await self.app(scope, limited, guarded)
        except _TooLarge:
            pass
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await _refusal(limit)(scope, receive, send)
