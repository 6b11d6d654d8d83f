"""For tests of the console (its own and other services'): a client that sends the
console's CSRF form token with every POST, as the console's pages do."""

from __future__ import annotations

import re

import httpx

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_aware(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Send the console's form token with every POST, as its pages do (learnt from the
    last page, or from the login page when none was read yet)."""
    token: dict[str, str] = {}

    async def learn(response: httpx.Response) -> None:
        if response.request.url.path in ("/logout", "/login") and response.status_code == 303:
            token.clear()  # a new session (signed in or out): a new token comes with a page
        if "text/html" in response.headers.get("content-type", ""):
            await response.aread()
            if found := CSRF_META.search(response.text):
                token["value"] = found.group(1)

    async def send(request: httpx.Request) -> None:
        if request.method != "POST" or "x-csrf-token" in request.headers:
            return
        if "value" not in token:
            await client.get("/login")  # the session (cookie) the token belongs to
            if "cookie" in request.headers:
                del request.headers["cookie"]
            client.cookies.set_cookie_header(request)
        request.headers["X-CSRF-Token"] = token.get("value", "")

    client.event_hooks = {"request": [send], "response": [learn]}
    return client
