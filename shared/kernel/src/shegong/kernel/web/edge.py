"""What every HTTP request passes through first: its correlation id and its metrics.

A plain ASGI middleware (Starlette's ``BaseHTTPMiddleware`` costs a task per request):
the caller's ``X-Correlation-ID`` — or a fresh id — becomes the conversation the request
runs in, and goes back in the response; the request is counted by method, route
*template* (``/workers/{worker_id}``, never the raw path: bounded label values) and
status, and timed.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shegong.kernel.ops.metrics import ServiceMetrics
from shegong.kernel.web.correlation import HEADER, accept_correlation_id, correlation_scope

_HEADER_KEY = HEADER.lower().encode()
# An API answer is data, never a page to run: a browser that opens one (a JSON body with a
# name like <img onerror=…>, a CSV download) neither sniffs it into HTML nor runs or frames
# anything. The interactive docs (Swagger UI / ReDoc load their scripts from a CDN) and
# pages that set their own policy (the mobile pages) keep theirs.
# Nor is an answer kept by a browser's or a proxy's cache (round 10): `/personal-data`
# (the whole ID number and phone), the census export and every list of people went out
# with no Cache-Control, so a browser that opened one (Swagger UI's "Try it out", a link
# to the CSV) could keep it on a shared clerk's disk, and a cache allowed to store
# authorised answers would serve it on.
_DATA_ONLY = (
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cache-control", b"no-store"),
)
_PAGES = ("/docs", "/redoc")


# Label sets kept (method × route template × status: bounded, see the module doc); past
# this many — never, in practice — a request is counted through ``labels()`` each time.
_KEPT_LABELS = 4096


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app, self.metrics = app, metrics
        # prometheus_client's ``labels()`` takes a lock and checks its arguments on every
        # call (≈ a third of this layer's CPU): each label set's counter and histogram
        # are looked up once.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == _HEADER_KEY), None)
        started = time.perf_counter()
        status = 500

        with correlation_scope(accept_correlation_id(given)) as correlation_id:

            async def send_with_id(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    headers = [*message.get("headers", []), (_HEADER_KEY, correlation_id.encode())]
                    if not scope["path"].startswith(_PAGES):
                        given = {k.lower() for k, _ in headers}
                        headers += [(k, v) for k, v in _DATA_ONLY if k not in given]
                    message = {**message, "headers": headers}
                await send(message)

            try:
                await self.app(scope, receive, send_with_id)
            finally:
                self._observe(scope["method"], _route(scope), status, started)

    def _observe(self, method: str, route: str, status: int, started: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            if len(self._children) >= _KEPT_LABELS:
                self.metrics.observe_request(method, route, status, started)
                return
            m = self.metrics
            children = (
                m.http_requests.labels(method, route, str(status)),
                m.http_duration.labels(method, route),
            )
            self._children[key] = children
        requests, duration = children
        requests.inc()
        duration.observe(time.perf_counter() - started)


def _route(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"
