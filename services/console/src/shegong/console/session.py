"""The console's session cookie, encrypted: it carries the user's API key, so it is
Fernet-sealed (AES-128-CBC + HMAC-SHA256), not only signed — the browser, its extensions
and anyone reading its cookie store see ciphertext. A cookie that does not decrypt (forged,
tampered, from another secret, older than the session's age) is no session: back to login.

HttpOnly and SameSite=Lax always; Secure when the console is served over https (the
request's scheme, as uvicorn sees it behind ``--proxy-headers``) or ``HTTPS_ONLY`` says so.

A signed-in session lasts ``max_age`` from signing in, however often it is sealed again
(round 14: ``?lang=zh`` on any page re-sealed the cookie with a fresh age, so whoever
held a copy could keep it open for ever by asking a page every few hours): the time of
signing in (``signed_in_at``) is sealed with it and checked on every request.

Logging out ends the session on the server too: a signed-in session has an id (``sid``),
and logout puts it on the console's list of ended sessions (:class:`EndedSessions`,
kept until the cookie would have expired anyway), so a copy of the cookie taken before
logout opens nothing. With a Redis (``REDIS_URL``, which ``shegong up`` and the
deployments give every process) the list is shared by every console replica: a logout
served by one is refused by all. Redis away: this replica's own logouts still hold, and
the others' are not known until it is back (logged) — availability over a list that may
be incomplete for the outage.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import time
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import Session
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "shegong_console"
SIGNED_IN_AT = "signed_in_at"  # seconds since the epoch, sealed at login


def fernet_for(secret: str) -> Fernet:
    """A Fernet key of its own, derived from the console's secret setting."""
    digest = hashlib.sha256(b"shegong-console-cookie\x00" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


log = logging.getLogger(__name__)


class EndedSessions:
    """Session ids ended by a logout, each until its cookie would expire anyway: in this
    process, and in Redis for the other replicas when there is one (only a digest of the
    id is stored there)."""

    def __init__(self, redis: Redis | None = None, prefix: str = "") -> None:
        self._until: dict[str, float] = {}
        self._redis = redis
        self._prefix = f"{prefix}console:ended-session:"

    def _key(self, sid: str) -> str:
        return self._prefix + hashlib.sha256(sid.encode()).hexdigest()[:32]

    async def end(self, sid: str, ttl: float) -> None:
        now = time.monotonic()
        self._until = {s: t for s, t in self._until.items() if t > now}
        self._until[sid] = now + ttl
        if self._redis is not None:
            try:
                await self._redis.set(self._key(sid), b"1", ex=max(1, int(ttl)))
            except RedisError as err:
                log.warning("ended session not shared (Redis: %s); this replica refuses it", err)

    async def has(self, sid: object) -> bool:
        if not isinstance(sid, str):
            return False
        until = self._until.get(sid)
        if until is not None and until > time.monotonic():
            return True
        if self._redis is None:
            return False
        try:
            return bool(await self._redis.exists(self._key(sid)))
        except RedisError as err:
            log.warning("ended sessions of other replicas unknown (Redis: %s)", err)
            return False


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
        if not isinstance(data, dict):
            return None
        if data.get("signed_in"):  # its age counts from signing in, not from the last seal
            since = data.get(SIGNED_IN_AT)
            if not isinstance(since, int | float) or not 0 <= time.time() - since <= self.max_age:
                return None
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
        if opened is not None and await self.ended.has(opened.get("sid")):
            opened = None  # a logged-out session's cookie opens nothing
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
