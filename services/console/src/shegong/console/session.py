"""The console's session cookie, encrypted: it carries the user's API key, so it is
Fernet-sealed (AES-128-CBC + HMAC-SHA256), not only signed — the browser, its extensions
and anyone reading its cookie store see ciphertext. A cookie that does not decrypt (forged,
tampered, from another secret, older than the session's age) is no session: back to login.

HttpOnly and SameSite=Lax always; Secure when the console is served over https (the
request's scheme, as uvicorn sees it behind ``--proxy-headers``) or ``HTTPS_ONLY`` says so.

Logging out ends the session on the server too: a signed-in session has an id (``sid``),
and logout puts it on the console's list of ended sessions (:class:`EndedSessions`,
kept until the cookie would have expired anyway), so a copy of the cookie taken before
logout opens nothing. The list lives in the console process: with several console
replicas, each must see the logout (see SECURITY.md).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import Session
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "shegong_console"


def fernet_for(secret: str) -> Fernet:
    """A Fernet key of its own, derived from the console's secret setting."""
    digest = hashlib.sha256(b"shegong-console-cookie\x00" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class EndedSessions:
    """Session ids ended by a logout, each until its cookie would expire anyway."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def end(self, sid: str, ttl: float) -> None:
        now = time.monotonic()
        self._until = {s: t for s, t in self._until.items() if t > now}
        self._until[sid] = now + ttl

    def __contains__(self, sid: object) -> bool:
        until = self._until.get(sid) if isinstance(sid, str) else None
        return until is not None and until > time.monotonic()


class EncryptedSessionMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        secret_key: str,
        max_age: int,
        https_only: bool = False,
        session_cookie: str = COOKIE,
        ended: EndedSessions | None = None,
    ) -> None:
        self.app = app
        self.fernet = fernet_for(secret_key)
        self.max_age = max_age
        self.https_only = https_only
        self.session_cookie = session_cookie
        self.ended = ended if ended is not None else EndedSessions()

    def open(self, value: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self.fernet.decrypt(value.encode(), ttl=self.max_age))
        except (InvalidToken, ValueError):
            return None
        if not isinstance(data, dict) or data.get("sid") in self.ended:
            return None  # a logged-out session's cookie opens nothing
        return data

    def seal(self, session: dict[str, Any]) -> str:
        return self.fernet.encrypt(json.dumps(session).encode()).decode()

    def _flags(self, scope: Scope) -> str:
        flags = "path=/; httponly; samesite=lax"
        if self.https_only or scope.get("scheme") in ("https", "wss"):
            flags += "; secure"
        return flags

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):  # pragma: no cover
            await self.app(scope, receive, send)
            return
        cookie = HTTPConnection(scope).cookies.get(self.session_cookie)
        opened = self.open(cookie) if cookie else None
        scope["session"] = Session(opened or {})
        had_session = opened is not None

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                session: Session = scope["session"]
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                if session.accessed:
                    headers.add_vary_header("Cookie")
                if session.modified and session:
                    value = f"{self.session_cookie}={self.seal(session)}; Max-Age={self.max_age}"
                    headers.append("Set-Cookie", f"{value}; {self._flags(scope)}")
                elif (session.modified and had_session) or (cookie and not had_session):
                    # Cleared, or a cookie that did not open: drop it.
                    value = f"{self.session_cookie}=null; expires=Thu, 01 Jan 1970 00:00:00 GMT"
                    headers.append("Set-Cookie", f"{value}; {self._flags(scope)}")
            await send(message)

        await self.app(scope, receive, send_wrapper)
