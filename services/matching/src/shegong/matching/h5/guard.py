"""What stands in for an API key on the public pages.

- **Signed links** (``Signer``): a community's order page, an order's progress page and
  a worker's page are reached by a link carrying an HMAC of what it names (and, for a
  worker, until when), made with a key derived from the service's PII hash key — a
  link cannot be guessed or pointed at another order, community or worker.
- **One-time codes** (``Codes``): six digits sent to the resident's phone, kept in Redis
  only as a keyed hash for five minutes, at most five tries; confirming one sets a
  signed, HttpOnly, SameSite=Strict cookie naming the phone's keyed hash (never the
  number). An order's page needs both its link and that phone's cookie.
- **Rate limits** (``Limits``): fixed windows in Redis per client address (every
  route), per phone and per address (codes sent).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from redis.asyncio import Redis

CODE_TTL_S = 300
CODE_TRIES = 5


RESIDENT = "resident"  # a resident's cookie: the phone's keyed hash
WORKER = "worker"  # a worker's link: the provider's id


class Signer:
    def __init__(self, key: bytes) -> None:
        self._key = hmac.new(key, b"shegong-matching-h5", hashlib.sha256).digest()

    def sign(self, *parts: str) -> str:
        mac = hmac.new(self._key, "\x1f".join(parts).encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:18]).decode()

    def check(self, signature: str, *parts: str) -> bool:
        return hmac.compare_digest(signature.encode(), self.sign(*parts).encode())

    def seal(self, value: str, ttl_s: int, purpose: str) -> str:
        """``value`` with its expiry and signature, for a cookie or a worker's link.
        ``purpose`` (``RESIDENT``, ``WORKER``) is signed with it: a value sealed for
        one never opens as the other's."""
        until = str(int(time.time()) + ttl_s)
        return f"{value}.{until}.{self.sign('seal', purpose, value, until)}"

    def open(self, sealed: str | None, purpose: str) -> str | None:
        if not sealed or sealed.count(".") < 2:
            return None
        value, until, signature = sealed.rsplit(".", 2)
        if not until.isdigit() or int(until) < time.time():
            return None
        return value if self.check(signature, "seal", purpose, value, until) else None


class Limits:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis, self.prefix = redis, prefix

    async def hit(self, bucket: str, limit: int, window_s: int) -> bool:
        """Count one hit; False when ``bucket`` is over ``limit`` in this window."""
        window = int(time.time() // window_s)
        key = f"{self.prefix}h5:rl:{bucket}:{window}"
        count = await self.redis.incr(key)
        if count == 1:
            await self.redis.expire(key, window_s + 1)
        return int(count) <= limit


class Codes:
    def __init__(self, redis: Redis, prefix: str, signer: Signer) -> None:
        self.redis, self.prefix, self.signer = redis, prefix, signer

    def _key(self, phone_hash: str) -> str:
        return f"{self.prefix}h5:code:{phone_hash}"

    async def issue(self, phone_hash: str) -> str:
        code = f"{secrets.randbelow(10**6):06d}"
        key = self._key(phone_hash)
        await self.redis.delete(key)
        await self.redis.hset(key, mapping={"mac": self.signer.sign("code", code), "tries": 0})
        await self.redis.expire(key, CODE_TTL_S)
        return code

    async def confirm(self, phone_hash: str, code: str) -> bool:
        """True once for the right code; a wrong one uses up one of its tries."""
        key = self._key(phone_hash)
        tries = await self.redis.hincrby(key, "tries", 1)
        mac = await self.redis.hget(key, "mac")
        if mac is None:
            await self.redis.delete(key)
            return False
        if tries > CODE_TRIES:
            await self.redis.delete(key)
            return False
        stored = mac.decode() if isinstance(mac, bytes) else str(mac)
        if not hmac.compare_digest(stored, self.signer.sign("code", code.strip())):
            return False
        await self.redis.delete(key)
        return True
