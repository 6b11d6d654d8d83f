"""The browser's own defences, asked for on every answer of the console.

Without them (probed: no header at all) any site could frame the console and lead a
signed-in user's clicks onto its buttons (clickjacking: 派单, 纳入专家库 …), a script that
slipped into a page would run with the user's session, and a file could be sniffed as
another type. The console serves its scripts from ``/static`` only (htmx with
``allowEval`` off, ``console.js`` instead of inline handlers), so the policy allows
scripts from this site and nothing inline:

- ``Content-Security-Policy``: scripts, styles, images, fetches and form posts only from
  the console itself (inline *styles* stay allowed: the templates and htmx use them), no
  plugins, no ``<base>``, and no framing (``frame-ancestors 'none'``);
- ``X-Frame-Options: DENY`` for browsers that predate ``frame-ancestors``;
- ``X-Content-Type-Options: nosniff``; ``Referrer-Policy: same-origin`` (the CSRF check
  reads ``Referer`` only from the console's own pages);
- ``Cache-Control: no-store`` on pages (personal data, masked or not, stays out of shared
  caches and the back-button cache after logout); ``/static`` keeps its caching.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = (
    (b"content-security-policy", POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                given = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in given]
                if not static and b"cache-control" not in given:
                    extra.append((b"cache-control", b"no-store"))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)
